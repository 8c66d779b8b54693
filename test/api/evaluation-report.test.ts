/**
 * The evaluation report (考核, issue 15 §3): the small county of test/helpers/evaluation-county.ts,
 * written through the recording activities the workflows use, every figure of March 2026 computed
 * by hand below and asserted exactly (numerators and denominators, the weeks); April's too, for
 * what March leaves to it. Then the default period (and the accountability report's), the CSV,
 * who may read it, and bad queries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { shanghaiMonth } from '../../api/plumbing.js';
import { createKey } from '../../db/keys.js';
import { shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import { untouchedTask } from '../../domain/task.js';
import { callerOf, startApiHarness, type ApiHarness } from '../helpers/api.js';
import { county, seedEvaluationCounty } from '../helpers/evaluation-county.js';

let h: ApiHarness;
const extra = {
  auditor: { county, roles: ['auditor'] },
  admin: { county, roles: ['admin'] },
  office: { county, department: 'gov-services', roles: ['officer'] },
  otherSupervisor: { county: '610122', roles: ['supervisor'] },
} as const;
type Who = 'supervisor' | 'citySupervisor' | 'operator' | 'housing' | keyof typeof extra;
const keys = {} as Record<Who, string>;
const call = callerOf(
  () => h.app,
  () => keys,
);

beforeAll(async () => {
  h = await startApiHarness();
  for (const who of ['supervisor', 'citySupervisor', 'operator', 'housing'] as const) keys[who] = h.keys[who];
  for (const [who, p] of Object.entries(extra) as [keyof typeof extra, (typeof extra)[keyof typeof extra]][]) {
    keys[who] = (await createKey(h.db.pool, { ...p, roles: [...p.roles], label: `test ${who}` })).key;
  }
  await seedEvaluationCounty(h.db.pool);
}, 120_000);
afterAll(async () => h?.close());

// ---------------------------------------------------------------- expectations

const r = (numerator: number, denominator: number) => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });
const none = r(0, 0);
type Clues = Record<string, unknown> | null;
const figures = (f: {
  assigned?: number;
  signed?: ReturnType<typeof r>;
  closed?: ReturnType<typeof r>;
  overdue?: number;
  yellow?: number;
  red?: number;
  escalations?: number;
  returns?: [number, number, number];
  extensions?: [number, number];
  disputes?: number;
  orders?: number;
  answered?: ReturnType<typeof r>;
  clues?: Clues;
}) => ({
  assigned: f.assigned ?? 0,
  signedOnTime: f.signed ?? none,
  closedOnTime: f.closed ?? none,
  overdue: f.overdue ?? 0,
  yellowCards: f.yellow ?? 0,
  redCards: f.red ?? 0,
  escalations: f.escalations ?? 0,
  returns: { total: f.returns?.[0] ?? 0, upheld: f.returns?.[1] ?? 0, designatedBack: f.returns?.[2] ?? 0 },
  extensions: { requested: f.extensions?.[0] ?? 0, approved: f.extensions?.[1] ?? 0 },
  disputes: f.disputes ?? 0,
  supervisionOrders: { issued: f.orders ?? 0, answeredOnTime: f.answered ?? none },
  clues: f.clues ?? null,
});
/** The clue figures (GET /v1/reports/clues) of a department or the county, as that report answers them. */
const clues = (f: {
  received: number;
  response: ReturnType<typeof r>;
  onTime: ReturnType<typeof r>;
  resolution?: ReturnType<typeof r>;
  satisfaction?: ReturnType<typeof r>;
}) => ({
  received: f.received,
  repeats: 0,
  returns: 0,
  redispatches: 0,
  responseRate: f.response,
  onTimeRate: f.onTime,
  resolutionRate: f.resolution ?? none,
  satisfactionRate: f.satisfaction ?? none,
  repeatRate: r(0, f.received),
  riskWarnings: { closureRate: none, meanHoursToFeedback: null, totalHoursToFeedback: 0 },
});

const march = {
  county,
  countyName: '周至县',
  from: '2026-03-01',
  to: '2026-03-31',
  asOf: expect.any(String),
  // Assigned in March: T1 T2 T3 T4 T5 T6 S1 S2 S3 C1t C2t (T0 in February, T7 in April). Signed in
  // time: all but T2 (late), T3 (never) and C2t (20 minutes late). Settled in March: T0 (due 03-05,
  // late) T1 T2 (due 03-12, late) T4 T5 S1 S2 (due 03-26, late) C1t C2t; S3 settles in April, T6 was
  // returned, T3 has no handling deadline. Overdue for the first time: housing T0 03-05, C2t 03-09,
  // T2's review 03-20, S2 03-26; market T2 03-03, T3 03-06 (T1's review is the supervisors').
  total: figures({
    assigned: 11,
    signed: r(8, 11),
    closed: r(6, 9),
    overdue: 6,
    yellow: 3,
    red: 1,
    escalations: 1,
    returns: [2, 0, 1],
    extensions: [2, 1],
    disputes: 2,
    orders: 3,
    answered: r(1, 2),
    clues: clues({ received: 2, response: r(1, 2), onTime: r(2, 2), resolution: r(1, 1), satisfaction: r(1, 1) }),
  }),
  departments: [
    { department: 'agriculture', departmentName: '农业农村局', ...figures({ disputes: 1 }) },
    {
      department: 'commerce',
      departmentName: '商务局',
      ...figures({ assigned: 2, signed: r(2, 2), closed: r(1, 1), extensions: [2, 1], orders: 1 }),
    },
    { department: 'ecology', departmentName: '生态环境分局', ...figures({ assigned: 1, signed: r(1, 1), returns: [1, 0, 0], disputes: 1 }) },
    {
      department: 'housing',
      departmentName: '住房和城乡建设局',
      ...figures({
        assigned: 3,
        signed: r(2, 3),
        closed: r(2, 4),
        overdue: 4,
        yellow: 1,
        disputes: 1,
        orders: 1,
        answered: r(0, 1),
        clues: clues({ received: 1, response: r(0, 1), onTime: r(1, 1) }),
      }),
    },
    {
      department: 'market',
      departmentName: '市场监督管理局',
      ...figures({
        assigned: 4,
        signed: r(2, 4),
        closed: r(2, 3),
        overdue: 2,
        yellow: 2,
        red: 1,
        escalations: 1,
        orders: 1,
        answered: r(1, 1),
        clues: clues({ received: 1, response: r(1, 1), onTime: r(1, 1), resolution: r(1, 1), satisfaction: r(1, 1) }),
      }),
    },
    {
      department: 'natural-resources',
      departmentName: '自然资源局',
      ...figures({ assigned: 1, signed: r(1, 1), closed: r(1, 1), returns: [1, 0, 1], disputes: 1 }),
    },
  ],
  overdueByWeek: [
    { from: '2026-03-01', to: '2026-03-01', overdue: 0 },
    { from: '2026-03-02', to: '2026-03-08', overdue: 3 },
    { from: '2026-03-09', to: '2026-03-15', overdue: 1 },
    { from: '2026-03-16', to: '2026-03-22', overdue: 1 },
    { from: '2026-03-23', to: '2026-03-29', overdue: 1 },
    { from: '2026-03-30', to: '2026-03-31', overdue: 0 },
  ],
};

describe('GET /v1/reports/evaluation', () => {
  test('March 2026: every figure, per department and for the county, with its numerator and denominator, and the weeks', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=2026-03-01&to=2026-03-31`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(march);
  });

  test('the clue figures are the clue report’s, read in the same snapshot', async () => {
    const [evaluation, clueReport] = await Promise.all([
      call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=2026-03-01&to=2026-03-31`),
      call('supervisor', 'GET', `/v1/reports/clues?county=${county}&from=2026-03-01&to=2026-03-31`),
    ]);
    expect(evaluation.body.total.clues).toEqual(clueReport.body.total);
    for (const d of clueReport.body.departments as { department: string }[]) {
      const { department: _code, departmentName: _name, ...f } = d as Record<string, unknown>;
      expect(evaluation.body.departments.find((e: { department: string }) => e.department === d.department).clues).toEqual(f);
    }
  });

  test('April 2026: what March left to it (D2 decided, S3 answered, T7 assigned); no clue figure, so none shown', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=2026-04-01&to=2026-04-30`);
    expect(res.status).toBe(200);
    expect(res.body.total).toEqual(figures({ assigned: 1, signed: r(1, 1), closed: r(2, 2), returns: [0, 1, 0], answered: r(1, 1) }));
    expect(res.body.departments).toEqual([
      { department: 'commerce', departmentName: '商务局', ...figures({ closed: r(1, 1), answered: r(1, 1) }) },
      { department: 'ecology', departmentName: '生态环境分局', ...figures({ returns: [0, 1, 0] }) },
      { department: 'housing', departmentName: '住房和城乡建设局', ...figures({ assigned: 1, signed: r(1, 1), closed: r(1, 1) }) },
    ]);
    // April 2026 begins on a Wednesday.
    expect(res.body.overdueByWeek).toEqual([
      { from: '2026-04-01', to: '2026-04-05', overdue: 0 },
      { from: '2026-04-06', to: '2026-04-12', overdue: 0 },
      { from: '2026-04-13', to: '2026-04-19', overdue: 0 },
      { from: '2026-04-20', to: '2026-04-26', overdue: 0 },
      { from: '2026-04-27', to: '2026-04-30', overdue: 0 },
    ]);
  });

  test('a week is cut at the period’s ends, and the days are Shanghai’s: 9 March 00:20 is Monday’s, not Sunday’s', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=2026-03-04&to=2026-03-09`);
    expect(res.body.overdueByWeek).toEqual([
      { from: '2026-03-04', to: '2026-03-08', overdue: 2 }, // T0 03-05, T3 03-06 (T2's of 03-03 is before the period)
      { from: '2026-03-09', to: '2026-03-09', overdue: 1 }, // C2t
    ]);
    expect(res.body.total.overdue).toBe(3);
  });

  test('one end alone gives its month; none gives the current month (Asia/Shanghai)', async () => {
    expect((await call('auditor', 'GET', `/v1/reports/evaluation?county=${county}&from=2026-03-01`)).body).toEqual(march);
    expect((await call('citySupervisor', 'GET', `/v1/reports/evaluation?county=${county}&to=2026-03-31`)).body).toEqual(march);

    // A task assigned now is this month's.
    const now = Date.now();
    const taskId = `task:${county}:sports:2026-9001`;
    await createActivities({ pool: h.db.pool }).recordTaskEvent({
      event: { workflowId: taskId, seq: 1, county, at: toShanghaiIso(now), type: 'assigned', summary: 'assigned' },
      view: {
        taskId,
        county,
        department: 'sports',
        title: '本月任务',
        instructions: '',
        state: 'assigned',
        assignedAt: toShanghaiIso(now),
        ...untouchedTask(),
        deadlines: [{ kind: 'sign-for', dueAt: toShanghaiIso(now + 86_400_000), provisional: false }],
        lastEventSeq: 1,
      },
    });
    const res = await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}`);
    expect(res.status).toBe(200);
    const month = shanghaiMonth(shanghaiDate(now));
    expect({
      from: res.body.from,
      to: res.body.to,
      assigned: res.body.total.assigned,
      departments: res.body.departments.map((d: { department: string }) => d.department),
    }).toEqual({
      from: month.first,
      to: month.last,
      assigned: 1,
      departments: ['sports'],
    });
    expect(res.body.overdueByWeek[0].from).toBe(month.first);
    expect(res.body.overdueByWeek.at(-1).to).toBe(month.last);
  });

  test('CSV: UTF-8 with a byte-order mark, the Chinese header, the county’s row, then one per department', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=2026-03-01&to=2026-03-31`, undefined, { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="evaluation-report-610124-2026-03-01-2026-03-31.csv"');
    expect(res.text.startsWith('\uFEFF')).toBe(true);
    expect(res.text.endsWith('\r\n')).toBe(true);
    expect(res.text.slice(1).trimEnd().split('\r\n')).toEqual([
      '单位代码,单位名称,交办任务数,按时签收率,按时签收数,应签收数,按期办结率,按期办结数,应办结数,超期件数,黄牌数,红牌数,提请上级督办数,退回数,退回成立数,指定回办数,申请延期数,批准延期数,管辖争议数,督办单数,督办单按期答复率,按期答复数,应答复数,线索受理量,线索响应率,线索按期办结率,线索解决率,线索满意率,线索重复率,预警闭环率',
      `610124,周至县,11,${8 / 11},8,11,${6 / 9},6,9,6,3,1,1,2,0,1,2,1,2,3,0.5,1,2,2,0.5,1,1,1,0,`,
      'agriculture,农业农村局,0,,0,0,,0,0,0,0,0,0,0,0,0,0,0,1,0,,0,0,,,,,,,',
      'commerce,商务局,2,1,2,2,1,1,1,0,0,0,0,0,0,0,2,1,0,1,,0,0,,,,,,,',
      'ecology,生态环境分局,1,1,1,1,,0,0,0,0,0,0,1,0,0,0,0,1,0,,0,0,,,,,,,',
      'housing,住房和城乡建设局,3,' + `${2 / 3},2,3,0.5,2,4,4,1,0,0,0,0,0,0,0,1,1,0,0,1,1,0,1,,,0,`,
      'market,市场监督管理局,4,0.5,2,4,' + `${2 / 3},2,3,2,2,1,1,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,0,`,
      'natural-resources,自然资源局,1,1,1,1,1,1,1,0,0,0,0,1,0,1,0,0,1,0,,0,0,,,,,,,',
    ]);
  });

  test('who may read it: supervisors and auditors of the county or its city; nobody else (not the 12345 office, not a department)', async () => {
    const url = `/v1/reports/evaluation?county=${county}&from=2026-03-01&to=2026-03-31`;
    for (const who of ['citySupervisor', 'auditor'] as const) {
      const res = await call(who, 'GET', url);
      expect([who, res.status]).toEqual([who, 200]);
      expect(res.body).toEqual(march);
    }
    for (const who of ['housing', 'operator', 'admin', 'office', 'otherSupervisor'] as const) {
      for (const path of [url, url.replace('/evaluation?', '/evaluation.html?')]) {
        const res = await call(who, 'GET', path);
        expect([who, path, res.status, res.body.error.code]).toEqual([who, path, 403, 'forbidden']);
      }
    }
    expect((await call(null, 'GET', url)).status).toBe(401);
  });

  test('bad periods and divisions are 400 with the field, for the page too', async () => {
    const paths = async (query: string, route = 'evaluation') => {
      const res = await call('supervisor', 'GET', `/v1/reports/${route}?${query}`);
      expect(res.status).toBe(400);
      return res.body.error.issues.map((i: { path: string }) => i.path);
    };
    for (const route of ['evaluation', 'evaluation.html']) {
      expect(await paths(`county=${county}&from=2026-03-31&to=2026-03-01`, route)).toEqual(['querystring.from']);
      expect(await paths(`county=${county}&from=2026-02-30`, route)).toEqual(['querystring.from']);
      expect(await paths(`county=${county}&to=2201-01-01`, route)).toEqual(['querystring.to']);
      expect(await paths(`county=${county}&from=2026-01-01&to=2027-01-02`, route)).toEqual(['querystring.to']); // 367 days: 366 at most
      expect(await paths('county=610100&from=2026-03-01&to=2026-03-31', route)).toEqual(['querystring.county']);
      expect(await paths('from=2026-03-01', route)).toEqual(['querystring.county']);
    }
    // A whole leap year is fine.
    expect((await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=2028-01-01&to=2028-12-31`)).status).toBe(200);
  });
});

describe('GET /v1/reports/accountability: the same period', () => {
  test('one end alone gives its month: March’s flags (repeated extensions, a red card, a return designated back)', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/accountability?county=${county}&from=2026-03-01`);
    expect(res.status).toBe(200);
    expect({ from: res.body.from, to: res.body.to }).toEqual({ from: '2026-03-01', to: '2026-03-31' });
    expect(res.body.flags.map((f: { department: string; kind: string; count: number }) => [f.department, f.kind, f.count])).toEqual([
      ['commerce', 'repeated-extensions', 2],
      ['market', 'red-card', 1],
      ['natural-resources', 'return-designated-back', 1],
    ]);
    expect((await call('supervisor', 'GET', `/v1/reports/accountability?county=${county}&to=2026-03-31`)).body).toEqual(res.body);
  });

  test('none gives the current month; from after to is 400', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/accountability?county=${county}`);
    expect(res.status).toBe(200);
    const month = shanghaiMonth(shanghaiDate(Date.now()));
    expect({ from: res.body.from, to: res.body.to }).toEqual({ from: month.first, to: month.last });
    const bad = await call('supervisor', 'GET', `/v1/reports/accountability?county=${county}&from=2026-03-31&to=2026-03-01`);
    expect([bad.status, bad.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, ['querystring.from']]);
  });
});
