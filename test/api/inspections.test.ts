/**
 * Inspections through the real app, PostgreSQL and a worker on the time-skipping server (issue 14
 * §4–§5): an ad-hoc inspection of published items by certificate holders (idempotent); a second
 * one of the same subject and item within 30 days is 409 `recently_inspected` naming the first,
 * nothing written, the refusal counted; the county's yearly cap likewise; 谁检查、谁录入: another
 * department's result is refused; a finding opens a matter, another a clue through the clue intake
 * (dispatched by the county's catalogue or left to the 12345 office, once per finding); the initiator publishes and anyone
 * reads the result without a key, an organisation named with its credit code.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKey } from '../../db/keys.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { jointInspection } from '../../workflows/joint-inspection.js';
import { eventually } from '../helpers/eventually.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';

let h: ApiHarness;
const keys: Record<'admin' | 'ecology' | 'marketHead', string> = { admin: '', ecology: '', marketHead: '' };
const county = '610124';
const SUBJECT = `s-${'a'.repeat(31)}1`;
const OTHER = `s-${'a'.repeat(31)}2`;
const STATION = '周至县联合检查测试加油站有限公司';

const item = (method: string, published = true) => ({
  field: '成品油流通',
  lead: 'market',
  cooperating: ['ecology'],
  what: '成品油质量检查',
  basis: [{ statute: '《产品质量法》', article: '第十五条' }],
  objectKind: '加油站',
  category: 'general',
  method,
  level: 'county',
  published,
  baseVersion: 0,
});
const inspector = (n: number) => ({
  department: 'market',
  name: `检查员${n}`,
  certificateNo: `ZF-6101249${n}`,
  active: true,
  qualifications: [],
  specialties: [],
  conflicts: [],
});

beforeAll(async () => {
  h = await startApiHarness();
  keys.admin = (await createKey(h.db.pool, { county, roles: ['admin'] })).key;
  keys.ecology = (await createKey(h.db.pool, { county, department: 'ecology', roles: ['officer'] })).key;
  keys.marketHead = (await createKey(h.db.pool, { county, department: 'market', roles: ['head'] })).key;
  const admin = { authorization: `Bearer ${keys.admin}` };
  for (const [id, body] of [
    ['SC-01', item('on-site')],
    ['SC-02', item('on-site')],
    ['WR-01', item('written')],
    ['DRAFT-01', item('on-site', false)],
  ] as const) {
    const r = await h.call('PUT', `/v1/counties/${county}/inspection-items/${id}`, { as: admin, body });
    expect(r.status, r.text).toBe(201);
  }
  for (const [id, name, code] of [
    [SUBJECT, STATION, '91610124MA6TG1234X'],
    [OTHER, `${STATION}二`, '91610124MA6TH5678Y'],
  ]) {
    const r = await h.call('PUT', `/v1/subjects/${id}`, {
      as: admin,
      body: { name, kind: 'enterprise', creditCode: code, county, township: '610124100', trade: 'refined-oil', tags: [], creditGrade: 'A' },
    });
    expect(r.status, r.text).toBe(201);
  }
  for (const n of [1, 2, 3]) {
    const r = await h.call('PUT', `/v1/inspectors/MKT-10${n}`, { as: admin, body: inspector(n) });
    expect(r.status, r.text).toBe(201);
  }
});
afterAll(async () => h?.close());

const ecology = () => ({ authorization: `Bearer ${keys.ecology}` });
const count = async (sql: string, args: unknown[] = []) => Number((await h.db.pool.query<{ n: string }>(sql, args)).rows[0]!.n);
const inFiveDays = () => shanghaiDate(Date.now() + 5 * 86_400_000);
const body = (o: Record<string, unknown> = {}) => ({
  county,
  subjectId: SUBJECT,
  department: 'market',
  items: ['SC-01'],
  inspectors: ['MKT-101', 'MKT-102'],
  visitOn: inFiveDays(),
  ...o,
});

let first = '';

describe('an ad-hoc inspection', () => {
  test('started by the department, idempotent with a key; unpublished items and wrong callers refused with nothing written', async () => {
    const draft = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ items: ['DRAFT-01'] }) });
    expect(draft.status).toBe(422);
    expect(draft.body.error).toMatchObject({ code: 'item_not_published', issues: [{ path: 'body.items.0', message: 'not published' }] });
    expect((await h.call('POST', '/v1/inspections', { as: { authorization: `Bearer ${keys.ecology}` }, body: body() })).status).toBe(403);
    expect((await h.call('POST', '/v1/inspections', { as: 'supervisor', body: body() })).status).toBe(403);
    const strange = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ inspectors: ['MKT-101', 'NOBODY'] }) });
    expect(strange.status).toBe(422);
    expect(strange.body.error.code).toBe('inspector_not_eligible');
    expect(await count('SELECT count(*) AS n FROM inspections')).toBe(0);

    const headers = { 'idempotency-key': 'adhoc-inspection-0001' };
    const created = await h.call('POST', '/v1/inspections', { as: 'market', body: body(), headers });
    expect(created.status, created.text).toBe(201);
    first = created.body.inspectionId;
    expect(first).toMatch(/^inspection:610124:\d{4}-0001$/);
    expect(created.body).toMatchObject({
      subjectId: SUBJECT,
      initiator: 'market',
      departments: ['market'],
      items: ['SC-01'],
      visitOn: inFiveDays(),
      state: 'scheduled',
    });
    const again = await h.call('POST', '/v1/inspections', { as: 'market', body: body(), headers });
    expect(again.status).toBe(200);
    expect(again.body.inspectionId).toBe(first);
    expect(await count('SELECT count(*) AS n FROM inspections')).toBe(1);

    const one = await eventually(async () => {
      const r = await h.call('GET', `/v1/inspections/${first}`, { as: 'supervisor' });
      return r.body.departmentTasks?.length === 1 && r;
    });
    expect(one.body.timeline[0]).toMatchObject({ type: 'notice.issued' });
    expect(JSON.stringify(one.body.timeline)).not.toContain(STATION);
    expect((await h.call('GET', `/v1/inspections/${first}`, { as: ecology() })).status).toBe(404);
  });

  test('409 recently_inspected naming the earlier inspection, nothing written, counted; a written item needs no visit; the yearly cap', async () => {
    const before = await count('SELECT count(*) AS n FROM inspections');
    const dup = await h.call('POST', '/v1/inspections', {
      as: { authorization: `Bearer ${keys.marketHead}` },
      body: body({ items: ['SC-02', 'SC-01'], inspectors: ['MKT-102', 'MKT-103'] }),
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'recently_inspected', issues: [{ path: 'body.items.1', message: first }] });
    expect(dup.body.error.message).toContain(first);
    expect(await count('SELECT count(*) AS n FROM inspections')).toBe(before);
    expect(await count("SELECT count(*) AS n FROM inspection_refusals WHERE reason = 'recent' AND earlier_id = $1", [first])).toBe(1);

    // A written item: no visit (the date is dropped), and another item of the subject is not a duplicate.
    const written = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ items: ['WR-01'], visitOn: null }) });
    expect(written.status, written.text).toBe(201);
    expect(written.body.visitOn).toBeNull();
    const noDate = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ subjectId: OTHER, visitOn: null }) });
    expect(noDate.status).toBe(400);
    expect(noDate.body.error.issues).toEqual([{ path: 'body.visitOn', message: 'an on-site item needs a visit date' }]);

    // The county's yearly cap, published through its route: two this year, a third refused.
    const admin = { authorization: `Bearer ${keys.admin}` };
    const cap = await h.call('PUT', `/v1/counties/${county}/inspection-settings`, { as: admin, body: { yearlyCap: 2, basis: '周政办发〔2026〕1号' } });
    expect(cap.status, cap.text).toBe(200);
    const capped = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ items: ['SC-02'] }) });
    expect(capped.status).toBe(409);
    expect(capped.body.error).toMatchObject({ code: 'recently_inspected', issues: [{ path: 'body.subjectId' }] });
    expect(await count("SELECT count(*) AS n FROM inspection_refusals WHERE reason = 'yearly-cap'")).toBe(1);
    expect((await h.call('PUT', `/v1/counties/${county}/inspection-settings`, { as: admin, body: { yearlyCap: null } })).status).toBe(200);
    expect(await count('SELECT count(*) AS n FROM inspections')).toBe(before + 1);
  });
});

describe('results, publication', () => {
  test('谁检查、谁录入: another department is refused; the result with a finding opens a matter; the initiator publishes; anyone reads it without a key', async () => {
    const result = {
      department: 'market',
      outcome: 'penalty',
      findings: [
        {
          item: 'SC-01',
          description: '汽油硫含量不合格',
          opens: 'matter',
          matter: { scenario: 'refined-oil', facts: { township: '610124100', stationKind: 'licensed-station' } },
        },
      ],
    };
    const wrong = await h.call('POST', `/v1/inspections/${first}/results`, { as: ecology(), body: { ...result, department: 'ecology' } });
    expect(wrong.status).toBe(404); // ecology takes no part: it cannot even see the inspection
    const asOther = await h.call('POST', `/v1/inspections/${first}/results`, { as: ecology(), body: result });
    expect(asOther.status).toBe(403);
    const outside = await h.call('POST', `/v1/inspections/${first}/results`, {
      as: 'market',
      body: { ...result, findings: [{ ...result.findings[0], item: 'XX-99' }] },
    });
    expect(outside.status).toBe(400);
    expect(outside.body.error.issues).toEqual([{ path: 'body.findings.0.item', message: 'not an item of the department’s checklist' }]);
    const badFacts = await h.call('POST', `/v1/inspections/${first}/results`, {
      as: 'market',
      body: { ...result, findings: [{ ...result.findings[0], matter: { scenario: 'refined-oil', facts: { township: 'x' } } }] },
    });
    expect(badFacts.status).toBe(400);
    expect(badFacts.body.error.issues[0].path).toMatch(/^body\.findings\.0\.matter\.facts\./);
    const view = (await h.call('GET', `/v1/inspections/${first}`, { as: 'supervisor' })).body;
    expect(view.results).toEqual([]);

    const recorded = await h.call('POST', `/v1/inspections/${first}/results`, {
      as: 'market',
      body: result,
      headers: { 'idempotency-key': 'result-market-0001' },
    });
    expect(recorded.status, recorded.text).toBe(200);
    expect(recorded.body.results).toMatchObject([
      { department: 'market', outcome: 'penalty', findings: [{ item: 'SC-01', description: '汽油硫含量不合格', opens: 'matter' }] },
    ]);
    expect(recorded.body.opened).toHaveLength(1);
    const matterId = recorded.body.opened[0].matterId;
    const matter = await h.call('GET', `/v1/matters/${matterId}`, { as: 'operator' });
    expect(matter.status, matter.text).toBe(200);
    expect(matter.body).toMatchObject({ scenario: 'refined-oil', subject: { name: STATION, creditCode: '91610124MA6TG1234X' } });
    const opened = await eventually(async () => {
      const r = await h.db.pool.query("SELECT data->>'source' AS source, actor_department FROM timeline_events WHERE workflow_id = $1 AND type = 'opened'", [
        matterId.replaceAll('~', '/'),
      ]);
      return r.rows[0];
    });
    expect(opened).toEqual({ source: 'inspection-plan', actor_department: 'market' });
    const retry = await h.call('POST', `/v1/inspections/${first}/results`, {
      as: 'market',
      body: result,
      headers: { 'idempotency-key': 'result-market-0001' },
    });
    expect(retry.body.opened).toEqual(recorded.body.opened);
    expect(await count("SELECT count(*) AS n FROM matters WHERE scenario = 'refined-oil'")).toBe(1);
    const twice = await h.call('POST', `/v1/inspections/${first}/results`, { as: 'market', body: { department: 'market', outcome: 'no-issue' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('wrong_state');

    // The end: the initiator's publication task, due 20 working days later; published through the task routes.
    const publishing = await eventually(async () => {
      const r = await h.call('GET', `/v1/inspections/${first}`, { as: 'market' });
      return r.body.state === 'publishing' && r.body.departmentTasks.length === 2 && r.body;
    });
    expect(publishing.credit).toEqual([{ department: 'market', from: 'A', to: 'B' }]);
    const taskId = publishing.departmentTasks[1].taskId;
    expect((await h.call('POST', `/v1/tasks/${taskId}/sign`, { as: 'market', body: {} })).status).toBe(200);
    const submitted = await h.call('POST', `/v1/tasks/${taskId}/submit`, { as: 'market', body: { summary: '已公开', outcome: 'published' } });
    expect(submitted.status, submitted.text).toBe(200);
    const published = await eventually(async () => {
      const r = await h.call('GET', `/v1/public/results?county=${county}&scenario=joint-inspection`, { as: null });
      return r.body.items?.length === 1 && r;
    });
    expect(published.status).toBe(200);
    expect(published.body.items[0]).toMatchObject({
      scenario: 'joint-inspection',
      scenarioName: '双随机联合检查',
      subject: `${STATION}（91610124MA6TG1234X）`,
      resultCode: 'penalty',
      inspectedBy: ['市场监督管理局'],
      kind: 'inspection',
    });
    // The row follows a moment after the public result (the workflow records that it published).
    const done = await eventually(async () => {
      const r = (await h.call('GET', `/v1/inspections/${first}`, { as: 'supervisor' })).body;
      return r.state === 'published' && r;
    });
    expect(done).toMatchObject({ state: 'published', publication: { onTime: true } });
  });

  test('the list: by who may see it, keyset pages', async () => {
    const all = await h.call('GET', '/v1/inspections?limit=1', { as: 'supervisor' });
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(1);
    const next = await h.call('GET', `/v1/inspections?limit=1&cursor=${all.body.nextCursor}`, { as: 'supervisor' });
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].inspectionId).not.toBe(all.body.items[0].inspectionId);
    expect((await h.call('GET', '/v1/inspections', { as: ecology() })).body.items).toEqual([]);
    expect((await h.call('GET', '/v1/inspections', { as: 'market' })).body.items).toHaveLength(2);
    expect(
      (await h.call('GET', '/v1/inspections?state=published', { as: 'citySupervisor' })).body.items.map((i: { inspectionId: string }) => i.inspectionId),
    ).toEqual([first]);
    expect((await h.call('GET', '/v1/inspections', { as: 'otherCountyHousing' })).body.items).toEqual([]);
  });

  test('the report: per plan and department, drawn, inspected, joint share, duplicates prevented, published on time; supervisors and auditors only', async () => {
    const visitOn = inFiveDays();
    const year = Number(visitOn.slice(0, 4));
    const planId = `plan:${county}:${year}-0001`;
    await h.db.pool.query(
      `INSERT INTO plans (plan_id, county, year, name, lead, cooperating, items, ratios, frequency, window_from, window_to, created_by)
       VALUES ($1, $2, $3, '成品油质量双随机抽查', 'market', '{ecology}', '{SC-02}', '{"A":0.05,"B":0.2,"C":0.6,"D":1}', 'quarterly', $4, $5, 'k-test')`,
      [planId, county, year, `${year}-01-01`, `${year}-12-31`],
    );
    // A round's draw of the plan: market and ecology visit the other subject together.
    const inspectionId = `inspection:${county}:${year}-0900`;
    await h.env.client.workflow.start(jointInspection, {
      taskQueue: h.config.TEMPORAL_TASK_QUEUE,
      workflowId: inspectionId,
      args: [
        {
          inspectionId,
          county,
          subjectId: OTHER,
          initiator: 'market',
          checks: [
            { department: 'market', items: ['SC-02'], inspectors: ['MKT-101', 'MKT-103'], planId, roundId: `${planId}/round:1` },
            { department: 'ecology', items: ['SC-02'], inspectors: ['ECO-1', 'ECO-2'], planId, roundId: `${planId}/round:1` },
          ],
          visitOn,
          requestedBy: 'schedule',
        },
      ],
    });
    await eventually(async () => (await count('SELECT count(*) AS n FROM inspections WHERE inspection_id = $1', [inspectionId])) === 1, {
      message: 'drawn row',
    });

    const url = `/v1/reports/inspections?county=${county}&year=${year}`;
    expect((await h.call('GET', url, { as: 'market' })).status).toBe(403);
    const r = await h.call('GET', url, { as: 'citySupervisor' });
    expect(r.status, r.text).toBe(200);
    const zero = { numerator: 0, denominator: 0, rate: null };
    expect(r.body).toEqual({
      county,
      countyName: '周至县',
      year,
      plans: [
        {
          planId,
          name: '成品油质量双随机抽查',
          lead: 'market',
          frequency: 'quarterly',
          planned: { rounds: 4, items: ['SC-02'] },
          departments: [
            { department: 'market', departmentName: '市场监督管理局', drawn: 1, inspected: 0, joint: 1, published: 0, publishedOnTime: zero },
            { department: 'ecology', departmentName: '生态环境分局', drawn: 1, inspected: 0, joint: 1, published: 0, publishedOnTime: zero },
          ],
        },
      ],
      adHoc: [
        {
          department: 'market',
          departmentName: '市场监督管理局',
          drawn: 2,
          inspected: 1,
          joint: 0,
          published: 1,
          publishedOnTime: { numerator: 1, denominator: 1, rate: 1 },
        },
      ],
      jointShare: { numerator: 1, denominator: 3, rate: 1 / 3 },
      publishedOnTime: { numerator: 1, denominator: 1, rate: 1 },
      duplicatesPrevented: { refused: 2, byDepartment: [{ department: 'market', recent: 1, yearlyCap: 1 }] },
    });
    await h.env.client.workflow.getHandle(inspectionId).cancel();
  });

  test('a risk warning that requires a check lets an inspection through a recent one, and is recorded as its cause', async () => {
    const warning = await h.call('POST', '/v1/risk-warnings', {
      as: 'operator',
      body: {
        county,
        source: 'model',
        model: '成品油质量风险模型',
        level: 'orange',
        subject: { name: STATION, kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
        indicators: [{ name: '抽检不合格次数', value: 2, threshold: 1 }],
        summary: '油品质量风险',
        departments: ['market'],
      },
    });
    expect(warning.status, warning.text).toBe(201);
    const cause = warning.body.warningId as string;
    const unknown = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ cause: 'warning:610124:2026-9999' }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([{ path: 'body.cause', message: 'no clue or risk warning of the county with this id' }]);
    const refusalsBefore = await count('SELECT count(*) AS n FROM inspection_refusals');
    const allowed = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ cause }) });
    expect(allowed.status, allowed.text).toBe(201);
    expect(allowed.body).toMatchObject({ cause, items: ['SC-01'], state: 'scheduled' });
    expect(await count('SELECT count(*) AS n FROM inspection_refusals')).toBe(refusalsBefore);
    const notice = await eventually(async () => {
      const r = await h.db.pool.query<{ data: Record<string, unknown> }>("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'notice.issued'", [
        allowed.body.inspectionId,
      ]);
      return r.rows[0]?.data;
    });
    expect(notice.cause).toBe(cause);
  });

  test('a finding opens a clue through the clue intake: dispatched by the catalogue or left to the 12345 office, its ref the inspection; a retry opens nothing twice; a clue finding without `clue` is 400, nothing written', async () => {
    const started = await h.call('POST', '/v1/inspections', { as: 'market', body: body({ subjectId: OTHER, items: ['WR-01'], visitOn: null }) });
    expect(started.status, started.text).toBe(201);
    const inspectionId = started.body.inspectionId as string;
    await eventually(async () => (await h.call('GET', `/v1/inspections/${inspectionId}`, { as: 'market' })).body.departmentTasks?.length === 1, {
      message: 'the check task',
    });
    const url = `/v1/inspections/${inspectionId}/results`;
    const clues = () => count('SELECT count(*) AS n FROM clues');
    const before = await clues();

    // Checked before anything is written: the clue's classification is required, and valid.
    const unclassified = await h.call('POST', url, {
      as: 'market',
      body: { department: 'market', outcome: 'clue', findings: [{ item: 'WR-01', description: '台账显示向无证站点供油', opens: 'clue' }] },
    });
    expect(unclassified.status).toBe(400);
    expect(unclassified.body.error.issues).toEqual([
      { path: 'body.findings', message: 'a finding that opens a clue classifies it (`clue`), and only such a finding' },
    ]);
    const stray = await h.call('POST', url, {
      as: 'market',
      body: { department: 'market', outcome: 'clue', findings: [{ item: 'WR-01', description: '台账显示向无证站点供油', clue: { category: 'report' } }] },
    });
    expect(stray.status).toBe(400);
    expect(stray.body.error.issues).toEqual([
      { path: 'body.findings', message: 'a finding that opens a clue classifies it (`clue`), and only such a finding' },
    ]);
    const badCategory = await h.call('POST', url, {
      as: 'market',
      body: {
        department: 'market',
        outcome: 'clue',
        findings: [{ item: 'WR-01', description: '台账显示向无证站点供油', opens: 'clue', clue: { category: 'rumour' } }],
      },
    });
    expect(badCategory.status).toBe(400);
    expect(badCategory.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.findings.0.clue.category']);
    expect(await clues()).toBe(before);
    expect((await h.call('GET', `/v1/inspections/${inspectionId}`, { as: 'market' })).body.results).toEqual([]);

    // The county's catalogue sends refined-oil reports to the market bureau; a complaint matches no rule.
    const admin = { authorization: `Bearer ${keys.admin}` };
    const catalogue = await h.call('PUT', `/v1/counties/${county}/dispatch-rules`, {
      as: admin,
      body: { rules: [{ id: 'oil-report', match: { categories: ['report'], trades: ['refined-oil'] }, duty: 'functional', lead: 'market' }] },
    });
    expect(catalogue.status, catalogue.text).toBe(200);

    const result = {
      department: 'market',
      outcome: 'clue',
      findings: [
        { item: 'WR-01', description: '台账显示向无证站点供油', opens: 'clue', clue: { category: 'report', urgency: 'urgent' } },
        { item: 'WR-01', description: '进货票据不全' },
        { item: 'WR-01', description: '站内油罐区与居民楼间距不足', opens: 'clue', clue: { category: 'complaint' } },
      ],
    };
    const headers = { 'idempotency-key': 'result-market-clue-0001' };
    const recorded = await h.call('POST', url, { as: 'market', body: result, headers });
    expect(recorded.status, recorded.text).toBe(200);
    expect(recorded.body.results[0].findings).toEqual([
      { item: 'WR-01', description: '台账显示向无证站点供油', opens: 'clue' },
      { item: 'WR-01', description: '进货票据不全' },
      { item: 'WR-01', description: '站内油罐区与居民楼间距不足', opens: 'clue' },
    ]);
    expect(recorded.body.opened).toEqual([
      { finding: 0, clueId: expect.stringMatching(/^clue:610124:\d{4}-\d{4}$/) },
      { finding: 2, clueId: expect.stringMatching(/^clue:610124:\d{4}-\d{4}$/) },
    ]);
    const [reported, complained] = recorded.body.opened.map((o: { clueId: string }) => o.clueId as string);
    expect(reported).not.toBe(complained);

    // The report: dispatched by the catalogue to the market bureau, its lead task carrying the finding and the subject.
    const dispatched = await eventually(async () => {
      const r = await h.call('GET', `/v1/clues/${reported}`, { as: 'market' });
      return r.body.departmentTasks?.length === 1 && r.body;
    });
    expect(dispatched).toMatchObject({
      channel: 'department',
      ref: `${inspectionId}#market:0`,
      category: 'report',
      urgency: 'urgent',
      state: 'handling',
      department: 'market',
      dispatches: [{ department: 'market', by: 'catalogue', ruleId: 'oil-report' }],
      complainant: { anonymous: true, wantsReply: false },
    });
    expect(dispatched.departmentTasks[0].instructions).toBe(`台账显示向无证站点供油\n\n涉及对象：${STATION}二，统一社会信用代码 91610124MA6TH5678Y`);
    // The complaint: no rule matches, so it waits for the 12345 office's dispatch.
    const waiting = await h.call('GET', `/v1/clues/${complained}`, { as: 'supervisor' });
    expect(waiting.status, waiting.text).toBe(200);
    expect(waiting.body).toMatchObject({
      channel: 'department',
      ref: `${inspectionId}#market:2`,
      category: 'complaint',
      urgency: 'normal',
      state: 'dispatching',
    });
    expect(waiting.body.department).toBeUndefined();
    // Taken in on the department's behalf: the intake's audit entry names the recording officer's department.
    const audit = await h.db.pool.query('SELECT object_id, actor_department FROM audit_log WHERE action = $1 AND object_id = ANY($2) ORDER BY object_id', [
      'clue.accepted',
      [reported, complained],
    ]);
    expect(audit.rows).toEqual([reported, complained].sort().map((id) => ({ object_id: id, actor_department: 'market' })));
    // Each finding's clue is reserved under the inspection, the department and the finding, whatever the request's key.
    const reserved = await h.db.pool.query("SELECT key, resource_id FROM idempotency_keys WHERE scope = 'clue:610124' AND key LIKE $1 ORDER BY key", [
      `${inspectionId}#%`,
    ]);
    expect(reserved.rows).toEqual([
      { key: `${inspectionId}#market#0`, resource_id: reported },
      { key: `${inspectionId}#market#2`, resource_id: complained },
    ]);

    // The retried request answers the same clues; no second clue row, no second workflow.
    const retry = await h.call('POST', url, { as: 'market', body: result, headers });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.opened).toEqual(recorded.body.opened);
    expect(await clues()).toBe(before + 2);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'clue.accepted' AND details->>'ref' LIKE $1", [`${inspectionId}#%`])).toBe(2);
    // Without the key the result is already in: 409, and still two clues.
    const again = await h.call('POST', url, { as: 'market', body: result });
    expect(again.status).toBe(409);
    expect(await clues()).toBe(before + 2);
  });
});
