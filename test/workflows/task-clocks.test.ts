/**
 * Every waiting state has a clock (DOMAIN §10), and clocks count from the event the rule names
 * (DOMAIN §4): the lead's review, the return window, hour-scale ladders, a limit counted from the
 * matter's opening, and concurrent actions applied in the order they were accepted.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { addWorkingDays, resolveDeadline, shanghaiDate } from '../../domain/calendar/index.js';
import type { Principal } from '../../domain/principal.js';
import type { DepartmentTaskInputDraft } from '../../domain/task.js';
import { departmentTask, getTaskQuery, returnUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { prepaidCardMatter } from '../../workflows/scenarios/prepaid-card.js';
import { eventually } from '../helpers/eventually.js';
import { settle } from '../helpers/history.js';
import { matterLauncher } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const HOUR = 3_600_000;
const county = '610124';
const morning = (date: string) => Date.parse(`${date}T09:00:00.000+08:00`);
const housing: Principal = { keyId: 'k-housing', county, department: 'housing', roles: ['officer'] };

const wf = useWorkflowEnv({
  queue: 'clocks',
  app: true,
  keys: {
    operator: { county, roles: ['operator'] },
    supervisor: { county, roles: ['supervisor'] },
    housing: { county, department: 'housing', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
  },
});

async function call(as: keyof typeof wf.keys, method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await wf.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${wf.keys[as]}` },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

async function start(overrides: Partial<DepartmentTaskInputDraft> = {}) {
  return wf.client.workflow.start(departmentTask, {
    taskQueue: wf.taskQueue,
    workflowId: `task:${county}:housing:clk-${randomUUID().slice(0, 8)}`,
    args: [{ county, department: 'housing', leadDepartment: 'commerce', title: '核查', instructions: '', ...overrides }],
  });
}

const sleepUntil = async (ms: number) => wf.env.sleep(Math.max(ms - (await wf.env.currentTimeMs()), 1));
const timeline = async (id: string) =>
  (await wf.db.pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [id])).rows.map((r) => r.type as string);

describe('the lead department’s review has a clock and a ladder', () => {
  test('a submission waits 2 working days for review; past it the task is overdue and the lead is chased; ?reviewing=true lists it', async () => {
    const h = await start();
    await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
    const submitted = await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '已核查' }] });
    const due = resolveDeadline(submitted.submittedAt!, { amount: 2, unit: 'working_day' });
    expect(submitted.currentDeadline).toMatchObject({ kind: 'review', dueAt: due.dueAt, countsFrom: { event: 'submission', at: submitted.submittedAt } });

    // The lead's inbox of submissions to review has it; the submitting department's has not.
    const forLead = await call('commerce', 'GET', '/v1/tasks?reviewing=true');
    expect(forLead.status).toBe(200);
    expect(forLead.body.items.map((t: { workflowId: string }) => t.workflowId)).toContain(h.workflowId);
    expect((await call('housing', 'GET', '/v1/tasks?reviewing=true')).body.items).toEqual([]);
    expect((await call('supervisor', 'GET', '/v1/tasks?reviewing=true')).body.items.map((t: { workflowId: string }) => t.workflowId)).toContain(h.workflowId);

    const chaseAt = morning(addWorkingDays(shanghaiDate(due.dueAtMs), 1));
    await sleepUntil(chaseAt + HOUR);
    const v = await h.query(getTaskQuery);
    expect(v).toMatchObject({ state: 'submitted', overdue: true, escalationLevel: 2, currentDeadline: { kind: 'review' } });
    await settle(h);
    expect(await timeline(h.workflowId)).toEqual(expect.arrayContaining(['submitted', 'overdue', 'ladder.chase']));
    const chased = await wf.db.pool.query("SELECT department FROM notifications WHERE object_id = $1 AND kind = 'ladder.chase'", [h.workflowId]);
    expect(chased.rows).toEqual([{ department: 'commerce' }]);
    await h.terminate('test done');
  });
});

describe('returning has a window', () => {
  test('within 2 working days of assignment a department may return the task; later: 409 return_window_closed', async () => {
    const created = await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '处理工单' });
    expect(created.status).toBe(201);
    const window = resolveDeadline(created.body.assignedAt, { amount: 2, unit: 'working_day' });
    await sleepUntil(window.dueAtMs + HOUR);
    const res = await call('housing', 'POST', `/v1/tasks/${created.body.taskId}/return`, { reason: '非本部门职责' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('return_window_closed');
    expect(res.body.error.message).toContain(window.dueAt);
    expect((await wf.client.workflow.getHandle(created.body.workflowId).query(getTaskQuery)).state).toBe('assigned');
    await wf.client.workflow.getHandle(created.body.workflowId).terminate('test done');
  });
});

describe('hour-scale clocks escalate in hours', () => {
  test('a 12-hour handling limit: red card 4 hours after the deadline, the same night, not 5 working days later', async () => {
    const h = await start({ limits: { signFor: { amount: 1, unit: 'hour' }, handle: { amount: 12, unit: 'hour', startsFrom: 'sign-for' } } });
    const signed = await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
    const dueMs = Date.parse(signed.currentDeadline!.dueAt);
    expect(dueMs - Date.parse(signed.signedAt!)).toBe(12 * HOUR);
    await sleepUntil(dueMs + 4 * HOUR + 60_000);
    const v = await h.query(getTaskQuery);
    expect(v.escalations.map((e) => e.rung)).toEqual(['reminder', 'chase', 'yellow-card', 'red-card']);
    expect(v.escalations.map((e) => Math.round((Date.parse(e.firedAt) - dueMs) / 60_000))).toEqual([-360, 0, 120, 240]);
    expect(v.escalationLevel).toBe(4);
    await h.terminate('test done');
  });
});

describe('clocks start at the event the rule names', () => {
  const launch = matterLauncher(wf, 'prepaid-card', prepaidCardMatter);

  test('消费者权益保护法 art. 46: a complaint received Monday 2026-09-28 09:00 has its acceptance decision due 2026-10-13', async () => {
    const d = await launch({
      subject: { name: '周至县某某健身服务有限公司', kind: 'enterprise' },
      facts: { trade: 'sports', signal: 'complaint' },
      source: { channel: '12345', ref: 'WO-20260928-0001', receivedAt: '2026-09-28T09:00:00+08:00' },
    });
    await d.complete('triage', 'assigned');
    const t = await d.waitFor('acceptance');
    const signed = await wf.client.workflow.getHandle(t.taskId).executeUpdate(signUpdate, { args: [{ actor: d.officer('sports') }] });
    expect(signed.currentDeadline).toMatchObject({
      kind: 'handle',
      dueAt: '2026-10-13T23:59:59.999+08:00',
      countsFrom: { event: 'matter-opened', at: '2026-09-28T09:00:00.000+08:00' },
    });
    await d.handle.terminate('test done');
  });
});

describe('concurrent actions', () => {
  test('are applied, and recorded, in the order they were accepted', async () => {
    const h = await start();
    await settle(h);
    const sent = await Promise.allSettled([
      h.executeUpdate(signUpdate, { args: [{ actor: housing }] }),
      h.executeUpdate(returnUpdate, { args: [{ actor: housing, reason: '属于规划审批事项' }] }),
    ]);
    // Whichever the server accepted first is applied first; the other is checked against the state
    // it left (a sign after the return is refused; a return after the sign is applied).
    const succeeded = new Set(sent.flatMap((r, i) => (r.status === 'fulfilled' ? [i === 0 ? 'sign' : 'return'] : [])));
    expect(succeeded.has('return')).toBe(true);
    await settle(h);
    const events = (await h.fetchHistory()).events ?? [];
    const accepted = events
      .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name!);
    const expected = accepted.filter((name) => succeeded.has(name)).map((name) => (name === 'sign' ? 'signed' : 'returned'));
    const order = await eventually(
      async () => {
        const types = (await timeline(h.workflowId)).filter((x) => x === 'signed' || x === 'returned');
        return types.length === expected.length ? types : undefined;
      },
      { message: 'the applied actions on the timeline' },
    );
    expect(order).toEqual(expected);
    expect((await h.query(getTaskQuery)).state).toBe('returned');
  });
});
