/**
 * Long histories and crashes, on a real Temporal dev server. The server is told to suggest
 * continue-as-new after 40 events (the default is 4 Ki) so the path runs in seconds.
 */
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import type { Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { decideExtensionUpdate, departmentTask, getTaskQuery, requestExtensionUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const housing: Principal = { keyId: 'k-housing', county, department: 'housing', roles: ['officer'] };
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };

// No API and no file worker: the tests start and stop workers themselves (`startWorker`).
const stack = useStack({
  queue: 'durable',
  devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'],
  api: false,
});
const { startWorker, taskQueue } = stack;

/** UpdateWorkflowExecutionLifecycleStage ADMITTED (the server holds the update) and gRPC NOT_FOUND. */
const ADMITTED = 1;
const NOT_FOUND = 5;

/** Whether the server has admitted update `updateId` of `workflowId` (false while it has not heard of it). */
async function updateAdmitted(workflowId: string, updateId: string): Promise<boolean> {
  try {
    const res = await stack.client.workflowService.pollWorkflowExecutionUpdate({
      namespace: 'default',
      updateRef: { workflowExecution: { workflowId }, updateId },
      waitPolicy: { lifecycleStage: ADMITTED },
    });
    return (res.stage ?? 0) >= ADMITTED;
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === NOT_FOUND) return false;
    throw err;
  }
}

describe('durability', () => {
  test('a long-lived task continues as new and keeps its state, timeline and clocks', async () => {
    const { worker, done } = await startWorker();
    try {
      const h = await stack.client.workflow.start(departmentTask, {
        taskQueue,
        workflowId: `task:${county}:housing:can-${randomUUID().slice(0, 8)}`,
        args: [{ county, department: 'housing', title: '长周期任务', instructions: '' }],
      });
      const firstRun = (await h.describe()).runId;
      const signed = await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      // Ask and refuse extensions until the history has been rolled over a few times.
      for (let i = 1; i <= 8; i++) {
        await h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 1, reason: `第${i}次` }] });
        await h.executeUpdate(decideExtensionUpdate, { args: [{ actor: supervisor, extensionId: `ext-${i}`, approve: false }] });
      }
      const v = await h.query(getTaskQuery);
      const described = await h.describe();
      expect(described.runId).not.toBe(firstRun);
      // Supervisors' queries still find it: search attributes survive the roll-over.
      expect(described.typedSearchAttributes.get(SA.County)).toBe(county);
      expect(described.typedSearchAttributes.get(SA.Department)).toBe('housing');
      expect(described.typedSearchAttributes.get(SA.TaskState)).toBe('signed');
      // The continued run has no static summary (the SDK cannot carry it): its details say what it is.
      const metadata = await h.query<{ currentDetails: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails.split('\n')[0]).toBe('住房和城乡建设局 · 长周期任务');
      expect(v.state).toBe('signed');
      expect(v.extensions).toHaveLength(8);
      expect(v.currentDeadline).toEqual(signed.currentDeadline);
      expect(v.lastEventSeq).toBe(2 + 16);
      // The timeline continued across runs: one row per event, no gaps, no duplicates.
      const seqs = await stack.db.pool.query<{ seq: number }>('SELECT seq FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [h.workflowId]);
      expect(seqs.rows.map((r) => r.seq)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
      // And it still works after the roll-over.
      expect((await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '办结' }] })).state).toBe('submitted');
    } finally {
      worker.shutdown();
      await done;
    }
  });

  test('an action sent while no worker runs is carried out when a worker comes back', async () => {
    let { worker, done } = await startWorker();
    const h = await stack.client.workflow.start(departmentTask, {
      taskQueue,
      workflowId: `task:${county}:housing:crash-${randomUUID().slice(0, 8)}`,
      args: [{ county, department: 'housing', title: '宕机恢复', instructions: '' }],
    });
    await h.query(getTaskQuery);
    worker.shutdown();
    await done;

    const updateId = `sign-${randomUUID()}`;
    const signing = h.executeUpdate(signUpdate, { args: [{ actor: housing }], updateId });
    // Wait until the server holds the update (admitted), with no worker to take it.
    await eventually(() => updateAdmitted(h.workflowId, updateId), { message: `update ${updateId} admitted by the server` });
    ({ worker, done } = await startWorker());
    try {
      expect((await signing).state).toBe('signed');
      const timeline = await stack.db.pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [h.workflowId]);
      expect(timeline.rows.map((r) => r.type)).toEqual(['assigned', 'signed']);
    } finally {
      worker.shutdown();
      await done;
    }
  });
});
