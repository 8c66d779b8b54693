/**
 * A run that is cancelled (its parent closed, or someone withdrew it in the Temporal UI) records
 * that before it ends, and ends as Cancelled so the Temporal UI shows it that way too.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';

/**
 * `body`'s result; on cancellation `recordCancelled` runs where cancellation cannot reach it (so
 * its record lands), and the cancellation is thrown on. Any other failure passes through untouched.
 */
export async function recordingCancellation<T>(body: () => Promise<T>, recordCancelled: () => Promise<void>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(recordCancelled);
    throw err;
  }
}
