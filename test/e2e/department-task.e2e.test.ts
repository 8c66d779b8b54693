/**
 * End to end with real parts: a Temporal CLI dev server, an embedded PostgreSQL, the worker and
 * the API listening on a port, driven through HTTP as the officers would.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { toUrlId } from '../../domain/ids.js';
import { jurisdictionDispute } from '../../workflows/jurisdiction-dispute.js';
import { eventually } from '../helpers/eventually.js';
import { historyLength, settle } from '../helpers/history.js';
import { useStack } from '../helpers/stack.js';

const stack = useStack({
  queue: 'e2e',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    housing: { county: '610124', department: 'housing', roles: ['officer'] },
    commerce: { county: '610124', department: 'commerce', roles: ['officer'] },
    market: { county: '610124', department: 'market', roles: ['officer'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
  },
});
const { call } = stack;

async function settledHistoryLength(workflowId: string) {
  const handle = stack.client.workflow.getHandle(workflowId);
  await settle(handle);
  return historyLength(handle);
}

describe('a department task worked through HTTP', () => {
  test('assign, sign, submit, review; inboxes, notifications, read model; another department is refused', async () => {
    const created = await call(
      'operator',
      'POST',
      '/v1/tasks',
      {
        department: 'housing',
        leadDepartment: 'commerce',
        title: '核查某村自建房隐患',
        instructions: '现场核查并反馈',
      },
      { 'idempotency-key': `e2e-${randomUUID()}` },
    );
    expect(created.status).toBe(201);
    const taskId = created.body.taskId as string;
    expect(taskId).toMatch(/^task:610124:housing:\d{4}-\d{4}$/);
    expect(created.body.currentDeadline.dueAt).toMatch(/T23:59:59\.999\+08:00$/);

    // The housing officer's inbox has it; the market officer's does not.
    const inbox = await call('housing', 'GET', '/v1/tasks?state=assigned');
    expect(inbox.body.items.map((t: { taskId: string }) => t.taskId)).toContain(taskId);
    expect((await call('market', 'GET', '/v1/tasks')).body.items).toEqual([]);

    // Another department can neither see nor act, and its attempt leaves no trace in history.
    const before = await settledHistoryLength(taskId);
    expect((await call('market', 'GET', `/v1/tasks/${taskId}`)).status).toBe(404);
    expect((await call('market', 'POST', `/v1/tasks/${taskId}/sign`)).status).toBe(404);
    // The lead department can see it but not sign for it: the workflow's validator refuses.
    const leadSign = await call('commerce', 'POST', `/v1/tasks/${taskId}/sign`);
    expect(leadSign.status).toBe(403);
    expect(await settledHistoryLength(taskId)).toBe(before);

    expect((await call('housing', 'POST', `/v1/tasks/${taskId}/sign`)).body.state).toBe('signed');
    const submitted = await call('housing', 'POST', `/v1/tasks/${taskId}/submit`, {
      summary: '已现场核查，存在一般隐患，已下达整改通知',
      outcome: 'hazard',
      evidence: [{ name: '现场照片', sha256: 'b'.repeat(64) }],
    });
    expect(submitted.body.state).toBe('submitted');
    const accepted = await call('commerce', 'POST', `/v1/tasks/${taskId}/review`, { decision: 'accept', comment: '同意办结' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ state: 'completed', stateName: '已办结' });

    const detail = await call('housing', 'GET', `/v1/tasks/${taskId}`);
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toEqual(['assigned', 'signed', 'submitted', 'completed']);
    expect(detail.body.temporalUiUrl).toContain(encodeURIComponent(taskId));

    const housingNotes = await call('housing', 'GET', `/v1/notifications?objectId=${taskId}`);
    expect(housingNotes.body.items.map((n: { kind: string }) => n.kind)).toEqual(['task.assigned']);
    const commerceNotes = await call('commerce', 'GET', `/v1/notifications?objectId=${taskId}`);
    expect(commerceNotes.body.items.map((n: { kind: string }) => n.kind)).toEqual(['task.submitted']);

    const row = await stack.db.pool.query('SELECT state, department, last_seq FROM tasks WHERE task_id = $1', [taskId]);
    expect(row.rows).toEqual([{ state: 'completed', department: 'housing', last_seq: 4 }]);
    const audit = await stack.db.pool.query('SELECT action, actor_department FROM audit_log WHERE object_id = $1 ORDER BY id', [taskId]);
    expect(audit.rows).toEqual([
      { action: 'assigned', actor_department: null },
      { action: 'signed', actor_department: 'housing' },
      { action: 'submitted', actor_department: 'housing' },
      { action: 'completed', actor_department: 'commerce' },
    ]);
  });

  test('a closed task, a matter and a dispute read the same from the record after Temporal has purged them', { timeout: 240_000 }, async () => {
    // A closed standalone task.
    const created = await call('operator', 'POST', '/v1/tasks', { department: 'housing', leadDepartment: 'commerce', title: '保留期后查阅', instructions: '' });
    const taskId = created.body.taskId as string;
    await call('housing', 'POST', `/v1/tasks/${taskId}/sign`);
    await call('housing', 'POST', `/v1/tasks/${taskId}/submit`, { summary: '已办结' });
    expect((await call('commerce', 'POST', `/v1/tasks/${taskId}/review`, { decision: 'accept', comment: '同意' })).body.state).toBe('completed');
    const before = await call('housing', 'GET', `/v1/tasks/${taskId}`);
    // A cancelled matter.
    const matter = await call(
      'operator',
      'POST',
      '/v1/matters',
      {
        scenario: 'self-built-housing',
        county: '610124',
        subject: { name: '钱某某', kind: 'house' },
        facts: { township: '610124100' },
      },
      { 'idempotency-key': `e2e-${randomUUID()}` },
    );
    const matterId = matter.body.matterId as string;
    expect((await call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: '重复立案' })).body.status).toBe('cancelled');
    const matterBefore = await call('operator', 'GET', `/v1/matters/${matterId}`);
    // A dispute over one of its steps, ended (cancelled) before the purge.
    const disputeWorkflowId = `${matter.body.workflowId as string}/dispute:9`;
    const dispute = await stack.client.workflow.start(jurisdictionDispute, {
      taskQueue: stack.taskQueue,
      workflowId: disputeWorkflowId,
      args: [
        {
          county: '610124',
          taskKey: 'survey.planning',
          taskTitle: '规划与用地合法性核查',
          parties: ['natural-resources', 'agriculture'],
          returnedBy: 'natural-resources',
          reason: '宅基地审批属农业农村部门',
        },
      ],
    });
    await eventually(async () => ((await call('supervisor', 'GET', `/v1/disputes/${toUrlId(disputeWorkflowId)}`)).status === 200 ? true : undefined), {
      message: 'the dispute in the record',
    });
    await dispute.cancel();
    const disputeBefore = await eventually(
      async () => {
        const r = await call('supervisor', 'GET', `/v1/disputes/${toUrlId(disputeWorkflowId)}`);
        // Ended, and the end recorded (the state is set a moment before the record is written).
        return r.body.state === 'ended' && r.body.timeline?.some((e: { type: string }) => e.type === 'dispute.ended') ? r : undefined;
      },
      { message: 'the dispute ended and recorded' },
    );

    // Retention ends (as `temporal workflow delete` does): the executions are gone from the server.
    for (const workflowId of [taskId, matter.body.workflowId as string, disputeWorkflowId]) {
      await stack.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
      await eventually(
        async () =>
          stack.client.workflow
            .getHandle(workflowId)
            .describe()
            .then(
              () => false,
              (err: unknown) => err instanceof WorkflowNotFoundError,
            ),
        { timeoutMs: 90_000, intervalMs: 500, message: `${workflowId} deleted` },
      );
    }
    const after = await call('housing', 'GET', `/v1/tasks/${taskId}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
    expect(after.body).toMatchObject({ state: 'completed', deadlines: [{ kind: 'sign-for' }, { kind: 'handle' }, { kind: 'review' }] });
    expect(after.body.timeline.map((e: { type: string }) => e.type)).toEqual(['assigned', 'signed', 'submitted', 'completed']);
    const matterAfter = await call('operator', 'GET', `/v1/matters/${matterId}`);
    expect(matterAfter.status).toBe(200);
    expect(matterAfter.body).toEqual(matterBefore.body);
    expect(matterAfter.body).toMatchObject({ status: 'cancelled', cancelled: { reason: '重复立案' } });
    const disputeAfter = await call('supervisor', 'GET', `/v1/disputes/${toUrlId(disputeWorkflowId)}`);
    expect(disputeAfter.status).toBe(200);
    expect(disputeAfter.body).toEqual(disputeBefore.body);
    expect(disputeAfter.body).toMatchObject({ state: 'ended', parties: [{ department: 'natural-resources' }, { department: 'agriculture' }] });
  });

  test('a retried create and a retried action do not act twice', async () => {
    const key = `e2e-${randomUUID()}`;
    const body = { department: 'housing', title: '重复提交测试', instructions: '' };
    const first = await call('operator', 'POST', '/v1/tasks', body, { 'idempotency-key': key });
    const again = await call('operator', 'POST', '/v1/tasks', body, { 'idempotency-key': key });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.taskId).toBe(first.body.taskId);
    const taskId = first.body.taskId as string;

    const signKey = { 'idempotency-key': `sign-${randomUUID()}` };
    const s1 = await call('housing', 'POST', `/v1/tasks/${taskId}/sign`, undefined, signKey);
    const s2 = await call('housing', 'POST', `/v1/tasks/${taskId}/sign`, undefined, signKey);
    expect([s1.status, s2.status]).toEqual([200, 200]);
    const timeline = await stack.db.pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [taskId]);
    expect(timeline.rows.map((r) => r.type)).toEqual(['assigned', 'signed']);
    // Without the key, a second sign is a conflict.
    expect((await call('housing', 'POST', `/v1/tasks/${taskId}/sign`)).status).toBe(409);
  });
});
