import { randomUUID } from 'node:crypto';
import { CancelledFailure, WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { addWorkingDays, resolveDeadline, shanghaiDate, shiftByWorkingDays } from '../../domain/calendar/index.js';
import type { Principal } from '../../domain/principal.js';
import type { DepartmentTaskInputDraft } from '../../domain/task.js';
import {
  cancelUpdate,
  decideExtensionUpdate,
  departmentTask,
  getTaskQuery,
  requestExtensionUpdate,
  returnUpdate,
  reviewUpdate,
  signUpdate,
  submitUpdate,
} from '../../workflows/department-task.js';
import { settle } from '../helpers/history.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { eventually } from '../helpers/eventually.js';

const county = '610124';
const housing: Principal = { keyId: 'k-housing', county, department: 'housing', roles: ['officer'] };
const market: Principal = { keyId: 'k-market', county, department: 'market', roles: ['officer'] };
const lead: Principal = { keyId: 'k-commerce', county, department: 'commerce', roles: ['officer'] };
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 09:00 +08:00 on a Shanghai date: when day-scale rungs are delivered (office hours). */
const morning = (date: string) => Date.parse(`${date}T09:00:00.000+08:00`);

// A Worker per test (`withWorker`), each on a fresh queue: what a test leaves open has no worker
// afterwards, so it does not act while later tests skip time.
const wf = useWorkflowEnv({ queue: 'tq', worker: 'test' });
const { withWorker } = wf;

function input(overrides: Partial<DepartmentTaskInputDraft> = {}): DepartmentTaskInputDraft {
  return {
    county,
    department: 'housing',
    leadDepartment: 'commerce',
    title: '核查某自建房安全隐患',
    instructions: '现场核查并反馈',
    ...overrides,
  };
}

async function start(overrides: Partial<DepartmentTaskInputDraft> = {}) {
  const workflowId = `task:${county}:housing:test-${randomUUID().slice(0, 8)}`;
  return wf.client.workflow.start(departmentTask, { taskQueue: wf.taskQueue, workflowId, args: [input(overrides)] });
}

/**
 * History events other than workflow-task bookkeeping. The Java test server, unlike a real
 * server, persists the speculative workflow task that carried a rejected update; what matters is
 * that the update left nothing of its own (no UpdateAccepted, no activity, no timer change).
 */
async function meaningfulEvents(h: WorkflowHandle): Promise<string[]> {
  const events = (await h.fetchHistory()).events ?? [];
  return events.map((e) => String(e.eventType)).filter((t) => !/WORKFLOW_TASK_(SCHEDULED|STARTED|COMPLETED)|^(5|6|7)$/.test(t));
}

/** Asserts an update is refused with `type` and that it left history and state untouched. */
async function expectRefused(h: WorkflowHandle, run: () => Promise<unknown>, type: string) {
  await settle(h);
  const before = await meaningfulEvents(h);
  const stateBefore = await h.query(getTaskQuery);
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type });
  await settle(h);
  expect(await meaningfulEvents(h)).toEqual(before);
  expect(await h.query(getTaskQuery)).toEqual(stateBefore);
}

async function readModel(taskId: string) {
  const row = await wf.db.pool.query('SELECT state, overdue, escalation_level, due_at FROM tasks WHERE task_id = $1', [taskId]);
  const timeline = await wf.db.pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [taskId]);
  return { row: row.rows[0], timeline: timeline.rows.map((r) => r.type as string) };
}

describe('departmentTask', () => {
  test('assigned → signed → submitted → completed, with deadlines from the calendar and a read model', async () => {
    await withWorker(async () => {
      const h = await start();
      const t0 = await wf.env.currentTimeMs();
      // The assignment (with its deadline) is the task's first recorded event: wait for it.
      const assigned = await eventually(
        async () => {
          const v = await h.query(getTaskQuery);
          return v.lastEventSeq >= 1 ? v : undefined;
        },
        { message: 'the assignment recorded' },
      );
      expect(assigned.state).toBe('assigned');
      // Sign-for: 1 working day from assignment, ending at the end of that day (+08:00).
      expect(assigned.currentDeadline).toMatchObject({
        kind: 'sign-for',
        dueAt: resolveDeadline(t0, { amount: 1, unit: 'working_day', startsFrom: 'assignment' }).dueAt,
      });
      expect(assigned.currentDeadline?.dueAt).toMatch(/T23:59:59\.999\+08:00$/);

      const signed = await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      expect(signed.state).toBe('signed');
      expect(signed.currentDeadline?.kind).toBe('handle');
      const submitted = await h.executeUpdate(submitUpdate, {
        args: [{ actor: housing, summary: '已现场核查，存在一般隐患', outcome: 'hazard', evidence: [{ name: '现场照片', sha256: 'a'.repeat(64) }] }],
      });
      expect(submitted.state).toBe('submitted');
      // The lead's review has its clock: 2 working days from the submission.
      expect(submitted.currentDeadline).toMatchObject({
        kind: 'review',
        dueAt: resolveDeadline(submitted.submittedAt!, { amount: 2, unit: 'working_day' }).dueAt,
        countsFrom: { event: 'submission', at: submitted.submittedAt },
      });
      const done = await h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'accept', comment: '同意' }] });
      expect(done.state).toBe('completed');
      const result = await h.result();
      expect(result).toMatchObject({ state: 'completed', department: 'housing', submission: { outcome: 'hazard' } });

      const { row, timeline } = await readModel(h.workflowId);
      expect(row).toMatchObject({ state: 'completed', overdue: false });
      expect(timeline).toEqual(['assigned', 'signed', 'submitted', 'completed']);
      const notes = await wf.db.pool.query('SELECT kind, department FROM notifications WHERE object_id = $1 ORDER BY id', [h.workflowId]);
      expect(notes.rows).toEqual([
        { kind: 'task.assigned', department: 'housing' },
        { kind: 'task.submitted', department: 'commerce' },
      ]);
    });
  });

  test('the sign-for ladder: each rung fires at its time, once, with notifications', async () => {
    await withWorker(async () => {
      const h = await start({
        limits: { signFor: { amount: 1, unit: 'working_day', startsFrom: 'assignment' }, handle: { amount: 5, unit: 'working_day', startsFrom: 'sign-for' } },
      });
      const t0 = await wf.env.currentTimeMs();
      const due = resolveDeadline(t0, { amount: 1, unit: 'working_day', startsFrom: 'assignment' }).dueAtMs;
      // Office hours (DOMAIN §10): a rung n working days from the deadline's day fires at 09:00
      // +08:00 of that working day; the chase (n = 0) on the first working morning after it.
      const at = (n: number) => morning(addWorkingDays(shanghaiDate(due), n === 0 ? 1 : n));

      const sleepUntil = async (ms: number) => wf.env.sleep(Math.max(ms - (await wf.env.currentTimeMs()), 1));
      await sleepUntil(due - HOUR);
      let v = await h.query(getTaskQuery);
      expect(v.overdue).toBe(false);
      expect(v.escalations.filter((e) => e.rung !== 'reminder')).toEqual([]);

      // The deadline passes at the end of its day: overdue at once (recorded), chased next morning.
      await sleepUntil(due + HOUR);
      v = await h.query(getTaskQuery);
      expect(v.overdue).toBe(true);
      expect(v.escalations.filter((e) => e.rung !== 'reminder')).toEqual([]);
      await sleepUntil(at(0) + HOUR);
      expect((await h.query(getTaskQuery)).escalationLevel).toBe(2); // chased
      await sleepUntil(at(3) - HOUR);
      expect((await h.query(getTaskQuery)).escalationLevel).toBe(2);
      await sleepUntil(at(3) + HOUR);
      expect((await h.query(getTaskQuery)).escalationLevel).toBe(3); // yellow card
      await sleepUntil(at(5) + HOUR);
      expect((await h.query(getTaskQuery)).escalationLevel).toBe(4); // red card
      await sleepUntil(at(10) + HOUR);
      v = await h.query(getTaskQuery);
      expect(v.escalationLevel).toBe(5); // escalated to the city
      // After the last rung the department is chased every working morning until it acts.
      await sleepUntil(at(13) + HOUR);
      v = await h.query(getTaskQuery);
      const rungs = v.escalations.map((e) => e.rung);
      expect(rungs.filter((r) => r !== 'reminder' && r !== 'daily-chase')).toEqual(['chase', 'yellow-card', 'red-card', 'escalation']);
      const expected = { chase: at(0), 'yellow-card': at(3), 'red-card': at(5), escalation: at(10) };
      for (const e of v.escalations.filter((x) => x.rung in expected)) {
        expect(Math.abs(new Date(e.firedAt).getTime() - expected[e.rung as keyof typeof expected])).toBeLessThan(2000);
      }
      const daily = v.escalations.filter((e) => e.rung === 'daily-chase').map((e) => Date.parse(e.firedAt));
      expect(daily).toHaveLength(3);
      daily.forEach((ms, i) => expect(Math.abs(ms - at(11 + i))).toBeLessThan(2000));
      const timeline = (await readModel(h.workflowId)).timeline;
      expect(timeline.filter((t) => t === 'overdue')).toHaveLength(1);
      expect(timeline.filter((t) => t === 'ladder.daily-chase')).toHaveLength(3);

      const notes = await wf.db.pool.query(
        'SELECT kind, county, department, role FROM notifications WHERE object_id = $1 AND kind LIKE $2 ORDER BY created_at, id',
        [h.workflowId, 'ladder.%'],
      );
      expect(notes.rows.filter((n) => n.kind !== 'ladder.reminder' && n.kind !== 'ladder.daily-chase')).toEqual([
        { kind: 'ladder.chase', county, department: 'housing', role: null },
        { kind: 'ladder.yellow-card', county, department: 'housing', role: null },
        { kind: 'ladder.yellow-card', county, department: 'commerce', role: null },
        { kind: 'ladder.red-card', county, department: null, role: 'supervisor' },
        { kind: 'ladder.red-card', county, department: 'county-government', role: null },
        { kind: 'ladder.escalation', county: '610100', department: null, role: 'supervisor' },
      ]);
      const { row } = await readModel(h.workflowId);
      expect(row).toMatchObject({ state: 'assigned', overdue: true, escalation_level: 5 });
      await h.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '测试结束' }] });
    });
  });

  test('a reminder fires one working day before a longer handling deadline', async () => {
    await withWorker(async () => {
      const h = await start({
        limits: { signFor: { amount: 1, unit: 'working_day', startsFrom: 'assignment' }, handle: { amount: 5, unit: 'working_day', startsFrom: 'sign-for' } },
      });
      const signed = await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      const due = new Date(signed.currentDeadline!.dueAt).getTime();
      const reminderAt = morning(addWorkingDays(shanghaiDate(due), -1)); // office hours, the working day before
      await wf.env.sleep(reminderAt - (await wf.env.currentTimeMs()) - HOUR);
      expect((await h.query(getTaskQuery)).escalations).toEqual([]);
      await wf.env.sleep(2 * HOUR);
      const v = await h.query(getTaskQuery);
      expect(v.escalations.map((e) => [e.rung, e.deadline])).toEqual([['reminder', 'handle']]);
      expect(v.overdue).toBe(false);
      await h.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '测试结束' }] });
    });
  });

  test('an approved extension moves the deadline and the timers', async () => {
    await withWorker(async () => {
      const h = await start();
      const signed = await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      const oldDue = new Date(signed.currentDeadline!.dueAt).getTime();
      const ext = await h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 3, reason: '需补充检测' }] });
      expect(ext).toMatchObject({ id: 'ext-1', status: 'pending' });
      await expectRefused(h, () => h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 2, reason: '再次' }] }), 'ExtensionPending');
      await expectRefused(h, () => h.executeUpdate(decideExtensionUpdate, { args: [{ actor: market, extensionId: 'ext-1', approve: true }] }), 'Forbidden');
      const decided = await h.executeUpdate(decideExtensionUpdate, { args: [{ actor: lead, extensionId: 'ext-1', approve: true, comment: '同意' }] });
      const newDue = shiftByWorkingDays(oldDue, 3).dueAtMs;
      expect(decided).toMatchObject({ status: 'approved', previousDueAt: signed.currentDeadline!.dueAt });
      expect(new Date(decided.newDueAt!).getTime()).toBe(newDue);

      // Past the old deadline: not overdue, no chase.
      await wf.env.sleep(oldDue - (await wf.env.currentTimeMs()) + HOUR);
      let v = await h.query(getTaskQuery);
      expect(v.overdue).toBe(false);
      expect(v.escalations.filter((e) => e.rung !== 'reminder')).toEqual([]);
      // Past the new one: overdue, and chased once, the next working morning.
      await wf.env.sleep(morning(addWorkingDays(shanghaiDate(newDue), 1)) - (await wf.env.currentTimeMs()) + HOUR);
      v = await h.query(getTaskQuery);
      expect(v.overdue).toBe(true);
      expect(v.escalations.filter((e) => e.rung === 'chase')).toHaveLength(1);
      // No extension once the deadline has passed.
      await expectRefused(h, () => h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 1, reason: '晚了' }] }), 'DeadlinePassed');
      await h.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '测试结束' }] });
    });
  });

  test('rework sends the task back with a fresh handling clock', async () => {
    await withWorker(async () => {
      const h = await start();
      await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '初步核查' }] });
      await wf.env.sleep(2 * DAY);
      const reworked = await h.executeUpdate(reviewUpdate, { args: [{ actor: supervisor, decision: 'rework', comment: '缺少鉴定结论' }] });
      expect(reworked.state).toBe('rework');
      const now = await wf.env.currentTimeMs();
      expect(reworked.currentDeadline).toMatchObject({
        kind: 'handle',
        dueAt: resolveDeadline(now, { amount: 5, unit: 'working_day', startsFrom: 'previous-step' }).dueAt,
      });
      await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '补充鉴定结论' }] });
      await h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'accept', comment: '同意' }] });
      expect((await h.result()).state).toBe('completed');
      const { timeline } = await readModel(h.workflowId);
      // The two days in review may bring the review clock's reminder (depending on the weekday):
      // the actions themselves are these, in this order.
      expect(timeline.filter((t) => !t.startsWith('ladder.'))).toEqual(['assigned', 'signed', 'submitted', 'rework', 'submitted', 'completed']);
    });
  });

  test('return ends the task and tells the parent why', async () => {
    await withWorker(async () => {
      const h = await start();
      const returned = await h.executeUpdate(returnUpdate, {
        args: [{ actor: housing, reason: '属于规划审批事项', suggestedDepartment: 'natural-resources' }],
      });
      expect(returned.state).toBe('returned');
      expect(await h.result()).toMatchObject({ state: 'returned', returned: { reason: '属于规划审批事项', suggestedDepartment: 'natural-resources' } });
      const notes = await wf.db.pool.query('SELECT kind, department, role FROM notifications WHERE object_id = $1 AND kind = $2 ORDER BY id', [
        h.workflowId,
        'task.returned',
      ]);
      expect(notes.rows).toEqual([
        { kind: 'task.returned', department: 'commerce', role: null },
        { kind: 'task.returned', department: null, role: 'supervisor' },
      ]);
    });
  });

  test('cancellation: by a supervisor, and when the run is cancelled (parent closed)', async () => {
    await withWorker(async () => {
      const a = await start();
      await expectRefused(a, () => a.executeUpdate(cancelUpdate, { args: [{ actor: housing, reason: '自己撤销' }] }), 'Forbidden');
      await a.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '重复派单' }] });
      expect(await a.result()).toMatchObject({ state: 'cancelled' });

      const b = await start();
      await b.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await b.cancel();
      const err = await b.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect((await b.query(getTaskQuery)).state).toBe('cancelled');
      const { row, timeline } = await readModel(b.workflowId);
      expect(row.state).toBe('cancelled');
      expect(timeline.at(-1)).toBe('cancelled');
    });
  });

  test('invalid updates are refused without a history event', async () => {
    await withWorker(async () => {
      const h = await start();
      // another department
      await expectRefused(h, () => h.executeUpdate(signUpdate, { args: [{ actor: market }] }), 'Forbidden');
      // another county's officer of the same department
      await expectRefused(h, () => h.executeUpdate(signUpdate, { args: [{ actor: { ...housing, county: '610122' } }] }), 'Forbidden');
      // wrong state
      await expectRefused(h, () => h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '未签收先提交' }] }), 'WrongState');
      await expectRefused(h, () => h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'accept', comment: 'x' }] }), 'WrongState');
      // bad input
      await expectRefused(h, () => h.executeUpdate(returnUpdate, { args: [{ actor: housing, reason: '' }] }), 'InvalidInput');
      await expectRefused(h, () => h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 2, reason: '未签收' }] }), 'WrongState');
      await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await expectRefused(h, () => h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 11, reason: '太长' }] }), 'InvalidInput');
      await expectRefused(h, () => h.executeUpdate(signUpdate, { args: [{ actor: housing }] }), 'WrongState');
      await expectRefused(
        h,
        () => h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: 'x', evidence: [{ name: 'a', sha256: 'nothex' }] }] } as never),
        'InvalidInput',
      );
      await h.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '测试结束' }] });
    });
  });
});
