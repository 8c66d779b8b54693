import type { WorkflowHandle } from '@temporalio/client';

export const historyLength = async (h: WorkflowHandle) => (await h.fetchHistory()).events?.length ?? 0;

/** Waits (real time, briefly) until the workflow has no work in flight: its history stops growing. */
export async function settle(h: WorkflowHandle) {
  let last = -1;
  for (let stable = 0; stable < 3;) {
    const n = await historyLength(h);
    const pending = (await h.describe()).raw.pendingActivities?.length ?? 0;
    stable = n === last && pending === 0 ? stable + 1 : 0;
    last = n;
    await new Promise((r) => setTimeout(r, 50));
  }
}
