/**
 * 双随机、一公开 end to end (issue 14, "a round through the real dev server from the Schedule's
 * trigger to published results"): a plan filed through the API makes its Schedule; the Schedule's
 * trigger starts a round that draws from the registry and launches one joint inspection per drawn
 * subject; each department records its own result (谁检查、谁录入); the initiator publishes (谁公开)
 * within its 20 working days; a citizen reads the result without a key, and the credit record
 * follows the findings.
 */
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { insertInspectors, insertItem, insertSubjects } from '../helpers/plans.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-inspection-plan',
  keys: {
    supervisor: { county, roles: ['supervisor'] },
    market: { county, department: 'market', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
  },
});
const { call } = stack;

describe('a plan’s round from its Schedule to the published results', () => {
  test('filed → Schedule → round → joint inspections → each department’s result → published, credit updated', async () => {
    const db = stack.db.pool;
    await insertItem(db, { county, itemId: 'food-safety', lead: 'market', cooperating: ['commerce'] });
    await insertSubjects(db, county, { C: 3 });
    await insertInspectors(db, county, 'market', 2);
    await insertInspectors(db, county, 'commerce', 2);

    const filed = await call(
      'market',
      'POST',
      '/v1/plans',
      {
        county,
        year: 2026,
        name: '餐饮服务食品安全联合抽查',
        lead: 'market',
        cooperating: ['commerce'],
        items: ['food-safety'],
        ratios: { C: 0.6 },
        frequency: 'once',
        window: { from: '2026-01-01', to: '2026-12-31' },
      },
      { 'idempotency-key': 'plan-food-2026-0001' },
    );
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    const planId: string = filed.body.planId;

    // The Schedule the plan made, fired now (as its calendar would on its day).
    await stack.client.schedule.getHandle(`${planId}/rounds`).trigger();
    const roundId = await eventually(
      async () => (await db.query<{ round_id: string }>('SELECT round_id FROM rounds WHERE plan_id = $1', [planId])).rows[0]?.round_id,
      { message: 'the Schedule started a round', timeoutMs: 60_000 },
    );
    const round = await eventually(
      async () => {
        const r = await call('supervisor', 'GET', `/v1/rounds/${roundId.replaceAll('/', '~')}`);
        return r.status === 200 && r.body.state === 'launched' ? r.body : undefined;
      },
      { message: 'the round launched', timeoutMs: 90_000 },
    );
    // Three C-grade subjects at 0.6: ceil(1.8) = 2 drawn, one joint inspection each, both departments' checklists.
    expect(round).toMatchObject({ planId, drawn: 2, grades: { C: { eligible: 3, planned: 2, drawn: 2 } }, launched: { started: 2, merged: 0 } });
    const verified = await call('supervisor', 'POST', `/v1/rounds/${roundId.replaceAll('/', '~')}/draw/verify`);
    expect(verified.body).toEqual({ reproduced: true });

    const inspectionId = (
      await eventually(
        async () =>
          (await db.query<{ inspection_id: string }>("SELECT inspection_id FROM inspections WHERE state = 'scheduled' ORDER BY inspection_id LIMIT 1")).rows[0],
        { message: 'an inspection recorded', timeoutMs: 60_000 },
      )
    ).inspection_id;
    const urlId = inspectionId.replaceAll('/', '~');
    // Each department's check task is open (the officers' inboxes) before its result is recorded.
    const inspection = await eventually(
      async () => {
        const r = (await call('supervisor', 'GET', `/v1/inspections/${urlId}`)).body;
        return r.departmentTasks?.length === 2 && r;
      },
      { message: 'both departments’ check tasks open', timeoutMs: 60_000 },
    );
    expect([...inspection.departments].sort()).toEqual(['commerce', 'market']);
    const subjectId: string = inspection.subjectId;

    // 谁检查、谁录入: each department its own result.
    const market = await call('market', 'POST', `/v1/inspections/${urlId}/results`, { department: 'market', outcome: 'no-issue' });
    expect(market.status, JSON.stringify(market.body)).toBe(200);
    const commerce = await call('commerce', 'POST', `/v1/inspections/${urlId}/results`, {
      department: 'commerce',
      outcome: 'penalty',
      findings: [{ item: 'food-safety', description: '超范围经营' }],
    });
    expect(commerce.status, JSON.stringify(commerce.body)).toBe(200);

    // The end of the inspection starts the initiator's publication, due 20 working days later.
    const publication = await eventually(
      async () => {
        const r = (await call('market', 'GET', `/v1/inspections/${urlId}`)).body;
        const id: string | undefined = r.state === 'publishing' ? r.publication?.taskId : undefined;
        return id ? r.departmentTasks.find((t: { taskId: string }) => t.taskId === id) : undefined;
      },
      { message: 'the inspection ended and its publication task is open', timeoutMs: 60_000 },
    );
    expect(publication).toMatchObject({ department: 'market' });
    expect((await call('market', 'POST', `/v1/tasks/${publication.taskId}/sign`, {})).status).toBe(200);
    const published = await call('market', 'POST', `/v1/tasks/${publication.taskId}/submit`, { summary: '已公开', outcome: 'published' });
    expect(published.status, JSON.stringify(published.body)).toBe(200);

    const results = await eventually(
      async () => {
        const r = await call(undefined, 'GET', `/v1/public/results?county=${county}&scenario=joint-inspection`);
        return r.status === 200 && r.body.items?.length === 1 && r.body.items;
      },
      { message: 'the result is public', timeoutMs: 60_000 },
    );
    expect(results[0]).toMatchObject({ scenario: 'joint-inspection', resultCode: 'penalty', kind: 'inspection' });
    expect([...results[0].inspectedBy].sort()).toEqual(['商务局', '市场监督管理局'].sort());
    const done = await eventually(async () => {
      const r = (await call('supervisor', 'GET', `/v1/inspections/${urlId}`)).body;
      return r.state === 'published' && r;
    });
    expect(done.publication).toMatchObject({ onTime: true });

    // The penalty took the subject one grade down, C → D, with its history naming the inspection: the next round draws it at D's ratio.
    const history = await db.query('SELECT grade, from_grade, reason FROM subject_credit_history WHERE subject_id = $1 ORDER BY seq', [subjectId]);
    expect(history.rows).toEqual([{ grade: 'D', from_grade: 'C', reason: `检查发现违法行为（${inspectionId}）：信用等级下调` }]);
    expect((await db.query('SELECT credit_grade FROM subjects WHERE subject_id = $1', [subjectId])).rows[0]).toEqual({ credit_grade: 'D' });
  }, 240_000);
});
