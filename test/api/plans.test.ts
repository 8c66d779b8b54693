/**
 * Annual plans (issue 14 §2; DOMAIN §7) through the real app, PostgreSQL and Temporal: a plan names
 * only published items of the county's list with their leads taking part, at ratios within the
 * credit-graded bands (a key item may raise them); refusals write nothing; a retried request with
 * its Idempotency-Key is one plan; who may file and who may read; the season's view of who is late.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKey } from '../../db/keys.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';

let h: ApiHarness;
const keys = { admin: '', auditor: '', commerceHead: '', otherAdmin: '' };
const as = (k: keyof typeof keys) => ({ authorization: `Bearer ${keys[k]}` });
const count = async (sql: string, args: unknown[] = []) => Number((await h.db.pool.query<{ n: string }>(sql, args)).rows[0]!.n);

const item = (lead: string, over: Record<string, unknown> = {}) => ({
  field: '成品油流通',
  lead,
  cooperating: [],
  what: '成品油零售经营行为检查',
  basis: [{ statute: '《危险化学品安全管理条例》', article: '第三十三条' }],
  objectKind: '加油站',
  category: 'general',
  method: 'on-site',
  level: 'county',
  published: true,
  ...over,
});

beforeAll(async () => {
  h = await startApiHarness({ server: 'dev' });
  keys.admin = (await createKey(h.db.pool, { county: '610124', roles: ['admin'] })).key;
  keys.auditor = (await createKey(h.db.pool, { county: '610124', roles: ['auditor'] })).key;
  keys.commerceHead = (await createKey(h.db.pool, { county: '610124', department: 'commerce', roles: ['head'] })).key;
  keys.otherAdmin = (await createKey(h.db.pool, { county: '610122', roles: ['admin'] })).key;
  const put = async (id: string, body: object) => {
    const r = await h.call('PUT', `/v1/counties/610124/inspection-items/${id}`, { as: as('admin'), body });
    expect(r.status, r.text).toBe(201);
  };
  await put('OIL-1', item('commerce'));
  await put('OIL-KEY', item('commerce', { category: 'key', what: '成品油储存安全检查' }));
  await put('QUAL-1', item('market', { cooperating: ['commerce'], what: '油品质量抽检' }));
  await put('OIL-DRAFT', item('commerce', { published: false, what: '征求意见中的事项' }));
});
afterAll(async () => h?.close());

const plan = (over: Record<string, unknown> = {}) => ({
  county: '610124',
  year: 2027,
  name: '2027 年成品油流通领域联合抽查计划',
  lead: 'commerce',
  cooperating: ['market'],
  items: ['OIL-1', 'QUAL-1'],
  target: { trades: ['refined-oil'] },
  ratios: { A: 0.03, C: 0.4 },
  frequency: 'half-yearly',
  window: { from: '2027-04-01', to: '2027-11-30' },
  ...over,
});
const plans = () => count('SELECT count(*) AS n FROM plans');
const audits = () => count("SELECT count(*) AS n FROM audit_log WHERE action = 'plan.filed'");

describe('filing a plan', () => {
  test('a malformed plan is 400 with field paths', async () => {
    const r = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ name: '', items: [], frequency: 'weekly', ratios: { A: 0.123456 } }) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.frequency', 'body.items', 'body.name', 'body.ratios.A']);
    const window = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ window: { from: '2027-06-01', to: '2027-05-01' } }) });
    expect(window.body.error.issues).toEqual([{ path: 'body.window.to', message: 'the window ends on or after its start' }]);
    const lead = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ cooperating: ['commerce'] }) });
    expect(lead.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.cooperating']);
    expect(await plans()).toBe(0);
  });

  test('an item not on the published list is 422 item_not_published naming it; nothing is written', async () => {
    const r = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ items: ['OIL-1', 'OIL-DRAFT', 'NO-SUCH'] }) });
    expect(r.status).toBe(422);
    expect(r.body.error).toEqual({
      code: 'item_not_published',
      message: '以下事项不在本县已公开的事项清单中，不得列入计划：OIL-DRAFT、NO-SUCH',
      issues: [
        { path: 'body.items.1', message: 'OIL-DRAFT 未公开或不在清单中' },
        { path: 'body.items.2', message: 'NO-SUCH 未公开或不在清单中' },
      ],
    });
    expect(await plans()).toBe(0);
    expect(await audits()).toBe(0);
  });

  test('each item’s lead takes part, and the plan’s lead leads one of its items: else 422', async () => {
    const without = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ cooperating: [] }) });
    expect(without.status).toBe(422);
    expect(without.body.error.code).toBe('item_lead_not_in_plan');
    expect(without.body.error.issues).toEqual([{ path: 'body.items.1', message: '牵头单位 market 未参加计划' }]);
    const notLead = await h.call('POST', '/v1/plans', { as: 'supervisor', body: plan({ lead: 'emergency', cooperating: ['commerce', 'market'] }) });
    expect(notLead.status).toBe(422);
    expect(notLead.body.error.code).toBe('not_lead_of_any_item');
    expect(await plans()).toBe(0);
  });

  test('ratios outside the credit-graded bands are 422 ratio_out_of_band naming the grades; a key item may raise them to 1', async () => {
    const r = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ ratios: { A: 0.5, B: 0.1, C: 0.9 } }) });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('ratio_out_of_band');
    expect(r.body.error.issues).toEqual([
      { path: 'body.ratios.A', message: '0.5 不在 0.0001–0.05 之间' },
      { path: 'body.ratios.C', message: '0.9 不在 0.21–0.6 之间' },
    ]);
    // Below a band is refused even with a key item (A is never exempt; C not lowered below 21%).
    const low = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ items: ['OIL-KEY'], cooperating: [], ratios: { C: 0.1 } }) });
    expect(low.status).toBe(422);
    expect(low.body.error.issues).toEqual([{ path: 'body.ratios.C', message: '0.1 不在 0.21–1 之间' }]);
    expect(await plans()).toBe(0);

    const key = await h.call('POST', '/v1/plans', {
      as: as('commerceHead'),
      body: plan({ name: '2027 年成品油储存安全重点检查', items: ['OIL-KEY'], cooperating: [], ratios: { A: 0.5, C: 0.9 }, frequency: 'quarterly' }),
    });
    expect(key.status, key.text).toBe(201);
    // Stored with its effective ratios: what was given, the rest each band's upper end.
    expect(key.body).toMatchObject({ planId: 'plan:610124:2027-0001', ratios: { A: 0.5, B: 0.2, C: 0.9, D: 1 }, lead: 'commerce', items: ['OIL-KEY'] });
  });

  test('a retry with the same Idempotency-Key is the same plan, one row and one audit entry; another body under the key is 409', async () => {
    const headers = { 'idempotency-key': 'plan-oil-2027-joint' };
    const first = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan(), headers });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({
      planId: 'plan:610124:2027-0002',
      county: '610124',
      year: 2027,
      lead: 'commerce',
      cooperating: ['market'],
      items: ['OIL-1', 'QUAL-1'],
      target: { trades: ['refined-oil'] },
      ratios: { A: 0.03, B: 0.2, C: 0.4, D: 1 },
      frequency: 'half-yearly',
      window: { from: '2027-04-01', to: '2027-11-30' },
    });
    expect(first.body.createdAt).toMatch(/\+08:00$/);
    const again = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan(), headers });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await count("SELECT count(*) AS n FROM plans WHERE name = '2027 年成品油流通领域联合抽查计划'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'plan.filed' AND object_id = 'plan:610124:2027-0002'")).toBe(1);
    // Its rounds run from the plan's Schedule (one id per plan), made with the plan: within the window.
    const described = await h.env.client.schedule.getHandle('plan:610124:2027-0002/rounds').describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'inspectionRound', workflowId: 'plan:610124:2027-0002/round' });
    expect(described.spec.startAt?.toISOString()).toBe('2027-03-31T16:00:00.000Z');
    expect(described.spec.endAt?.toISOString()).toBe('2027-11-30T15:59:59.000Z');
    const other = await h.call('POST', '/v1/plans', { as: 'commerce', body: plan({ name: '另一个计划' }), headers });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await plans()).toBe(2);
  });

  test('only the lead department’s officers and head, or the county’s supervisors, file', async () => {
    expect((await h.call('POST', '/v1/plans', { as: 'market', body: plan() })).status).toBe(403);
    expect((await h.call('POST', '/v1/plans', { as: 'otherCountyHousing', body: plan({ lead: 'housing', items: ['OIL-1'] }) })).status).toBe(403);
    expect((await h.call('POST', '/v1/plans', { as: 'citySupervisor', body: plan() })).status).toBe(403);
    expect((await h.call('POST', '/v1/plans', { as: as('admin'), body: plan() })).status).toBe(403);
    expect((await h.call('POST', '/v1/plans', { as: null, body: plan() })).status).toBe(401);
    expect(await plans()).toBe(2);
  });
});

describe('reading plans', () => {
  test('the county’s officers, supervisors and auditors and its city’s supervisors read them, page by page; another county’s do not', async () => {
    for (const who of ['commerce', 'market', 'supervisor', 'citySupervisor', as('auditor')] as const) {
      const r = await h.call('GET', '/v1/plans?county=610124&year=2027', { as: who });
      expect(r.status, r.text).toBe(200);
      expect(r.body.items.map((p: { planId: string }) => p.planId)).toEqual(['plan:610124:2027-0001', 'plan:610124:2027-0002']);
    }
    const first = await h.call('GET', '/v1/plans?county=610124&year=2027&limit=1', { as: 'supervisor' });
    expect(first.body.items.map((p: { planId: string }) => p.planId)).toEqual(['plan:610124:2027-0001']);
    const second = await h.call('GET', `/v1/plans?county=610124&year=2027&limit=1&cursor=${first.body.nextCursor}`, { as: 'supervisor' });
    expect(second.body).toMatchObject({ items: [{ planId: 'plan:610124:2027-0002' }], nextCursor: null });
    const byLead = await h.call('GET', '/v1/plans?county=610124&year=2027&lead=market', { as: 'supervisor' });
    expect(byLead.body.items).toEqual([]);
    expect((await h.call('GET', '/v1/plans?county=610124&year=2026', { as: 'supervisor' })).body.items).toEqual([]);

    expect((await h.call('GET', '/v1/plans?county=610124&year=2027', { as: 'otherCountyHousing' })).status).toBe(403);
    expect((await h.call('GET', '/v1/plans?county=610124&year=2027', { as: as('otherAdmin') })).status).toBe(403);
    const one = await h.call('GET', '/v1/plans/plan:610124:2027-0002', { as: 'market' });
    expect(one.status).toBe(200);
    expect(one.body.planId).toBe('plan:610124:2027-0002');
    expect((await h.call('GET', '/v1/plans/plan:610124:2027-0002', { as: 'otherCountyHousing' })).status).toBe(404);
    expect((await h.call('GET', '/v1/plans/plan:610124:2027-0099', { as: 'supervisor' })).status).toBe(404);
    expect((await h.call('GET', '/v1/plans/not-a-plan', { as: 'supervisor' })).status).toBe(400);
  });

  test('the planning season shows each lead’s published, planned and missing items; started once by an admin', async () => {
    // Every published item is planned now except none: commerce leads OIL-1 and OIL-KEY, market QUAL-1.
    const seen = await h.call('GET', '/v1/counties/610124/planning-season/2027', { as: 'supervisor' });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body).toMatchObject({
      county: '610124',
      year: 2027,
      seasonId: 'season:610124:2027',
      season: 'not-started',
      dueAt: '2027-03-31T23:59:59.999+08:00',
    });
    expect(seen.body.departments.map((d: Record<string, unknown>) => [d.department, d.published, d.planned, d.missing, d.state, d.rung])).toEqual([
      ['commerce', ['OIL-1', 'OIL-KEY'], ['OIL-1', 'OIL-KEY'], [], 'planned', null],
      ['market', ['QUAL-1'], ['QUAL-1'], [], 'planned', null],
    ]);
    await h.call('PUT', '/v1/counties/610124/inspection-items/HOUSE-1', { as: as('admin'), body: item('housing', { what: '经营性自建房安全检查' }) });
    const late = await h.call('GET', '/v1/counties/610124/planning-season/2027', { as: as('auditor') });
    expect(late.body.departments.find((d: { department: string }) => d.department === 'housing')).toMatchObject({
      published: ['HOUSE-1'],
      planned: [],
      missing: ['HOUSE-1'],
      state: 'due',
      stateName: '待制定',
    });
    expect((await h.call('GET', '/v1/counties/610124/planning-season/2027', { as: 'otherCountyHousing' })).status).toBe(403);

    expect((await h.call('POST', '/v1/counties/610124/planning-season/2027', { as: 'commerce' })).status).toBe(403);
    expect((await h.call('POST', '/v1/counties/610124/planning-season/2020', { as: as('admin') })).body.error.code).toBe('season_past');
    expect((await h.call('POST', '/v1/counties/610124/planning-season/2031', { as: as('admin') })).body.error.code).toBe('season_too_early');
    const started = await h.call('POST', '/v1/counties/610124/planning-season/2027', { as: as('admin') });
    expect(started.status, started.text).toBe(201);
    expect(started.body.season).toBe('running');
    const again = await h.call('POST', '/v1/counties/610124/planning-season/2027', { as: as('admin') });
    expect(again.status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'planning-season.started'")).toBe(1);
    await h.env.client.workflow.getHandle('season:610124:2027').terminate('test over');
  });
});
