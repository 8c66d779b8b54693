/**
 * 进一次门、查多项事 on the time-skipping server (issue 14 §4–§5): one notice to the subject naming
 * the date, departments, items and team; a department task per department due 5 working days
 * after the visit day; a later draw joins before the visit (a new department gets its task, a
 * present one its items) and is refused after it, nothing recorded; each department's result
 * feeds the subject's credit (history kept); the end starts the publication clock, due exactly 20
 * working days after it, on the initiator's task with its ladder; publishing puts the result on
 * the public list, naming an organisation only; a recusal's re-draw replaces inspectors.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { getInspectionRow } from '../../db/inspections.js';
import { listPublicResults } from '../../db/matters.js';
import { inTransaction } from '../../db/sql.js';
import { creditHistory, registryRecord, writeSubjects } from '../../db/subject-registry.js';
import { defaultCalendar, resolveDeadline, shanghaiDate } from '../../domain/calendar/index.js';
import { dayStartMs, type Finding } from '../../domain/inspection.js';
import type { InspectionCheck, JointInspectionInput } from '../../domain/inspection-plan.js';
import type { Principal } from '../../domain/principal.js';
import type { RegistrySubject } from '../../domain/registry.js';
import { getTaskQuery, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { addChecksUpdate, getInspectionQuery, jointInspection, replaceInspectorsUpdate } from '../../workflows/joint-inspection.js';
import { eventually } from '../helpers/eventually.js';
import { useWorkflowEnv, timelineTypes, updateRefusal } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'joint-inspection' });
const county = '610124';
const DAY = 86_400_000;
const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
const STATION = '周至县某某加油站有限公司';
const PERSON = '张某某';

async function register(subject: Partial<RegistrySubject> & Pick<RegistrySubject, 'name' | 'kind'>): Promise<string> {
  const outcomes = await inTransaction(wf.db.pool, (c) =>
    writeSubjects(c, county, [{ subject: { county, township: '610124100', trade: 'refined-oil', tags: [], creditGrade: 'A', ...subject } }], 'test', '登记'),
  );
  const o = outcomes[0]!;
  if (o.outcome === 'refused') throw new Error(o.reason);
  return o.subjectId;
}

const check = (department: string, items: string[], n = 1): InspectionCheck => ({
  department,
  items,
  inspectors: [`insp-${department}-${n}`, `insp-${department}-${n + 1}`],
});

async function start(o: { subjectId: string; visitOn: string | null; checks: InspectionCheck[]; initiator?: string }) {
  const inspectionId = `inspection:${county}:2027-${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const input: JointInspectionInput = {
    inspectionId,
    county,
    subjectId: o.subjectId,
    initiator: o.initiator ?? o.checks[0]!.department,
    checks: o.checks,
    visitOn: o.visitOn,
    requestedBy: 'k-test',
  };
  return wf.client.workflow.start(jointInspection, { taskQueue: wf.taskQueue, workflowId: inspectionId, args: [input] });
}

type Inspection = WorkflowHandle<typeof jointInspection>;
async function taskOf(h: Inspection, department: string, kind: 'check' | 'publication' = 'check') {
  const ref = await eventually(async () => (await h.query(getInspectionQuery)).tasks.find((t) => t.department === department && t.kind === kind), {
    message: `${kind} task of ${department}`,
  });
  const t = wf.client.workflow.getHandle(ref.taskId);
  await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
  return { ...ref, handle: t };
}
async function record(h: Inspection, department: string, outcome: string, findings: Finding[] = []) {
  const t = await taskOf(h, department);
  if ((await t.handle.query(getTaskQuery)).state === 'assigned') await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer(department) }] });
  await t.handle.executeUpdate(submitUpdate, {
    args: [{ actor: officer(department), summary: '已检查', outcome, ...(findings.length ? { findings: JSON.stringify(findings) } : {}) }],
  });
  // Recorded with its credit (every subject here is registered), so nothing of it is still in flight.
  await eventually(async () => (await h.query(getInspectionQuery)).credit?.some((c) => c.department === department), { message: `${department} recorded` });
}
const types = (id: string) => timelineTypes(wf.db, id);
const refusal = updateRefusal;

describe('a joint inspection', () => {
  test('notice, a task per department, a draw joining before the visit and refused after it, results, credit, publication due 20 working days after the end', async () => {
    const subjectId = await register({ name: STATION, kind: 'enterprise', creditCode: '91610124MA6TG1234X' });
    const now = await wf.env.currentTimeMs();
    const visitOn = shanghaiDate(now + 10 * DAY);
    const h = await start({ subjectId, visitOn, checks: [check('market', ['SC-01']), check('ecology', ['ST-02'])] });

    // One notice: date, departments, items, team by inspector id; told to every department.
    await eventually(async () => (await types(h.workflowId)).includes('task.assigned'), { message: 'started' });
    const notice = await wf.db.pool.query<{ summary: string; data: Record<string, unknown> }>(
      "SELECT summary, data FROM timeline_events WHERE workflow_id = $1 AND type = 'notice.issued'",
      [h.workflowId],
    );
    expect(notice.rows).toHaveLength(1);
    expect(notice.rows[0]!.summary).toContain(`定于 ${visitOn} 进行现场联合检查，由市场监督管理局带队`);
    expect(notice.rows[0]!.data).toMatchObject({
      visitOn,
      initiator: 'market',
      departments: ['market', 'ecology'],
      items: ['SC-01', 'ST-02'],
      team: [
        { department: 'market', inspectors: ['insp-market-1', 'insp-market-2'] },
        { department: 'ecology', inspectors: ['insp-ecology-1', 'insp-ecology-2'] },
      ],
    });
    const told = await wf.db.pool.query<{ department: string }>(
      "SELECT department FROM notifications WHERE object_id = $1 AND kind = 'inspection.notice' ORDER BY department",
      [h.workflowId],
    );
    expect(told.rows.map((r) => r.department)).toEqual(['ecology', 'market']);

    // Each department's task: its result due 5 working days after the visit day.
    const market = await taskOf(h, 'market');
    expect(market.taskId).toBe(`${h.workflowId}/task:market:1`);
    const mt = await market.handle.query(getTaskQuery);
    expect(mt.outcomes).toEqual(['no-issue', 'rectification', 'penalty', 'clue']);
    await market.handle.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    const signed = await eventually(async () => {
      const v = await market.handle.query(getTaskQuery);
      return v.currentDeadline?.kind === 'handle' && v;
    });
    expect(signed.currentDeadline?.dueAt).toBe(resolveDeadline(dayStartMs(visitOn), { amount: 5, unit: 'working_day' }, defaultCalendar).dueAt);

    // Before the visit a later draw joins: fire is new, market gets another item.
    const joined = await h.executeUpdate(addChecksUpdate, {
      args: [{ checks: [check('fire', ['XF-01']), check('market', ['SC-03'], 3)], requestedBy: 'round-2' }],
    });
    expect(joined.departments).toEqual(['market', 'ecology', 'fire']);
    expect(joined.checks.find((c) => c.department === 'market')).toMatchObject({
      items: ['SC-01', 'SC-03'],
      inspectors: ['insp-market-1', 'insp-market-2', 'insp-market-3', 'insp-market-4'],
    });
    const fire = await taskOf(h, 'fire');
    expect(fire.taskId).toBe(`${h.workflowId}/task:fire:3`);
    const row = await wf.db.pool.query(
      'SELECT subject_id, departments, items, inspector_ids, visit_on::text, state, ended_on FROM inspections WHERE inspection_id = $1',
      [h.workflowId],
    );
    expect(row.rows[0]).toMatchObject({
      subject_id: subjectId,
      departments: ['market', 'ecology', 'fire'],
      items: ['SC-01', 'SC-03', 'ST-02', 'XF-01'],
      visit_on: visitOn,
      state: 'scheduled',
      ended_on: null,
    });

    // The visit day: inspecting; a draw joining now is refused, and nothing is recorded.
    await wf.env.sleep(11 * DAY);
    await eventually(async () => (await h.query(getInspectionQuery)).state === 'inspecting', { message: 'visit day' });
    const before = await types(h.workflowId);
    expect(await refusal(h.executeUpdate(addChecksUpdate, { args: [{ checks: [check('tax', ['SW-01'])], requestedBy: 'round-3' }] }))).toBe('WrongState');
    expect(await types(h.workflowId)).toEqual(before);
    expect((await h.query(getInspectionQuery)).departments).toEqual(['market', 'ecology', 'fire']);

    // Results: a penalty lowers the grade by one (A → B); a rectification is noted; no issue changes nothing.
    await record(h, 'market', 'penalty', [{ item: 'SC-01', description: '油品质量不合格', opens: 'matter' }]);
    await record(h, 'ecology', 'no-issue');
    expect((await h.query(getInspectionQuery)).state).toBe('inspecting');
    await record(h, 'fire', 'rectification', [{ item: 'XF-01', description: '灭火器过期' }]);
    const ended = await eventually(async () => {
      const v = await h.query(getInspectionQuery);
      return v.state === 'publishing' && !!v.publication?.taskId && v;
    });
    expect(ended.results.find((r) => r.department === 'market')).toMatchObject({
      outcome: 'penalty',
      findings: [{ item: 'SC-01', description: '油品质量不合格', opens: 'matter' }],
    });
    expect((await registryRecord(wf.db.pool, subjectId))?.creditGrade).toBe('B');
    const history = await creditHistory(wf.db.pool, subjectId);
    expect(history.map((e) => [e.from, e.grade])).toEqual([
      [null, 'A'],
      ['A', 'B'],
      ['B', 'B'],
    ]);
    expect(history[1]!.reason).toBe(`检查发现违法行为（${h.workflowId}）：信用等级下调`);
    expect(ended.credit).toEqual([
      { department: 'market', from: 'A', to: 'B' },
      { department: 'ecology', from: 'B', to: 'B' },
      { department: 'fire', from: 'B', to: 'B' },
    ]);

    // The end: publication due exactly 20 working days after it, on the initiator's task.
    const dueAt = resolveDeadline(Date.parse(ended.endedAt!), { amount: 20, unit: 'working_day' }, defaultCalendar).dueAt;
    expect(ended.publication?.dueAt).toBe(dueAt);
    expect(ended.endedOn).toBe(shanghaiDate(Date.parse(ended.endedAt!)));
    const pub = await taskOf(h, 'market', 'publication');
    await pub.handle.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    const pubSigned = await eventually(async () => {
      const v = await pub.handle.query(getTaskQuery);
      return v.currentDeadline?.kind === 'handle' && v;
    });
    expect(pubSigned.currentDeadline?.dueAt).toBe(dueAt);
    expect(await refusal(pub.handle.executeUpdate(submitUpdate, { args: [{ actor: officer('fire'), summary: '公开', outcome: 'published' }] }))).toBe(
      'Forbidden',
    );
    await pub.handle.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '已公开', outcome: 'published' }] });
    const done = await h.result();
    expect(done).toMatchObject({ state: 'published', publication: { resultId: `${h.workflowId}/result`, onTime: true } });
    const published = (await listPublicResults(wf.db.pool, { county, limit: 100 })).find((r) => r.matterId === h.workflowId);
    expect(published).toMatchObject({
      scenario: 'joint-inspection',
      subjectLabel: `${STATION}（91610124MA6TG1234X）`,
      resultCode: 'penalty',
      inspectedBy: ['market', 'ecology', 'fire'],
    });
    await eventually(async () => (await getInspectionRow(wf.db.pool, h.workflowId))?.state === 'published', { message: 'published recorded' });
    expect((await wf.db.pool.query('SELECT state, ended_on::text FROM inspections WHERE inspection_id = $1', [h.workflowId])).rows[0]).toEqual({
      state: 'published',
      ended_on: ended.endedOn,
    });
    expect(await types(h.workflowId)).toEqual([
      'notice.issued',
      ...Array(2).fill('task.assigned'),
      'checks.added',
      'task.assigned',
      'visit.day',
      ...['market', 'ecology', 'fire'].flatMap(() => ['result.recorded', 'credit.updated']),
      'inspection.ended',
      'task.assigned',
      'published',
    ]);
  });

  test('written only: no visit; a late publication climbs the initiator’s ladder; a person is never named in public', async () => {
    const subjectId = await register({ name: PERSON, kind: 'individual-business', creditGrade: 'C' });
    const h = await start({ subjectId, visitOn: null, checks: [check('market', ['SC-09'])] });
    const v0 = await eventually(async () => {
      const v = await h.query(getInspectionQuery);
      return v.tasks.length > 0 && v;
    });
    expect(v0.state).toBe('scheduled');
    await record(h, 'market', 'no-issue');
    const pub = await taskOf(h, 'market', 'publication');
    await pub.handle.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    const { publication } = await h.query(getInspectionQuery);
    for (let i = 0; i < 60; i++) {
      await wf.env.sleep(DAY);
      if ((await pub.handle.query(getTaskQuery)).escalations.some((e) => e.rung === 'red-card')) break;
    }
    // The rungs of the publication deadline itself (20 working days after the end), as every step's.
    const late = await pub.handle.query(getTaskQuery);
    expect(late.overdue).toBe(true);
    expect(late.currentDeadline?.dueAt).toBe(publication?.dueAt);
    expect(late.escalations.filter((e) => e.deadline === 'handle').map((e) => e.rung)).toEqual(['reminder', 'chase', 'yellow-card', 'red-card']);
    expect(Date.parse(late.escalations.find((e) => e.rung === 'chase')!.firedAt)).toBeGreaterThanOrEqual(Date.parse(publication!.dueAt));
    await pub.handle.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '已公开', outcome: 'published' }] });
    const done = await h.result();
    expect(done.publication?.onTime).toBe(false);
    expect((await registryRecord(wf.db.pool, subjectId))?.creditGrade).toBe('C');
    const published = (await listPublicResults(wf.db.pool, { county, limit: 100 })).find((r) => r.matterId === h.workflowId);
    expect(published?.subjectLabel).toBe('双随机抽查对象（周至县）');
    expect(JSON.stringify(published)).not.toContain(PERSON);
  });

  test('a recusal’s re-draw replaces a department’s inspectors; wrong ones are refused with nothing recorded', async () => {
    const subjectId = await register({ name: `${STATION}二`, kind: 'enterprise', creditCode: '91610124MA6TH5678Y' });
    const visitOn = shanghaiDate((await wf.env.currentTimeMs()) + 5 * DAY);
    const h = await start({ subjectId, visitOn, checks: [check('market', ['SC-01']), check('ecology', ['ST-02'])] });
    await taskOf(h, 'ecology');
    await eventually(async () => (await types(h.workflowId)).length === 3, { message: 'both tasks recorded' });
    const args = { department: 'market', removed: ['insp-market-1'], added: ['insp-market-9'], counter: 1, requestedBy: 'k-round' };
    const before = await types(h.workflowId);
    expect(await refusal(h.executeUpdate(replaceInspectorsUpdate, { args: [{ ...args, department: 'tax' }] }))).toBe('InvalidInput');
    expect(await refusal(h.executeUpdate(replaceInspectorsUpdate, { args: [{ ...args, removed: ['insp-x'] }] }))).toBe('InvalidInput');
    expect(await types(h.workflowId)).toEqual(before);
    const v = await h.executeUpdate(replaceInspectorsUpdate, { args: [args] });
    expect(v.checks[0]!.inspectors).toEqual(['insp-market-2', 'insp-market-9']);
    expect(v.inspectorIds).toEqual(['insp-market-2', 'insp-market-9', 'insp-ecology-1', 'insp-ecology-2']);
    expect(v.recusals).toMatchObject([{ department: 'market', removed: ['insp-market-1'], added: ['insp-market-9'], counter: 1 }]);
    await eventually(async () => (await getInspectionRow(wf.db.pool, h.workflowId))?.inspectorIds.includes('insp-market-9'), { message: 'row' });
    // After the department recorded, its team is final.
    await record(h, 'ecology', 'no-issue');
    expect(
      await refusal(
        h.executeUpdate(replaceInspectorsUpdate, { args: [{ ...args, department: 'ecology', removed: ['insp-ecology-1'], added: ['insp-ecology-7'] }] }),
      ),
    ).toBe('WrongState');
    await h.cancel();
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'cancelled', { message: 'cancelled recorded' });
    expect((await getInspectionRow(wf.db.pool, h.workflowId))?.state).toBe('cancelled');
  });
});
