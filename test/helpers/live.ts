/** Every property of T, writable, possibly not set yet. */
export type Unset<T> = { -readonly [P in keyof T]: T[P] | undefined };

/**
 * The object a `use…()` setup helper returns when a test file is imported: a read-only view of
 * `state`, which the helper's `beforeAll` fills in. Reading a property of `state` that is still
 * undefined throws (read at import time, outside the file's tests, or setup failed) rather than
 * handing `undefined` to a test. Properties `state` does not have read as usual.
 */
export function liveView<T extends object>(state: Unset<T>, label: string): T {
  return new Proxy(state, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (v === undefined && Object.hasOwn(target, prop)) throw new Error(`${label}: ${String(prop)} is not set up`);
      return v;
    },
    set() {
      return false;
    },
  }) as T;
}
