/**
 * The clue loop (DOMAIN §6) on the time-skipping server: dispatch by the catalogue or by the 12345
 * office, return and re-dispatch up to the designation, the category's clocks, co-handlers, the
 * reply as the lead's submission, the visit-back and its clock, handled again, a supervisor's
 * decision; the read model and the timeline as an auditor reads them.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import type { ClueInputDraft } from '../../domain/clue.js';
import type { Principal } from '../../domain/principal.js';
import { clue, decideClueUpdate, dispatchClueUpdate, getClueQuery, visitClueUpdate } from '../../workflows/clue.js';
import { getTaskQuery, returnUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { eventually } from '../helpers/eventually.js';
import { settle } from '../helpers/history.js';
import { useWorkflowEnv, timelineTypes, updateRefusal } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'clue' });
const county = '610124';
const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
const office = officer('gov-services');
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };

async function start(over: Partial<ClueInputDraft> = {}) {
  return wf.client.workflow.start(clue, {
    taskQueue: wf.taskQueue,
    workflowId: `clue:${county}:2026-${randomUUID().slice(0, 8)}`,
    args: [{ county, channel: '12345', ref: 'GD2026120100001', category: 'complaint', urgency: 'normal', content: '某培训机构停课不退费', ...over }],
  });
}

type Clue = WorkflowHandle<typeof clue>;
/** The clue's `n`-th task (1-based) once it is assigned. */
async function task(h: Clue, n: number) {
  const ref = await eventually(async () => (await h.query(getClueQuery)).tasks[n - 1], { message: `task ${n} of ${h.workflowId}` });
  const t = wf.client.workflow.getHandle(ref.taskId);
  await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
  return { ...ref, handle: t };
}
async function answer(t: { department: string; handle: WorkflowHandle }, summary: string) {
  await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer(t.department) }] });
  await t.handle.executeUpdate(submitUpdate, { args: [{ actor: officer(t.department), summary }] });
}
const untilState = (h: Clue, state: string) =>
  eventually(async () => ((await h.query(getClueQuery)).state === state ? true : undefined), { message: `${h.workflowId} ${state}` });
const types = (id: string) => timelineTypes(wf.db, id);
const refusal = updateRefusal;

describe('a clue from intake to visit-back', () => {
  test('dispatched by the catalogue to the lead and a co-handler; the lead’s submission is the reply; satisfied → closed', async () => {
    const h = await start({ dispatch: { ruleId: 'training-school', lead: 'education', coHandlers: ['market'] } });
    const lead = await task(h, 1);
    const co = await task(h, 2);
    expect([lead.department, lead.role, co.department, co.role]).toEqual(['education', 'lead', 'market', 'co-handler']);
    const v = await lead.handle.query(getTaskQuery);
    // A complaint: signed for within 1 working day, handled within 15 from sign-for; returnable within 1.
    expect(v.currentDeadline).toMatchObject({ kind: 'sign-for', countsFrom: { event: 'assignment' } });
    expect(v.title).toBe('办理并答复：投诉（GD2026120100001）');
    await answer(lead, '已责令退费');
    // The answer waits for the co-handler's verification.
    await settle(h);
    expect((await h.query(getClueQuery)).state).toBe('handling');
    expect((await h.query(getClueQuery)).reply).toBeUndefined();
    await answer(co, '核实属实');
    await untilState(h, 'replied');
    const replied = await h.query(getClueQuery);
    expect(replied.reply).toMatchObject({ summary: '已责令退费', department: 'education' });
    expect(replied.visitDueAt).toMatch(/T23:59:59\.999\+08:00$/);
    expect(await refusal(h.executeUpdate(visitClueUpdate, { args: [{ actor: officer('education'), satisfaction: 'satisfied' }] }))).toBe('Forbidden');
    const closed = await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'satisfied' }] });
    expect(closed.visits.map((x) => x.satisfaction)).toEqual(['satisfied']);
    const end = await h.result();
    expect(end.state).toBe('closed');
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual(['received', 'dispatched', 'task.assigned', 'task.assigned', 'replied', 'visited', 'closed']);
    const row = await wf.db.pool.query('SELECT state, department FROM clues WHERE clue_id = $1', [h.workflowId]);
    expect(row.rows).toEqual([{ state: 'closed', department: 'education' }]);
  });

  test('no match: the office dispatches; returned twice, the third dispatch designates and cannot be returned; unsatisfied twice → a supervisor closes it', async () => {
    const h = await start({ category: 'report', content: '路边有人倾倒垃圾' });
    await untilState(h, 'dispatching');
    expect(await refusal(h.executeUpdate(dispatchClueUpdate, { args: [{ actor: officer('market'), department: 'ecology' }] }))).toBe('Forbidden');
    for (const [n, department] of [
      [1, 'ecology'],
      [2, 'urban-management'],
    ] as const) {
      await h.executeUpdate(dispatchClueUpdate, { args: [{ actor: office, department }] });
      const t = await task(h, n);
      await t.handle.executeUpdate(returnUpdate, { args: [{ actor: officer(department), reason: '不属本部门职责' }] });
      await untilState(h, 'dispatching');
    }
    const third = await h.executeUpdate(dispatchClueUpdate, { args: [{ actor: office, department: 'ecology' }] });
    expect(third.dispatches.map((d) => [d.department, d.by, d.designated, d.returned?.reason ?? null])).toEqual([
      ['ecology', 'office', false, '不属本部门职责'],
      ['urban-management', 'office', false, '不属本部门职责'],
      ['ecology', 'office', true, null],
    ]);
    const designated = await task(h, 3);
    expect(await refusal(designated.handle.executeUpdate(returnUpdate, { args: [{ actor: officer('ecology'), reason: '不属本部门职责' }] }))).toBe(
      'NotReturnable',
    );
    await answer(designated, '已清理');
    await untilState(h, 'replied');
    await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'unsatisfied', note: '仍有垃圾' }] });
    // Handled once more by the department that answered.
    const again = await task(h, 4);
    expect([again.department, again.round]).toEqual(['ecology', 2]);
    await answer(again, '已再次清理并设置监控');
    await untilState(h, 'replied');
    await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'unsatisfied' }] });
    await untilState(h, 'deciding');
    expect(await refusal(h.executeUpdate(decideClueUpdate, { args: [{ actor: office, decision: 'close', reason: '已办理两次' }] }))).toBe('Forbidden');
    await h.executeUpdate(decideClueUpdate, { args: [{ actor: supervisor, decision: 'close', reason: '已依法处理两次，诉求超出职责' }] });
    expect((await h.result()).state).toBe('closed');
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual([
      'received',
      'dispatch.awaited',
      'dispatched',
      'task.assigned',
      'returned',
      'dispatch.awaited',
      'dispatched',
      'task.assigned',
      'returned',
      'dispatch.awaited',
      'dispatched',
      'task.assigned',
      'replied',
      'visited',
      'task.assigned',
      'replied',
      'visited',
      'decided',
      'closed',
    ]);
  });

  test('an emergency is signed for within 15 minutes, through holidays; a consultation handled within 3 working days', async () => {
    const h = await start({ urgency: 'emergency', category: 'consultation', dispatch: { ruleId: 'r', lead: 'housing', coHandlers: [] } });
    const t = await task(h, 1);
    const v = await t.handle.query(getTaskQuery);
    expect(Date.parse(v.currentDeadline!.dueAt) - Date.parse(v.assignedAt)).toBe(15 * 60_000);
    await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer('housing') }] });
    const signed = await eventually(async () => {
      const now = await t.handle.query(getTaskQuery);
      return now.currentDeadline?.kind === 'handle' && now;
    });
    expect(signed.currentDeadline).toMatchObject({ kind: 'handle', countsFrom: { event: 'sign-for' } });
    await h.cancel();
  });

  test('a visit-back not made in 3 working days is recorded and told to the office and the supervisors', async () => {
    const h = await start({ dispatch: { ruleId: 'r', lead: 'housing', coHandlers: [] } });
    await answer(await task(h, 1), '已处理');
    await untilState(h, 'replied');
    const { visitDueAt } = await h.query(getClueQuery);
    await wf.env.sleep(Date.parse(visitDueAt!) - (await wf.env.currentTimeMs()) + 3_600_000);
    await settle(h);
    await eventually(async () => (await types(h.workflowId)).includes('visit.overdue'), { message: 'visit.overdue recorded' });
    const told = await wf.db.pool.query<{ department: string | null; role: string | null }>(
      "SELECT department, role FROM notifications WHERE object_id = $1 AND kind = 'clue.visit-overdue' ORDER BY department NULLS LAST",
      [h.workflowId],
    );
    expect(told.rows.map((r) => r.department ?? r.role)).toEqual(['gov-services', 'supervisor']);
    // Still open for the visit.
    await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'basically' }] });
    expect((await h.result()).state).toBe('closed');
  });

  test('a task cancelled outside the API is issued again to the same department; a lead that returns it takes its co-handlers’ tasks with it', async () => {
    const h = await start({ dispatch: { ruleId: 'r', lead: 'housing', coHandlers: ['fire'] } });
    const first = await task(h, 1);
    await task(h, 2);
    // Cancelled as from the Temporal UI (the time-skipping server never tells a parent of a termination).
    await first.handle.cancel();
    const reissued = await task(h, 3);
    expect([reissued.department, reissued.role]).toEqual(['housing', 'lead']);
    await reissued.handle.executeUpdate(returnUpdate, { args: [{ actor: officer('housing'), reason: '属消防职责' }] });
    await untilState(h, 'dispatching');
    const v = await h.query(getClueQuery);
    expect(v.tasks.map((t) => [t.department, t.role, t.state])).toEqual([
      ['housing', 'lead', 'cancelled'],
      ['fire', 'co-handler', 'cancelled'],
      ['housing', 'lead', 'returned'],
      ['fire', 'co-handler', 'cancelled'],
    ]);
    expect((await types(h.workflowId)).filter((t) => t === 'task.interrupted')).toEqual(['task.interrupted']);
    await h.cancel();
  });
});
