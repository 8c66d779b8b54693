import type { WorkflowHandle } from '@temporalio/client';

export const historyLength = async (h: WorkflowHandle) => (await h.fetchHistory()).events?.length ?? 0;

// EventType numbers of the workflow-task lifecycle.
const WFT_SCHEDULED = 5;
const WFT_DONE = new Set([7, 8, 9]); // completed, timed out, failed

/**
 * Waits (real time, bounded) until the workflow has no work in flight: every scheduled workflow
 * task has finished, no activity is pending, and the history has stopped growing.
 */
export async function settle(h: WorkflowHandle, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (let stable = 0; stable < 3;) {
    const events = (await h.fetchHistory()).events ?? [];
    const types = events.map((e) => Number(e.eventType));
    const scheduled = types.filter((t) => t === WFT_SCHEDULED).length;
    const done = types.filter((t) => WFT_DONE.has(t)).length;
    const pending = (await h.describe()).raw.pendingActivities?.length ?? 0;
    const quiet = scheduled === done && pending === 0 && events.length === last;
    stable = quiet ? stable + 1 : 0;
    last = events.length;
    if (Date.now() > deadline) throw new Error(`workflow ${h.workflowId} did not settle`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
