/**
 * The clue report (issue 13 §4): a small county of clues, tasks and risk warnings written through
 * the recording activities the workflows use (and the API's intake row), every figure of March
 * 2026 computed by hand below and asserted exactly, numerators and denominators; April's too, for
 * what March leaves to it. Then the default period, the CSV, and who may read it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { shanghaiMonth } from '../../api/plumbing.js';
import { insertClueIntake } from '../../db/clues.js';
import { createKey } from '../../db/keys.js';
import { inTransaction } from '../../db/sql.js';
import { shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import type { ClueView } from '../../domain/clue.js';
import type { RiskWarningView } from '../../domain/risk-warning.js';
import { untouchedTask, type TaskView } from '../../domain/task.js';
import { callerOf, startApiHarness, type ApiHarness } from '../helpers/api.js';

const county = '610124';
let h: ApiHarness;
let acts: ReturnType<typeof createActivities>;
const extra = {
  office: { county, department: 'gov-services', roles: ['officer'] },
  otherOffice: { county: '610122', department: 'gov-services', roles: ['officer'] },
  auditor: { county, roles: ['auditor'] },
  otherSupervisor: { county: '610122', roles: ['supervisor'] },
} as const;
type Who = 'supervisor' | 'citySupervisor' | 'operator' | 'housing' | keyof typeof extra;
const keys = {} as Record<Who, string>;
const call = callerOf(
  () => h.app,
  () => keys,
);

// ---------------------------------------------------------------- seeding through the recorders

/** `03-02 09:00` → 2026-03-02T09:00:00+08:00 (April's days as `04-…`). */
const t = (s: string) => `2026-${s.replace(' ', 'T')}:00+08:00`;

interface ClueSeed {
  county?: string;
  received: string;
  mergedInto?: string;
  /** The clue's own timeline: dispatches and visit-backs (at, type, data). */
  events?: { at: string; type: 'dispatched' | 'visited'; data: Record<string, unknown> }[];
  view?: Partial<ClueView>;
}

async function seedClue(clueId: string, s: ClueSeed) {
  const c = s.county ?? county;
  const view: ClueView = {
    clueId,
    county: c,
    channel: '12345',
    ref: clueId.slice(-4),
    category: 'complaint',
    urgency: 'normal',
    state: s.mergedInto ? 'merged' : 'handling',
    stateName: '',
    receivedAt: t(s.received),
    complainant: { anonymous: true, wantsReply: false },
    coHandlers: [],
    dispatches: [],
    tasks: [],
    visits: [],
    rounds: 1,
    lastEventSeq: s.mergedInto ? 1 : 0,
    ...s.view,
  };
  // The API's intake row first (received_at, merged_into), as POST /v1/clues writes it.
  await inTransaction(h.db.pool, (client) =>
    insertClueIntake(client, {
      view,
      mergeKey: undefined,
      mergedInto: s.mergedInto,
      receivedAt: new Date(Date.parse(t(s.received))).toISOString(),
    }),
  );
  const events = [{ at: t(s.received), type: 'received', data: {} }, ...(s.events ?? []).map((e) => ({ ...e, at: t(e.at) }))];
  if (s.mergedInto) return;
  for (const [i, e] of events.entries()) {
    await acts.recordClueEvent({
      event: { workflowId: clueId, seq: i + 1, county: c, at: e.at, type: e.type, summary: e.type, data: e.data },
      view: { ...view, lastEventSeq: i + 1 },
    });
  }
}

interface TaskSeed {
  department: string;
  assigned: string;
  signDue: string;
  signed?: string;
  handleDue?: string;
  submitted?: string;
  returned?: string;
  cancelled?: string;
}

async function seedTask(taskId: string, s: TaskSeed) {
  const state: TaskView['state'] = s.returned ? 'returned' : s.cancelled ? 'cancelled' : s.submitted ? 'completed' : s.signed ? 'signed' : 'assigned';
  const closed = s.returned ?? s.cancelled ?? s.submitted;
  const view: TaskView = {
    taskId,
    county,
    department: s.department,
    title: '办理并答复',
    instructions: '',
    state,
    assignedAt: t(s.assigned),
    ...untouchedTask(),
    deadlines: [
      { kind: 'sign-for', dueAt: t(s.signDue), provisional: false },
      ...(s.handleDue ? [{ kind: 'handle' as const, dueAt: t(s.handleDue), provisional: false }] : []),
    ],
    ...(s.signed ? { signedAt: t(s.signed) } : {}),
    ...(s.submitted ? { submittedAt: t(s.submitted), submission: { summary: '已办理', at: t(s.submitted) } } : {}),
    ...(closed ? { closedAt: t(closed) } : {}),
    ...(s.returned ? { returned: { reason: '非本部门职责', at: t(s.returned) } } : {}),
    ...(s.cancelled ? { cancelled: { reason: '牵头部门退单', at: t(s.cancelled) } } : {}),
    lastEventSeq: 1,
  };
  await acts.recordTaskEvent({ event: { workflowId: taskId, seq: 1, county, at: t(s.assigned), type: 'assigned', summary: '派单' }, view });
}

async function seedWarning(warningId: string, s: { issued: string; departments: string[]; fedBack?: string; cancelled?: boolean }) {
  const view: RiskWarningView = {
    warningId,
    county,
    source: 'model',
    model: 'test-model',
    level: 'yellow',
    levelName: '黄色',
    subject: { kind: 'enterprise' },
    indicators: [],
    summary: '测试预警',
    departments: s.departments,
    state: s.cancelled ? 'cancelled' : s.fedBack ? 'closed' : 'awaiting-feedback',
    stateName: '',
    issuedAt: t(s.issued),
    limits: { verificationWorkingDays: 5, disposalWorkingDays: 10 },
    tasks: [],
    verifications: [],
    disposals: [],
    ...(s.fedBack ? { feedback: { summary: '已处置', at: t(s.fedBack) }, closedAt: t(s.fedBack) } : {}),
    lastEventSeq: 1,
  };
  await acts.recordRiskWarningEvent({ event: { workflowId: warningId, seq: 1, county, at: t(s.issued), type: 'pushed', summary: '推送' }, view });
}

const id = (n: number, c = county) => `clue:${c}:2026-${String(n).padStart(4, '0')}`;
const dispatched = (at: string, department: string, coHandlers: string[] = []) => ({ at, type: 'dispatched' as const, data: { department, coHandlers } });
const visited = (at: string, satisfaction: string) => ({ at, type: 'visited' as const, data: { satisfaction } });
const reply = (department: string) => ({ reply: { summary: '已答复', department, at: t('03-10 10:00') } });

beforeAll(async () => {
  h = await startApiHarness();
  acts = createActivities({ pool: h.db.pool });
  for (const who of ['supervisor', 'citySupervisor', 'operator', 'housing'] as const) keys[who] = h.keys[who];
  for (const [who, p] of Object.entries(extra) as [keyof typeof extra, (typeof extra)[keyof typeof extra]][]) {
    keys[who] = (await createKey(h.db.pool, { ...p, roles: [...p.roles], label: `test ${who}` })).key;
  }

  // C1: housing leads, market co-handles; housing answers in time, market signs and answers late; satisfied.
  await seedClue(id(1), {
    received: '03-02 09:00',
    events: [dispatched('03-02 09:00', 'housing', ['market']), visited('03-12 10:00', 'satisfied')],
    view: { state: 'closed', ...reply('housing') },
  });
  await seedTask(`${id(1)}/task:housing:1`, {
    department: 'housing',
    assigned: '03-02 09:00',
    signDue: '03-03 09:00',
    signed: '03-02 15:00',
    handleDue: '03-20 17:30',
    submitted: '03-10 10:00',
  });
  await seedTask(`${id(1)}/task:market:2`, {
    department: 'market',
    assigned: '03-02 09:00',
    signDue: '03-03 09:00',
    signed: '03-04 10:00',
    handleDue: '03-12 17:30',
    submitted: '03-13 10:00',
  });
  // C2: market returns it unsigned, in time (its co-handler ecology's task ends unsigned with it);
  // re-dispatched to commerce, which answers in time; unsatisfied in March, handled again and
  // basically satisfied in April: its latest visit-back is April's.
  await seedClue(id(2), {
    received: '03-05 10:00',
    events: [
      dispatched('03-05 10:00', 'market', ['ecology']),
      dispatched('03-06 09:00', 'commerce'),
      visited('03-23 09:00', 'unsatisfied'),
      visited('04-03 09:00', 'basically'),
    ],
    view: { state: 'closed', ...reply('commerce') },
  });
  await seedTask(`${id(2)}/task:market:1`, { department: 'market', assigned: '03-05 10:00', signDue: '03-06 10:00', returned: '03-05 16:00' });
  await seedTask(`${id(2)}/task:ecology:2`, { department: 'ecology', assigned: '03-05 10:00', signDue: '03-06 10:00', cancelled: '03-05 16:00' });
  await seedTask(`${id(2)}/task:commerce:3`, {
    department: 'commerce',
    assigned: '03-06 09:00',
    signDue: '03-09 09:00',
    signed: '03-06 11:00',
    handleDue: '03-27 17:30',
    submitted: '03-20 10:00',
  });
  await seedTask(`${id(2)}/task:commerce:4`, {
    department: 'commerce',
    assigned: '03-23 10:00',
    signDue: '03-24 10:00',
    signed: '03-24 09:00',
    handleDue: '04-14 17:30',
    submitted: '04-02 10:00',
  });
  // C3: housing never signs for it.
  await seedClue(id(3), { received: '03-10 08:00', events: [dispatched('03-10 08:00', 'housing')] });
  await seedTask(`${id(3)}/task:housing:1`, { department: 'housing', assigned: '03-10 08:00', signDue: '03-11 08:00' });
  // C4: housing signs in time and is still handling it past its deadline (25 March); C5 repeats it.
  await seedClue(id(4), { received: '03-16 09:00', events: [dispatched('03-16 09:00', 'housing')], view: { department: 'housing' } });
  await seedTask(`${id(4)}/task:housing:1`, {
    department: 'housing',
    assigned: '03-16 09:00',
    signDue: '03-17 09:00',
    signed: '03-16 10:00',
    handleDue: '03-25 17:30',
  });
  await seedClue(id(5), { received: '03-18 11:00', mergedInto: id(4) });
  // C6: received and dispatched in February, answered in time in March, basically satisfied in March.
  await seedClue(id(6), {
    received: '02-27 10:00',
    events: [dispatched('02-27 10:00', 'housing'), visited('03-06 09:00', 'basically')],
    view: { state: 'closed', ...reply('housing') },
  });
  await seedTask(`${id(6)}/task:housing:1`, {
    department: 'housing',
    assigned: '02-27 10:00',
    signDue: '03-02 10:00',
    signed: '02-27 11:00',
    handleDue: '03-05 17:30',
    submitted: '03-04 09:00',
  });
  // C7 on the last evening of March, C8 ten minutes into April (Asia/Shanghai): neither dispatched yet.
  await seedClue(id(7), { received: '03-31 23:30', view: { state: 'dispatching' } });
  await seedClue(id(8), { received: '04-01 00:10', view: { state: 'dispatching' } });
  // C10: market answers in time, unsatisfied; handled again, signed in time, its deadline (1 April) passes unanswered.
  await seedClue(id(10), {
    received: '03-03 09:00',
    events: [dispatched('03-03 09:00', 'market'), visited('03-11 09:00', 'unsatisfied')],
    view: { department: 'market', ...reply('market') },
  });
  await seedTask(`${id(10)}/task:market:1`, {
    department: 'market',
    assigned: '03-03 09:00',
    signDue: '03-04 09:00',
    signed: '03-03 10:00',
    handleDue: '03-24 17:30',
    submitted: '03-09 09:00',
  });
  await seedTask(`${id(10)}/task:market:2`, {
    department: 'market',
    assigned: '03-11 10:00',
    signDue: '03-12 10:00',
    signed: '03-11 11:00',
    handleDue: '04-01 17:30',
  });
  // Another county's clue: in none of 610124's figures.
  await seedClue(id(1, '610122'), { county: '610122', received: '03-05 10:00', events: [dispatched('03-05 10:00', 'housing')] });

  // Risk warnings: two fed back (48 h, 30 h), one awaiting feedback, one withdrawn, one of February.
  await seedWarning(`warning:${county}:2026-0001`, { issued: '03-03 09:00', departments: ['market', 'health'], fedBack: '03-05 09:00' });
  await seedWarning(`warning:${county}:2026-0002`, { issued: '03-10 09:00', departments: ['market'], fedBack: '03-11 15:00' });
  await seedWarning(`warning:${county}:2026-0003`, { issued: '03-20 09:00', departments: ['housing'] });
  await seedWarning(`warning:${county}:2026-0004`, { issued: '03-21 09:00', departments: ['housing'], cancelled: true });
  await seedWarning(`warning:${county}:2026-0005`, { issued: '02-28 09:00', departments: ['market'], fedBack: '03-01 09:00' });
}, 120_000);
afterAll(async () => h?.close());

// ---------------------------------------------------------------- expectations

const r = (numerator: number, denominator: number) => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });
const none = r(0, 0);
const figures = (f: {
  received?: number;
  repeats?: number;
  returns?: number;
  redispatches?: number;
  response?: ReturnType<typeof r>;
  onTime?: ReturnType<typeof r>;
  resolution?: ReturnType<typeof r>;
  satisfaction?: ReturnType<typeof r>;
  repeat?: ReturnType<typeof r>;
  closure?: ReturnType<typeof r>;
  meanHours?: number | null;
  totalHours?: number;
}) => ({
  received: f.received ?? 0,
  repeats: f.repeats ?? 0,
  returns: f.returns ?? 0,
  redispatches: f.redispatches ?? 0,
  responseRate: f.response ?? none,
  onTimeRate: f.onTime ?? none,
  resolutionRate: f.resolution ?? none,
  satisfactionRate: f.satisfaction ?? none,
  repeatRate: f.repeat ?? none,
  riskWarnings: { closureRate: f.closure ?? none, meanHoursToFeedback: f.meanHours ?? null, totalHoursToFeedback: f.totalHours ?? 0 },
});

const march = {
  county,
  countyName: '周至县',
  from: '2026-03-01',
  to: '2026-03-31',
  asOf: expect.any(String),
  // Received: C1 C2 C3 C4 C5 (a repeat) C7 C10. Signed in time: T1a T2a(returned) T2b T2c T4 T10 T10b of
  // nine (T1b late, T3 never; ecology's ended before its deadline). In time: T1a T2b T6 T10 of six
  // (T1b late, T4 past its deadline). Latest visit-backs: C1 satisfied, C6 basically, C10 unsatisfied.
  total: figures({
    received: 7,
    repeats: 1,
    returns: 1,
    redispatches: 1,
    response: r(7, 9),
    onTime: r(4, 6),
    resolution: r(2, 3),
    satisfaction: r(1, 3),
    repeat: r(1, 7),
    closure: r(2, 3),
    meanHours: 39,
    totalHours: 78,
  }),
  departments: [
    {
      department: 'commerce',
      departmentName: '商务局',
      ...figures({ received: 1, redispatches: 1, response: r(2, 2), onTime: r(1, 1), repeat: r(0, 1) }),
    },
    { department: 'ecology', departmentName: '生态环境分局', ...figures({ received: 1, repeat: r(0, 1) }) },
    { department: 'health', departmentName: '卫生健康局', ...figures({ closure: r(1, 1), meanHours: 48, totalHours: 48 }) },
    {
      department: 'housing',
      departmentName: '住房和城乡建设局',
      ...figures({
        received: 3,
        repeats: 1,
        response: r(2, 3),
        onTime: r(2, 3),
        resolution: r(2, 2),
        satisfaction: r(1, 2),
        repeat: r(1, 4),
        closure: r(0, 1),
      }),
    },
    {
      department: 'market',
      departmentName: '市场监督管理局',
      ...figures({
        received: 3,
        returns: 1,
        response: r(3, 4),
        onTime: r(1, 2),
        resolution: r(0, 1),
        satisfaction: r(0, 1),
        repeat: r(0, 3),
        closure: r(2, 2),
        meanHours: 39,
        totalHours: 78,
      }),
    },
  ],
};

describe('GET /v1/reports/clues', () => {
  test('March 2026: every figure, per department and for the county, with its numerator and denominator', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/clues?county=${county}&from=2026-03-01&to=2026-03-31`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(march);
  });

  test('April 2026: what March left to it (C8 just after midnight, C2’s latest visit-back, T2c answered, T10b past its deadline)', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/clues?county=${county}&from=2026-04-01&to=2026-04-30`);
    expect(res.status).toBe(200);
    expect(res.body.total).toEqual(figures({ received: 1, onTime: r(1, 2), resolution: r(1, 1), satisfaction: r(0, 1), repeat: r(0, 1) }));
    expect(res.body.departments).toEqual([
      { department: 'commerce', departmentName: '商务局', ...figures({ onTime: r(1, 1), resolution: r(1, 1), satisfaction: r(0, 1) }) },
      { department: 'market', departmentName: '市场监督管理局', ...figures({ onTime: r(0, 1) }) },
    ]);
  });

  test('one end alone gives its month; none gives the current month (Asia/Shanghai)', async () => {
    const fromOnly = await call('auditor', 'GET', `/v1/reports/clues?county=${county}&from=2026-03-01`);
    expect(fromOnly.body).toEqual(march);
    const toOnly = await call('office', 'GET', `/v1/reports/clues?county=${county}&to=2026-03-31`);
    expect(toOnly.body).toEqual(march);

    // A clue taken in now is this month's.
    const now = Date.now();
    await inTransaction(h.db.pool, (client) =>
      insertClueIntake(client, {
        view: {
          clueId: id(90),
          county,
          channel: '12345',
          ref: '0090',
          category: 'help',
          urgency: 'normal',
          state: 'dispatching',
          stateName: '',
          receivedAt: toShanghaiIso(now),
          coHandlers: [],
          dispatches: [],
          tasks: [],
          visits: [],
          rounds: 0,
          lastEventSeq: 0,
        },
        mergeKey: undefined,
        mergedInto: undefined,
        receivedAt: new Date(now).toISOString(),
      }),
    );
    const res = await call('supervisor', 'GET', `/v1/reports/clues?county=${county}`);
    expect(res.status).toBe(200);
    const month = shanghaiMonth(shanghaiDate(now));
    expect({ from: res.body.from, to: res.body.to, received: res.body.total.received }).toEqual({ from: month.first, to: month.last, received: 1 });
  });

  test('CSV: UTF-8 with a byte-order mark, the Chinese header, the county’s row, then one per department', async () => {
    const res = await call('supervisor', 'GET', `/v1/reports/clues?county=${county}&from=2026-03-01&to=2026-03-31`, undefined, { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="clue-report-610124-2026-03-01-2026-03-31.csv"');
    expect(res.text.startsWith('\uFEFF')).toBe(true);
    expect(res.text.endsWith('\r\n')).toBe(true);
    const lines = res.text.slice(1).trimEnd().split('\r\n');
    expect(lines).toEqual([
      '单位代码,单位名称,受理量,响应率,按时签收数,应签收数,按期办结率,按期办结数,应办结数,解决率,已解决数,满意率,满意数,回访数,重复率,重复件数,含重复件受理量,退单数,重新派单数,预警闭环率,反馈闭环数,预警数,平均反馈时长（小时）',
      `610124,周至县,7,${7 / 9},7,9,${4 / 6},4,6,${2 / 3},2,${1 / 3},1,3,${1 / 7},1,7,1,1,${2 / 3},2,3,39`,
      'commerce,商务局,1,1,2,2,1,1,1,,0,,0,0,0,0,1,0,1,,0,0,',
      'ecology,生态环境分局,1,,0,0,,0,0,,0,,0,0,0,0,1,0,0,,0,0,',
      'health,卫生健康局,0,,0,0,,0,0,,0,,0,0,,0,0,0,0,1,1,1,48',
      `housing,住房和城乡建设局,3,${2 / 3},2,3,${2 / 3},2,3,1,2,0.5,1,2,0.25,1,4,0,0,0,0,1,`,
      'market,市场监督管理局,3,0.75,3,4,0.5,1,2,0,0,0,0,1,0,0,3,1,0,1,2,2,39',
    ]);
  });

  test('who may read it: supervisors and auditors of the county or its city, the county’s 12345 office; nobody else', async () => {
    const url = `/v1/reports/clues?county=${county}&from=2026-03-01&to=2026-03-31`;
    for (const who of ['citySupervisor', 'auditor', 'office'] as const) {
      const res = await call(who, 'GET', url);
      expect([who, res.status]).toEqual([who, 200]);
      expect(res.body).toEqual(march);
    }
    for (const who of ['housing', 'operator', 'otherSupervisor', 'otherOffice'] as const) {
      const res = await call(who, 'GET', url);
      expect([who, res.status, res.body.error.code]).toEqual([who, 403, 'forbidden']);
    }
  });

  test('bad periods and divisions are 400 with the field', async () => {
    const paths = async (query: string) => {
      const res = await call('supervisor', 'GET', `/v1/reports/clues?${query}`);
      expect(res.status).toBe(400);
      return res.body.error.issues.map((i: { path: string }) => i.path);
    };
    expect(await paths(`county=${county}&from=2026-03-31&to=2026-03-01`)).toEqual(['querystring.from']);
    expect(await paths(`county=${county}&from=2026-02-30`)).toEqual(['querystring.from']);
    expect(await paths(`county=${county}&to=2201-01-01`)).toEqual(['querystring.to']);
    expect(await paths('county=610100&from=2026-03-01&to=2026-03-31')).toEqual(['querystring.county']);
    expect(await paths('from=2026-03-01')).toEqual(['querystring.county']);
  });
});
