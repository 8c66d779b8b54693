/**
 * Rounds end to end (issue 14 §3), on the real dev server and PostgreSQL through HTTP: a round
 * started by hand (idempotent), its seed recorded before its snapshot, counts per grade pinned for
 * a fixture registry, the draw read and verified, a tampered snapshot found out, a subject's
 * recusal answered with a logged re-draw that still verifies, and a round started by the plan's
 * Schedule (`trigger`).
 */
import { describe, expect, test } from 'vitest';
import { ensurePlanSchedule } from '../../api/plan-schedule.js';
import { eventually } from '../helpers/eventually.js';
import { insertInspectors, insertItem, insertPlan, insertSubjects, subjectIdOf, type TestPlan } from '../helpers/plans.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-rounds',
  keys: {
    supervisor: { county, roles: ['supervisor'] },
    auditor: { county, roles: ['auditor'] },
    market: { county, department: 'market', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
    emergency: { county, department: 'emergency', roles: ['officer'] },
    operator: { county, roles: ['operator'] },
    otherCounty: { county: '610122', roles: ['supervisor'] },
  },
});
const { call } = stack;

const plan = (n: number, o: Partial<TestPlan> = {}): TestPlan => ({
  planId: `plan:${county}:2026-000${n}`,
  county,
  year: 2026,
  name: '餐饮服务食品安全双随机抽查',
  lead: 'market',
  cooperating: ['commerce'],
  items: ['food-safety'],
  target: {},
  ratios: { A: 0.05, B: 0.2, C: 0.6, D: 1 },
  frequency: 'once',
  window: { from: '2026-12-01', to: '2026-12-31' },
  ...o,
});

type Round = { state: string; grades: Record<string, { eligible: number; planned: number; drawn: number }>; [k: string]: any };
const launched = (roundId: string) =>
  eventually(
    async () => {
      const r = await call('supervisor', 'GET', `/v1/rounds/${roundId}`);
      return r.status === 200 && r.body.state === 'launched' ? (r.body as Round) : undefined;
    },
    { message: `round ${roundId} launched`, timeoutMs: 60_000 },
  );

/** Every inspection the first round launched has recorded itself (the jointInspection workflow): the worker has settled. */
const recorded = (n: number) =>
  eventually(async () => Number((await stack.db.pool.query("SELECT count(*) AS n FROM inspections WHERE state = 'scheduled'")).rows[0].n) >= n || undefined, {
    message: `${n} inspections recorded as scheduled`,
    timeoutMs: 90_000,
  });

describe('a round of a plan', () => {
  let roundId = '';

  test('started by hand: the seed before the snapshot, the counts per grade, one inspection per drawn subject; a retry is the same round', async () => {
    const db = stack.db.pool;
    await insertItem(db, { county, itemId: 'food-safety', lead: 'market', cooperating: ['commerce'] });
    await insertSubjects(db, county, { A: 10, B: 10, C: 10, D: 10 });
    await insertInspectors(db, county, 'market', 4);
    await insertInspectors(db, county, 'commerce', 3);
    await insertPlan(db, plan(1));

    expect((await call('commerce', 'POST', `/v1/plans/${plan(1).planId}/rounds`)).status).toBe(403); // a cooperating department does not start rounds
    expect((await call('otherCounty', 'POST', `/v1/plans/${plan(1).planId}/rounds`)).status).toBe(404);
    const first = await call('market', 'POST', `/v1/plans/${plan(1).planId}/rounds`, undefined, { 'idempotency-key': 'round-one-0001' });
    expect(first).toEqual({ status: 201, body: { roundId: `plan:${county}:2026-0001~round:1` } });
    const again = await call('market', 'POST', `/v1/plans/${plan(1).planId}/rounds`, undefined, { 'idempotency-key': 'round-one-0001' });
    expect(again).toEqual({ status: 200, body: first.body });
    roundId = first.body.roundId;

    const round = await launched(roundId);
    expect(round.grades).toEqual({
      A: { eligible: 10, planned: 1, drawn: 1 },
      B: { eligible: 10, planned: 2, drawn: 2 },
      C: { eligible: 10, planned: 6, drawn: 6 },
      D: { eligible: 10, planned: 10, drawn: 10 },
    });
    expect(round).toMatchObject({
      drawn: 19,
      skipped: 0,
      launched: { started: 19, merged: 0 },
      recusals: 0,
      publishedValue: `${plan(1).planId}|${round.scheduledOn}`,
    });
    expect(Date.parse(round.seededAt)).toBeLessThanOrEqual(Date.parse(round.snapshotAt));
    expect(Date.parse(round.snapshotAt)).toBeLessThanOrEqual(Date.parse(round.drawnAt));
    expect(round.visitOn >= round.scheduledOn && round.visitOn <= '2026-12-31').toBe(true);
    expect((await call('operator', 'GET', `/v1/rounds/${roundId}`)).status).toBe(404);
    expect((await call('otherCounty', 'GET', `/v1/rounds/${roundId}`)).status).toBe(404);

    // One jointInspection per drawn subject, started under the id the round allocated for it, exactly once.
    const launches = (
      await db.query('SELECT subject_id, inspection_id, kind, delivered FROM round_launches WHERE round_id = $1 ORDER BY subject_id', [
        roundId.replace('~', '/'),
      ])
    ).rows;
    expect(launches).toHaveLength(19);
    expect(new Set(launches.map((l) => l.inspection_id)).size).toBe(19);
    expect(launches.every((l) => l.kind === 'started' && l.delivered)).toBe(true);
    const described = await stack.client.workflow.getHandle(launches[0].inspection_id).describe();
    expect(described.type).toBe('jointInspection');
  });

  test('the draw as recorded: ≥ 2 inspectors of each department per subject, and it verifies', async () => {
    const draw = await call('auditor', 'GET', `/v1/rounds/${roundId}/draw`);
    expect(draw.status).toBe(200);
    expect(draw.body.seed).toMatch(/^[0-9a-f]{64}$/);
    expect(draw.body.subjects).toHaveLength(19);
    for (const s of draw.body.subjects) {
      expect(s.inspectors.market).toHaveLength(2);
      expect(s.inspectors.commerce).toHaveLength(2);
    }
    expect(draw.body.subjects.filter((s: { creditGrade: string }) => s.creditGrade === 'D')).toHaveLength(10);
    expect(await call('auditor', 'POST', `/v1/rounds/${roundId}/draw/verify`)).toEqual({ status: 200, body: { reproduced: true } });
  });

  test('a subject’s application for recusal: a logged re-draw, the draw still verifies; a stranger to the team is refused', async () => {
    const db = stack.db.pool;
    await recorded(19);
    const before = (await call('supervisor', 'GET', `/v1/rounds/${roundId}/draw`)).body;
    const subject = before.subjects[0];
    const inspectionId = (await db.query('SELECT inspection_id FROM round_launches WHERE subject_id = $1', [subject.subjectId])).rows[0].inspection_id;
    const recused = subject.inspectors.market[0];
    const body = { department: 'market', inspectors: [recused], reason: '检查人员与企业负责人系近亲属' };
    const notOnTeam = ['I-market-1', 'I-market-2', 'I-market-3', 'I-market-4'].find((i) => !subject.inspectors.market.includes(i))!;
    const refused = await call('market', 'POST', `/v1/inspections/${inspectionId}/recusal`, { ...body, inspectors: [notOnTeam] });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'not-in-team' } } });
    expect((await call('supervisor', 'POST', `/v1/inspections/${inspectionId}/recusal`, body)).status).toBe(403);

    const res = await call('market', 'POST', `/v1/inspections/${inspectionId}/recusal`, body, { 'idempotency-key': 'recusal-0001' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ roundId, counter: 1, subjectId: subject.subjectId, department: 'market', removed: [recused] });
    expect(res.body.added).toHaveLength(1);
    expect(subject.inspectors.market).not.toContain(res.body.added[0]);
    const retry = await call('market', 'POST', `/v1/inspections/${inspectionId}/recusal`, body, { 'idempotency-key': 'recusal-0001' });
    expect(retry).toEqual(res);

    const after = (await call('supervisor', 'GET', `/v1/rounds/${roundId}/draw`)).body;
    expect(after.recusals).toEqual([{ counter: 1, subjectId: subject.subjectId, department: 'market', removed: [recused], added: res.body.added }]);
    expect(after.subjects[0].inspectors.market).toEqual([...subject.inspectors.market.filter((i: string) => i !== recused), ...res.body.added].sort());
    expect(await call('auditor', 'POST', `/v1/rounds/${roundId}/draw/verify`)).toEqual({ status: 200, body: { reproduced: true } });
    expect((await db.query('SELECT count(*)::int AS n FROM round_recusals')).rows[0].n).toBe(1);
    // Delivered to the inspection (replaceInspectors): its team now has the re-drawn inspector instead.
    const team = await eventually(
      async () => {
        const r = (await db.query('SELECT inspector_ids FROM inspections WHERE inspection_id = $1', [inspectionId])).rows[0];
        return r?.inspector_ids.includes(res.body.added[0]) ? r.inspector_ids : undefined;
      },
      { message: 'the re-draw delivered to the inspection', timeoutMs: 30_000 },
    );
    expect(team).not.toContain(recused);
  });

  test('a snapshot changed in the database after the draw: verify says what differs', async () => {
    const id = roundId.replace('~', '/');
    const db = stack.db.pool;
    const first = (await db.query(`SELECT snapshot->'subjects'->0->>'id' AS id FROM rounds WHERE round_id = $1`, [id])).rows[0].id;
    await db.query(`UPDATE rounds SET snapshot = jsonb_set(snapshot, '{subjects,0,creditGrade}', '"D"') WHERE round_id = $1`, [id]);
    const v = await call('auditor', 'POST', `/v1/rounds/${roundId}/draw/verify`);
    expect(v.status).toBe(200);
    expect(v.body.reproduced).toBe(false);
    const paths = v.body.differences.map((d: { path: string }) => d.path);
    expect(paths).toContain('snapshotHash');
    expect(paths).toContain('grades');
    expect(first).toBe(subjectIdOf('A', 1));
  });

  test('one visit, many checks: a second plan’s round drawing subjects the first round visits within 30 days joins those inspections', async () => {
    const db = stack.db.pool;
    const first = roundId.replace('~', '/');
    await insertItem(db, { county, itemId: 'work-safety', lead: 'emergency' });
    await insertInspectors(db, county, 'emergency', 3);
    const p = plan(3, { lead: 'emergency', cooperating: [], items: ['work-safety'] });
    await insertPlan(db, p);
    const started = await call('emergency', 'POST', `/v1/plans/${p.planId}/rounds`);
    expect(started.status).toBe(201);
    const round = await launched(started.body.roundId);
    const drawnByFirst = new Set((await db.query('SELECT subject_id FROM round_launches WHERE round_id = $1', [first])).rows.map((r) => r.subject_id));
    const second = (await db.query('SELECT subject_id, inspection_id, kind FROM round_launches WHERE round_id = $1', [started.body.roundId.replace('~', '/')]))
      .rows;
    const overlap = second.filter((l) => drawnByFirst.has(l.subject_id));
    expect(overlap.length).toBeGreaterThanOrEqual(10); // every D-grade subject is drawn by both plans
    expect(overlap.every((l) => l.kind === 'merged')).toBe(true);
    expect(second.filter((l) => !drawnByFirst.has(l.subject_id)).every((l) => l.kind === 'started')).toBe(true);
    expect(round.launched).toEqual({ merged: overlap.length, started: second.length - overlap.length });

    // One inspection of the subject, with both departments' checklists; no second inspection of it.
    const one = overlap[0];
    const joined = await eventually(
      async () => {
        const r = (await db.query('SELECT departments, items, checks FROM inspections WHERE inspection_id = $1', [one.inspection_id])).rows[0];
        return r?.departments.includes('emergency') ? r : undefined;
      },
      { message: 'the open inspection took the second plan’s check' },
    );
    expect([...joined.departments].sort()).toEqual(['commerce', 'emergency', 'market']);
    expect([...joined.items].sort()).toEqual(['food-safety', 'work-safety']);
    expect(joined.checks.some((c: { roundId?: string }) => c.roundId === started.body.roundId.replace('~', '/'))).toBe(true);
    expect(Number((await db.query('SELECT count(*) AS n FROM inspections WHERE subject_id = $1', [one.subject_id])).rows[0].n)).toBe(1);
  });

  test('the plan’s Schedule: created once, and its trigger starts a round that draws and launches', async () => {
    // A written check (no visit): it starts inspections of its own rather than joining the first round's visits.
    await insertItem(stack.db.pool, { county, itemId: 'licence-records', lead: 'commerce', method: 'written' });
    const p = plan(2, { lead: 'commerce', cooperating: [], items: ['licence-records'] });
    await insertPlan(stack.db.pool, p);
    const scheduleId = await ensurePlanSchedule(stack.client, p, stack.taskQueue);
    expect(await ensurePlanSchedule(stack.client, p, stack.taskQueue)).toBe(scheduleId);
    const handle = stack.client.schedule.getHandle(scheduleId);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars).toHaveLength(1);
    await handle.trigger();
    const started = await eventually(
      async () => (await stack.db.pool.query<{ round_id: string }>('SELECT round_id FROM rounds WHERE plan_id = $1', [p.planId])).rows[0]?.round_id,
      { message: 'the schedule started a round', timeoutMs: 60_000 },
    );
    expect(started).toMatch(new RegExp(`^${p.planId}/round-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect((await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual([started]);
    const round = await launched(started.replaceAll('/', '~'));
    expect(round).toMatchObject({ planId: p.planId, drawn: 19, visitOn: null, launched: { started: 19, merged: 0 } });
  });
});
