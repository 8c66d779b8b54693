/**
 * Issue 12 §5: one event notifies each recipient once. A return (退回) is told to the lead
 * department and to the county supervisors; a task with no lead department tells the supervisors
 * in the lead's place, so they were notified twice, under two ids. Real parts: the department-task
 * workflow on the time-skipping server, its activities and PostgreSQL; and `recordEvent`, the
 * function the activities write with.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordEvent } from '../../db/events.js';
import { inTransaction } from '../../db/pool.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Row {
  id: string;
  county: string;
  department: string | null;
  role: string | null;
  kind: string;
}

async function notificationsOf(objectId: string, kind: string): Promise<Row[]> {
  const res = await h.db.pool.query<Row>('SELECT id, county, department, role, kind FROM notifications WHERE object_id = $1 AND kind = $2 ORDER BY id', [
    objectId,
    kind,
  ]);
  return res.rows;
}

describe('each recipient is notified once per event', () => {
  test('a return on a task with no lead department reaches the county supervisors once', async () => {
    const created = await h.call('POST', '/v1/tasks', {
      as: 'operator',
      body: { department: 'housing', title: `无牵头部门的任务 ${randomUUID().slice(0, 8)}`, instructions: '现场核查' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.leadDepartment).toBeUndefined();
    const returned = await h.call('POST', `/v1/tasks/${created.body.taskId}/return`, { as: 'housing', body: { reason: '不属于本部门职责' } });
    expect(returned.status, returned.text).toBe(200);

    const workflowId = created.body.workflowId as string;
    const rows = await eventually(
      async () => {
        const r = await notificationsOf(workflowId, 'task.returned');
        return r.length ? r : undefined;
      },
      { message: 'the return notifications' },
    );
    expect(rows.map(({ county, department, role }: Row) => ({ county, department, role }))).toEqual([
      { county: '610124', department: null, role: 'supervisor' },
    ]);
    const inbox = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(workflowId)}`, { as: 'supervisor' });
    expect(inbox.body.items.filter((n: { kind: string }) => n.kind === 'task.returned')).toHaveLength(1);
  });

  test('recordEvent: the same recipient twice in an event, in one notice or two identical ones, is written once; different notices to one recipient stay', async () => {
    const workflowId = `task:610124:housing:dedupe-${randomUUID().slice(0, 8)}`;
    const supervisors = { county: '610124', role: 'supervisor' };
    const housing = { county: '610124', department: 'housing' };
    await inTransaction(h.db.pool, (client) =>
      recordEvent(client, {
        workflowId,
        seq: 1,
        county: '610124',
        at: new Date().toISOString(),
        type: 'test.dedupe',
        summary: '去重测试',
        notifications: [
          { kind: 'test.notice', title: '通知', body: '正文', recipients: [supervisors, housing, { ...supervisors }, { ...housing, role: undefined }] },
          { kind: 'test.notice', title: '通知', body: '正文', recipients: [supervisors] },
          { kind: 'test.other', title: '另一条通知', body: '正文', recipients: [supervisors] },
        ],
      }),
    );
    const rows = (await h.db.pool.query<Row>('SELECT id, county, department, role, kind FROM notifications WHERE object_id = $1 ORDER BY id', [workflowId]))
      .rows;
    expect(rows).toEqual([
      { id: `${workflowId}#1#0`, county: '610124', department: null, role: 'supervisor', kind: 'test.notice' },
      { id: `${workflowId}#1#1`, county: '610124', department: 'housing', role: null, kind: 'test.notice' },
      { id: `${workflowId}#1#2`, county: '610124', department: null, role: 'supervisor', kind: 'test.other' },
    ]);
  });
});
