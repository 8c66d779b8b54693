/**
 * Issue 9 §5, "idempotent after close", on a real Temporal dev server (its visibility store counts
 * runs by workflow id), PostgreSQL, the worker and the API through HTTP: a creating request retried
 * with the same Idempotency-Key after its workflow has closed answers 200 with the closed object,
 * and never starts a second run under the same id (whose events would collide with the first
 * run's and be dropped: its work would reach no inbox and notify nobody).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const stack = useStack({
  queue: 'e2e-after-close',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
  },
});
const { call } = stack;

const matterBody = {
  scenario: 'self-built-housing',
  county: '610124',
  subject: { name: '某村民自建房', kind: 'house' },
  facts: { township: '610124100', reportedHazard: true },
  source: { channel: '12345' },
};

/** Waits until the read model's `sql` (first row, column `v`) shows `want`. */
async function readModelShows(sql: string, args: unknown[], want: unknown) {
  let last: unknown;
  await eventually(
    async () => {
      last = (await stack.db.pool.query(sql, args)).rows[0]?.v;
      return last === want;
    },
    { message: () => `the read model to show ${String(want)} for ${String(args[0])} (it shows ${String(last)})` },
  );
}

/**
 * Every run the server knows under `workflowId`. Visibility is written asynchronously: waits until
 * it shows the first run closed (so it has caught up with everything that happened before).
 */
async function runsOf(workflowId: string, firstRunId: string): Promise<{ runId: string; status: string }[]> {
  return eventually(
    async () => {
      const runs: { runId: string; status: string }[] = [];
      for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: w.runId, status: w.status.name });
      return runs.some((r) => r.runId === firstRunId && r.status !== 'RUNNING') ? runs : undefined;
    },
    { message: `visibility to show ${workflowId} closed` },
  );
}

/** The run the server holds as current under `workflowId`. */
async function currentRunId(workflowId: string): Promise<string> {
  return (await stack.client.workflow.getHandle(workflowId).describe()).runId;
}

async function expectOneRun(workflowId: string, firstRunId: string) {
  expect(await currentRunId(workflowId), 'the current run is still the first one').toBe(firstRunId);
  const runs = await runsOf(workflowId, firstRunId);
  expect(runs, JSON.stringify(runs)).toHaveLength(1);
  expect((await stack.client.workflow.count(`WorkflowId = '${workflowId}'`)).count).toBe(1);
}

describe('a retry with the same Idempotency-Key after the workflow closed', () => {
  test('a matter: launched, cancelled, launched again → 200 with the cancelled matter, one run', async () => {
    const headers = { 'idempotency-key': `after-close-matter-${randomUUID()}` };
    const first = await call('operator', 'POST', '/v1/matters', matterBody, headers);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const matterId = first.body.workflowId as string;
    const firstRunId = await currentRunId(matterId);

    const cancelled = await call('operator', 'POST', `/v1/matters/${first.body.matterId}/cancel`, { reason: '重复受理，撤销' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await stack.client.workflow
      .getHandle(matterId)
      .result()
      .catch(() => undefined);
    await readModelShows("SELECT view->>'status' AS v FROM matters WHERE matter_id = $1", [matterId], 'cancelled');

    const again = await call('operator', 'POST', '/v1/matters', matterBody, headers);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ workflowId: matterId, status: 'cancelled', cancelled: { reason: '重复受理，撤销' } });
    await expectOneRun(matterId, firstRunId);
  });

  test('a standalone task: assigned, cancelled, assigned again → 200 with the cancelled task, one run', async () => {
    const headers = { 'idempotency-key': `after-close-task-${randomUUID()}` };
    const body = { department: 'housing', title: '核查某村自建房隐患', instructions: '现场核查并反馈' };
    const first = await call('operator', 'POST', '/v1/tasks', body, headers);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const taskId = first.body.workflowId as string;
    const firstRunId = await currentRunId(taskId);

    const cancelled = await call('operator', 'POST', `/v1/tasks/${first.body.taskId}/cancel`, { reason: '工单重复' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await stack.client.workflow.getHandle(taskId).result();
    await readModelShows('SELECT state AS v FROM tasks WHERE task_id = $1', [taskId], 'cancelled');

    const again = await call('operator', 'POST', '/v1/tasks', body, headers);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ workflowId: taskId, state: 'cancelled' });
    await expectOneRun(taskId, firstRunId);
  });

  test('a supervision order: issued, cancelled, issued again → 200 with the cancelled order, one run', async () => {
    const matter = await call('operator', 'POST', '/v1/matters', matterBody, { 'idempotency-key': `after-close-host-${randomUUID()}` });
    expect(matter.status, JSON.stringify(matter.body)).toBe(201);
    const headers = { 'idempotency-key': `after-close-order-${randomUUID()}` };
    const body = { department: 'housing', instruction: '请于期限内报告排查进展', dueInWorkingDays: 3 };
    const url = `/v1/matters/${matter.body.matterId}/supervision-orders`;
    const first = await call('supervisor', 'POST', url, body, headers);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const orderId = first.body.workflowId as string;
    const firstRunId = await currentRunId(orderId);

    const cancelled = await call('supervisor', 'POST', `/v1/tasks/${first.body.taskId}/cancel`, { reason: '已当面督办' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await stack.client.workflow.getHandle(orderId).result();
    await readModelShows('SELECT state AS v FROM tasks WHERE task_id = $1', [orderId], 'cancelled');

    const again = await call('supervisor', 'POST', url, body, headers);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ workflowId: orderId, state: 'cancelled' });
    await expectOneRun(orderId, firstRunId);
  });
});
