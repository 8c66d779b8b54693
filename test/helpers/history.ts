import type { WorkflowHandle } from '@temporalio/client';
import { eventually } from './eventually.js';

export const historyLength = async (h: WorkflowHandle) => (await h.fetchHistory()).events?.length ?? 0;

// EventType numbers of the workflow-task lifecycle.
const WFT_SCHEDULED = 5;
const WFT_DONE = new Set([7, 8, 9]); // completed, timed out, failed

/**
 * Waits (real time, bounded) until the workflow has no work in flight: every scheduled workflow
 * task has finished, no activity is pending, and the history has stopped growing.
 */
export async function settle(h: WorkflowHandle, timeoutMs = 20_000) {
  let last = -1;
  let stable = 0;
  await eventually(
    async () => {
      const events = (await h.fetchHistory()).events ?? [];
      const types = events.map((e) => Number(e.eventType));
      const scheduled = types.filter((t) => t === WFT_SCHEDULED).length;
      const done = types.filter((t) => WFT_DONE.has(t)).length;
      const pending = (await h.describe()).raw.pendingActivities?.length ?? 0;
      const quiet = scheduled === done && pending === 0 && events.length === last;
      stable = quiet ? stable + 1 : 0;
      last = events.length;
      // Quiet three checks in a row: a workflow task about to be scheduled would have shown by then.
      return stable >= 3;
    },
    { timeoutMs, message: `workflow ${h.workflowId} to settle` },
  );
}
