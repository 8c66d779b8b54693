/**
 * The one way tests wait for something that happens asynchronously (a read model catching up, a
 * webhook arriving, a child workflow starting): poll a condition, in real time, until it holds.
 * Never a fixed sleep: a wait ends as soon as the condition holds and fails with a message saying
 * what did not happen.
 */

export interface EventuallyOptions {
  /** Give up after this long (real time). Default 15 s. */
  timeoutMs?: number;
  /** Pause between two checks. Default 50 ms. */
  intervalMs?: number;
  /** What was awaited, for the timeout error; a function is called only then (it may describe state). */
  message?: string | (() => string | Promise<string>);
}

/** What a condition returns while it does not hold yet. */
type NotYet = undefined | null | false;

/**
 * Calls `condition` until it returns something other than `undefined`, `null` or `false`, and
 * returns that. An error thrown by `condition` is not retried: it fails the wait at once (an
 * assertion inside a condition is an assertion, not a retry). After `timeoutMs` it throws an
 * error naming `message` and the last value seen.
 */
export async function eventually<T>(condition: () => T | NotYet | Promise<T | NotYet>, opts: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 50 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    // A check that itself hangs (a query to a stuck server) fails the wait on time too.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `gave up after ${timeoutMs} ms waiting for ${typeof opts.message === 'string' ? opts.message : 'a condition'}: check ${attempt} did not return`,
            ),
          ),
        Math.max(deadline - Date.now(), 0) + intervalMs,
      );
    });
    const value = await Promise.race([(async () => condition())(), hung]).finally(() => clearTimeout(timer));
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() >= deadline) {
      const what = typeof opts.message === 'function' ? await opts.message() : (opts.message ?? 'a condition');
      throw new Error(`timed out after ${timeoutMs} ms (${attempt} checks) waiting for ${what}; last value: ${String(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(deadline - Date.now(), 0))));
  }
}
