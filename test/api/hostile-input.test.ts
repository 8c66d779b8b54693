/**
 * Hostile input never wedges, hangs or leaks (issue 12, parts 1 and 2). Each row is a reproduction
 * sent through `inject()` to the real app, with a real worker, the time-skipping test server and
 * PostgreSQL: it must answer 4xx with the one error shape and write nothing. Then the layers behind
 * the edge: a recording activity fed a value PostgreSQL refuses fails at once (non-retryable, no
 * row contents in its message), and an Update to a workflow that does not answer is a 503.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { buildApp } from '../../api/app.js';
import { createPool } from '../../db/pool.js';
import { loadConfig } from '../../domain/config.js';
import { fromUrlId, toUrlId } from '../../domain/ids.js';
import type { MatterInput } from '../../domain/matter.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import type { TaskView } from '../../domain/task.js';
import { freePort } from '../../scripts/dev-stack.js';
import { jurisdictionDispute } from '../../workflows/jurisdiction-dispute.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { eventually } from '../helpers/eventually.js';
import { workflowBundle } from '../helpers/temporal.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { inject } from '../helpers/api.js';

const county = '610124';
const wf = useWorkflowEnv({
  queue: 'hostile',
  app: true,
  keys: {
    operator: { county, roles: ['operator'] },
    supervisor: { county, roles: ['supervisor'] },
    admin: { county, roles: ['admin'] },
    platform: { county: '610000', roles: ['platform'] },
    housing: { county, department: 'housing', roles: ['officer'] },
    agriculture: { county, department: 'agriculture', roles: ['officer'] },
  },
});
type Who = keyof typeof wf.keys | null;

interface Res {
  status: number;
  body: any;
  text: string;
}

const call = (app: FastifyInstance, who: Who, method: string, url: string, body?: unknown): Promise<Res> =>
  inject(app, who ? `Bearer ${wf.keys[who]}` : undefined, method, url, body !== undefined ? { body } : {});

/** The one error shape, nothing else: `{ error: { code, message, issues? } }`, no stack trace. */
function expectErrorShape(res: Res, status: number, code: string, path?: string) {
  expect(res.status, res.text).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error.code, res.text).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  for (const k of Object.keys(res.body.error)) expect(['code', 'message', 'issues']).toContain(k);
  for (const i of res.body.error.issues ?? []) expect(Object.keys(i).sort()).toEqual(['message', 'path']);
  if (path)
    expect(
      res.body.error.issues.map((i: { path: string }) => i.path),
      res.text,
    ).toContain(path);
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+|node_modules|SQLSTATE|PostgreSQL|syntax/);
}

/** Row counts of every table: what "nothing was written" is checked against. */
async function snapshot(): Promise<Record<string, number>> {
  const tables = await wf.db.pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const res = await wf.db.pool.query<{ t: string; n: number }>(
    tables.rows.map((r) => `SELECT '${r.table_name}' AS t, count(*)::int AS n FROM "${r.table_name}"`).join(' UNION ALL '),
  );
  return Object.fromEntries(res.rows.map((r) => [r.t, r.n]));
}

/** Waits until no background work (the fixtures' workflows) is still writing. */
async function quiet(): Promise<Record<string, number>> {
  let last: Record<string, number> | undefined;
  // Settled: two snapshots 200 ms apart agree.
  return eventually(
    async () => {
      const now = await snapshot();
      const same = last !== undefined && JSON.stringify(now) === JSON.stringify(last);
      last = now;
      return same && now;
    },
    { timeoutMs: 10_000, intervalMs: 200, message: 'the database to settle' },
  );
}

const cursor = (v: Record<string, unknown>) => Buffer.from(JSON.stringify(v)).toString('base64url');
const badTimes = ['0', '2026', '+275760-09-13T00:00:00Z', '0000-01-01T00:00:00Z'];
const NUL = '\u0000';
const LONE = '\ud800';

// Fixtures: a task, a matter with its tasks, a dispute (URL ids), made once.
const ids = { task: '', matter: '', matterTask: '', dispute: '' };
const missing = {
  task: 'task:610124:housing:2026-9999',
  matter: 'matter:610124:self-built-housing:2026-9999',
  dispute: 'matter:610124:self-built-housing:2026-9999~dispute:1',
};

beforeAll(async () => {
  const t = await call(wf.app, 'operator', 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房安全隐患', instructions: '' });
  expect(t.status, t.text).toBe(201);
  ids.task = t.body.taskId;
  const m = await call(wf.app, 'operator', 'POST', '/v1/matters', {
    scenario: 'self-built-housing',
    county,
    subject: { name: '某村自建房', kind: 'house' },
    facts: { township: '610124100' },
  });
  expect(m.status, m.text).toBe(201);
  ids.matter = m.body.matterId;
  ids.matterTask = await eventually(
    async () => {
      const d = await call(wf.app, 'supervisor', 'GET', `/v1/matters/${ids.matter}`);
      return d.body?.tasks?.[0]?.taskId as string | undefined;
    },
    { message: 'a task of the matter' },
  );
  const disputeId = `matter:${county}:self-built-housing:2026-8888/dispute:1`;
  await wf.client.workflow.start(jurisdictionDispute, {
    taskQueue: wf.taskQueue,
    workflowId: disputeId,
    args: [
      {
        county,
        taskKey: 'survey.planning',
        taskTitle: '规划与用地合法性核查',
        parties: ['natural-resources', 'agriculture'],
        returnedBy: 'natural-resources',
        reason: '宅基地审批属农业农村部门',
      },
    ],
  });
  ids.dispute = toUrlId(disputeId);
  await eventually(
    async () => {
      const r = await wf.db.pool.query('SELECT 1 FROM disputes WHERE dispute_id = $1', [disputeId]);
      return r.rowCount ? true : undefined;
    },
    { message: 'the dispute in the read model' },
  );
});

interface Case {
  what: string;
  who: Who;
  method: 'GET' | 'POST' | 'PUT';
  url: () => string;
  body?: () => unknown;
  status: number;
  code: string;
  path?: string;
}

const task = (extra: Record<string, unknown>) => ({ department: 'housing', title: '核查', instructions: '', ...extra });
const matter = (subject: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  scenario: 'self-built-housing',
  county,
  subject: { name: '某村自建房', kind: 'house', ...subject },
  facts: { township: '610124100' },
  ...extra,
});
const secret = 's'.repeat(32);

const poisonText: Case[] = [
  {
    what: 'NUL in a task title',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/tasks',
    body: () => task({ title: `nul${NUL}byte` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.title',
  },
  {
    what: 'a lone surrogate in a task title',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/tasks',
    body: () => task({ title: `lone${LONE}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.title',
  },
  {
    what: 'NUL in task instructions',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/tasks',
    body: () => task({ instructions: `a${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.instructions',
  },
  {
    what: 'NUL in an outcome code',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/tasks',
    body: () => task({ outcomes: [`ok${NUL}`] }),
    status: 400,
    code: 'validation_failed',
    path: 'body.outcomes.0',
  },
  {
    what: 'NUL in a subject name',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/matters',
    body: () => matter({ name: `张${NUL}三` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.subject.name',
  },
  {
    what: 'a lone surrogate in a subject address',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/matters',
    body: () => matter({ address: `村${LONE}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.subject.address',
  },
  {
    what: 'NUL in a subject tag',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/matters',
    body: () => matter({ tags: [`t${NUL}`] }),
    status: 400,
    code: 'validation_failed',
    path: 'body.subject.tags.0',
  },
  {
    what: 'NUL in a source reference',
    who: 'operator',
    method: 'POST',
    url: () => '/v1/matters',
    body: () => matter({}, { source: { channel: '12345', ref: `r${NUL}` } }),
    status: 400,
    code: 'validation_failed',
    path: 'body.source.ref',
  },
  {
    what: 'NUL in a matter cancel reason',
    who: 'operator',
    method: 'POST',
    url: () => `/v1/matters/${missing.matter}/cancel`,
    body: () => ({ reason: `x${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.reason',
  },
  {
    what: 'NUL in a submission summary',
    who: 'housing',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/submit`,
    body: () => ({ summary: `s${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.summary',
  },
  {
    what: 'a lone surrogate in findings',
    who: 'housing',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/submit`,
    body: () => ({ summary: 's', findings: LONE }),
    status: 400,
    code: 'validation_failed',
    path: 'body.findings',
  },
  {
    what: 'NUL in an evidence name',
    who: 'housing',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/submit`,
    body: () => ({ summary: 's', evidence: [{ name: NUL, sha256: 'a'.repeat(64) }] }),
    status: 400,
    code: 'validation_failed',
    path: 'body.evidence.0.name',
  },
  {
    what: 'NUL in a review comment',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/review`,
    body: () => ({ decision: 'accept', comment: NUL }),
    status: 400,
    code: 'validation_failed',
    path: 'body.comment',
  },
  {
    what: 'NUL in a return reason',
    who: 'housing',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/return`,
    body: () => ({ reason: `r${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.reason',
  },
  {
    what: 'NUL in an extension reason',
    who: 'housing',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/extensions`,
    body: () => ({ workingDays: 1, reason: `r${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.reason',
  },
  {
    what: 'NUL in an extension decision comment',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/extensions/ext-1/decision`,
    body: () => ({ approve: true, comment: NUL }),
    status: 400,
    code: 'validation_failed',
    path: 'body.comment',
  },
  {
    what: 'NUL in a task cancel reason',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/tasks/${missing.task}/cancel`,
    body: () => ({ reason: `x${NUL}y` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.reason',
  },
  {
    what: 'NUL in a dispute position reason',
    who: 'agriculture',
    method: 'POST',
    url: () => `/v1/disputes/${missing.dispute}/positions`,
    body: () => ({ position: 'accept', reason: NUL }),
    status: 400,
    code: 'validation_failed',
    path: 'body.reason',
  },
  {
    what: 'NUL in a dispute decision reasoning',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/disputes/${missing.dispute}/decision`,
    body: () => ({ department: 'agriculture', reasoning: NUL }),
    status: 400,
    code: 'validation_failed',
    path: 'body.reasoning',
  },
  {
    what: 'a lone surrogate in a legal basis',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/disputes/${missing.dispute}/decision`,
    body: () => ({ department: 'agriculture', reasoning: 'r', legalBasis: LONE }),
    status: 400,
    code: 'validation_failed',
    path: 'body.legalBasis',
  },
  {
    what: 'NUL in a supervision order',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/matters/${ids.matter}/supervision-orders`,
    body: () => ({ department: 'market', instruction: `核查${NUL}`, dueInWorkingDays: 3 }),
    status: 400,
    code: 'validation_failed',
    path: 'body.instruction',
  },
  {
    what: 'NUL in a holiday name',
    who: 'platform',
    method: 'PUT',
    url: () => '/v1/calendar/2031',
    body: () => ({ holidays: [{ name: `元旦${NUL}`, from: '2031-01-01', to: '2031-01-01' }], adjustedWorkdays: [] }),
    status: 400,
    code: 'validation_failed',
    path: 'body.holidays.0.name',
  },
  {
    what: 'NUL in a calendar source',
    who: 'platform',
    method: 'PUT',
    url: () => '/v1/calendar/2031',
    body: () => ({ holidays: [], adjustedWorkdays: [], source: `国办${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.source',
  },
  {
    what: 'NUL in a webhook URL',
    who: 'admin',
    method: 'PUT',
    url: () => `/v1/webhooks/${county}/department:housing`,
    body: () => ({ url: `https://example.test/${NUL}`, secret }),
    status: 400,
    code: 'validation_failed',
    path: 'body.url',
  },
  {
    what: 'NUL in a webhook secret',
    who: 'admin',
    method: 'PUT',
    url: () => `/v1/webhooks/${county}/department:housing`,
    body: () => ({ url: 'https://example.test/hook', secret: `${secret}${NUL}` }),
    status: 400,
    code: 'validation_failed',
    path: 'body.secret',
  },
  {
    what: 'NUL in a county setting',
    who: 'admin',
    method: 'PUT',
    url: () => `/v1/counties/${county}/scenarios/refined-oil`,
    body: () => ({ settings: { maxRectificationRounds: NUL } }),
    status: 400,
    code: 'validation_failed',
    path: 'body.settings.maxRectificationRounds',
  },
  {
    what: 'NUL in ?matterId',
    who: 'supervisor',
    method: 'GET',
    url: () => '/v1/tasks?matterId=%00',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.matterId',
  },
  {
    what: 'NUL in ?stage',
    who: 'supervisor',
    method: 'GET',
    url: () => '/v1/matters?stage=%00',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.stage',
  },
  {
    what: 'NUL in ?objectId',
    who: 'housing',
    method: 'GET',
    url: () => '/v1/notifications?objectId=%00',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.objectId',
  },
  {
    what: 'NUL in a notification id',
    who: 'housing',
    method: 'POST',
    url: () => '/v1/notifications/a%00b/read',
    status: 400,
    code: 'validation_failed',
    path: 'params.id',
  },
];

const badCursors: Case[] = [
  ...badTimes.flatMap((at): Case[] => [
    {
      what: `tasks cursor dueAt ${at}`,
      who: 'supervisor',
      method: 'GET',
      url: () => `/v1/tasks?cursor=${cursor({ dueAt: at, taskId: 'task:610124:housing:2026-0001' })}`,
      status: 400,
      code: 'validation_failed',
      path: 'querystring.cursor',
    },
    {
      what: `matters cursor createdAt ${at}`,
      who: 'supervisor',
      method: 'GET',
      url: () => `/v1/matters?cursor=${cursor({ createdAt: at, matterId: 'm' })}`,
      status: 400,
      code: 'validation_failed',
      path: 'querystring.cursor',
    },
    {
      what: `notifications cursor createdAt ${at}`,
      who: 'housing',
      method: 'GET',
      url: () => `/v1/notifications?cursor=${cursor({ createdAt: at, id: 'n' })}`,
      status: 400,
      code: 'validation_failed',
      path: 'querystring.cursor',
    },
    {
      what: `disputes cursor createdAt ${at}`,
      who: 'supervisor',
      method: 'GET',
      url: () => `/v1/disputes?cursor=${cursor({ createdAt: at, disputeId: 'd' })}`,
      status: 400,
      code: 'validation_failed',
      path: 'querystring.cursor',
    },
    {
      what: `public results cursor publishedAt ${at} (no key)`,
      who: null,
      method: 'GET',
      url: () => `/v1/public/results?cursor=${cursor({ publishedAt: at, resultId: 'r' })}`,
      status: 400,
      code: 'validation_failed',
      path: 'querystring.cursor',
    },
  ]),
  {
    what: 'NUL in a tasks cursor id',
    who: 'supervisor',
    method: 'GET',
    url: () => `/v1/tasks?cursor=${cursor({ dueAt: null, taskId: NUL })}`,
    status: 400,
    code: 'validation_failed',
    path: 'querystring.cursor',
  },
  {
    what: 'NUL in a matters cursor id',
    who: 'supervisor',
    method: 'GET',
    url: () => `/v1/matters?cursor=${cursor({ createdAt: '2026-01-01T00:00:00Z', matterId: NUL })}`,
    status: 400,
    code: 'validation_failed',
    path: 'querystring.cursor',
  },
  {
    what: 'NUL in a webhooks cursor',
    who: 'admin',
    method: 'GET',
    url: () => `/v1/webhooks?cursor=${cursor({ county, kind: 'department', value: NUL })}`,
    status: 400,
    code: 'validation_failed',
    path: 'querystring.cursor',
  },
];

const badYears: Case[] = [
  {
    what: 'public results from year 0 (no key)',
    who: null,
    method: 'GET',
    url: () => '/v1/public/results?from=0000-01-01',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.from',
  },
  {
    what: 'public results to year 9999 (no key)',
    who: null,
    method: 'GET',
    url: () => '/v1/public/results?to=9999-12-31',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.to',
  },
  {
    what: 'a deadline from 9999-12-31 for 3650 days',
    who: 'housing',
    method: 'GET',
    url: () => '/v1/calendar/deadline?start=9999-12-31T23:59:59%2B08:00&amount=3650&unit=calendar_day',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.start',
  },
  {
    what: 'a deadline from year 1000',
    who: 'housing',
    method: 'GET',
    url: () => '/v1/calendar/deadline?start=1000-01-01T00:00:00%2B08:00&amount=1&unit=working_day',
    status: 400,
    code: 'validation_failed',
    path: 'querystring.start',
  },
  {
    what: 'an accountability report from year 0',
    who: 'supervisor',
    method: 'GET',
    url: () => `/v1/reports/accountability?county=${county}&from=0000-01-01&to=2026-01-31`,
    status: 400,
    code: 'validation_failed',
    path: 'querystring.from',
  },
  {
    what: 'an accountability report to year 9999',
    who: 'supervisor',
    method: 'GET',
    url: () => `/v1/reports/accountability?county=${county}&from=2026-01-01&to=9999-12-31`,
    status: 400,
    code: 'validation_failed',
    path: 'querystring.to',
  },
];

const wrongKinds: Case[] = [
  { what: 'a matter id on GET /tasks/{taskId}', who: 'supervisor', method: 'GET', url: () => `/v1/tasks/${ids.matter}`, status: 404, code: 'not_found' },
  { what: 'a dispute id on GET /tasks/{taskId}', who: 'supervisor', method: 'GET', url: () => `/v1/tasks/${ids.dispute}`, status: 404, code: 'not_found' },
  {
    what: 'a matter id on POST /tasks/{taskId}/sign',
    who: 'housing',
    method: 'POST',
    url: () => `/v1/tasks/${ids.matter}/sign`,
    status: 404,
    code: 'not_found',
  },
  {
    what: 'a dispute id on POST /tasks/{taskId}/cancel',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/tasks/${ids.dispute}/cancel`,
    body: () => ({ reason: '撤销' }),
    status: 404,
    code: 'not_found',
  },
  { what: 'a task id on GET /matters/{matterId}', who: 'supervisor', method: 'GET', url: () => `/v1/matters/${ids.task}`, status: 404, code: 'not_found' },
  {
    what: 'a matter task id on GET /matters/{matterId}',
    who: 'supervisor',
    method: 'GET',
    url: () => `/v1/matters/${ids.matterTask}`,
    status: 404,
    code: 'not_found',
  },
  {
    what: 'a dispute id on POST /matters/{matterId}/cancel',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/matters/${ids.dispute}/cancel`,
    body: () => ({ reason: '撤销' }),
    status: 404,
    code: 'not_found',
  },
  { what: 'a task id on GET /disputes/{disputeId}', who: 'supervisor', method: 'GET', url: () => `/v1/disputes/${ids.task}`, status: 404, code: 'not_found' },
  {
    what: 'a matter id on POST /disputes/{disputeId}/positions',
    who: 'agriculture',
    method: 'POST',
    url: () => `/v1/disputes/${ids.matter}/positions`,
    body: () => ({ position: 'accept', reason: '同意' }),
    status: 404,
    code: 'not_found',
  },
  {
    what: 'a task id on POST /matters/{matterId}/supervision-orders',
    who: 'supervisor',
    method: 'POST',
    url: () => `/v1/matters/${ids.task}/supervision-orders`,
    body: () => ({ department: 'market', instruction: '核查', dueInWorkingDays: 3 }),
    status: 404,
    code: 'not_found',
  },
];

describe.each([
  ['poison text (NUL, unpaired surrogates) in bodies, queries and paths', poisonText],
  ['cursors PostgreSQL would refuse', badCursors],
  ['years outside 1990–2200', badYears],
  ['ids of another kind', wrongKinds],
])('%s', (_title, cases) => {
  test.each(cases.map((c) => [c.what, c] as const))(
    '%s → 4xx, the one error shape, nothing written',
    async (_what, c) => {
      const before = await quiet();
      const res = await call(wf.app, c.who, c.method, c.url(), c.body?.());
      expectErrorShape(res, c.status, c.code, c.path);
      await new Promise((r) => setTimeout(r, 300)); // anything the request started would be writing by now
      expect(await snapshot()).toEqual(before);
    },
    15_000,
  );
});

describe('the issue’s reproductions end to end', () => {
  test('a task created with NUL text is refused 400, and no workflow starts', async () => {
    const res = await call(wf.app, 'operator', 'POST', '/v1/tasks', task({ title: `nul${NUL}byte` }));
    expectErrorShape(res, 400, 'validation_failed', 'body.title');
    const rows = await wf.db.pool.query("SELECT count(*)::int AS n FROM tasks WHERE view->>'title' LIKE 'nul%'");
    expect(rows.rows[0].n).toBe(0);
  }, 15_000);

  test('cancelling an assigned task with a NUL reason answers 400 at once, and the task still works', async () => {
    const t = await call(wf.app, 'operator', 'POST', '/v1/tasks', task({ title: '待撤销的任务' }));
    expect(t.status, t.text).toBe(201);
    const res = await call(wf.app, 'supervisor', 'POST', `/v1/tasks/${t.body.taskId}/cancel`, { reason: `x${NUL}y` });
    expectErrorShape(res, 400, 'validation_failed', 'body.reason');
    const ok = await call(wf.app, 'supervisor', 'POST', `/v1/tasks/${t.body.taskId}/cancel`, { reason: '重复派单' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.state).toBe('cancelled');
  }, 15_000);
});

describe('a recording activity fed a value PostgreSQL refuses', () => {
  const acts = () => createActivities({ pool: wf.db.pool });
  const at = '2026-03-02T09:00:00.000+08:00';
  const taskView = (workflowId: string, title: string): TaskView => ({
    taskId: workflowId,
    county,
    department: 'housing',
    title,
    instructions: '',
    state: 'assigned',
    assignedAt: at,
    deadlines: [],
    overdue: false,
    escalationLevel: 0,
    escalations: [],
    extensions: [],
    reviews: [],
    lastEventSeq: 1,
  });

  // The first write PostgreSQL refuses names the code: the task's row (its text `title`: NUL is
  // 22021 there; in jsonb it would be 22P05), written before the timeline and the audit entry
  // since the chain lock is taken last (db/recording.ts).
  test.each([
    ['NUL (22021)', `王${NUL}五的房屋`, '22021'],
    ['a lone surrogate (22P02)', `王${LONE}五的房屋`, '22P02'],
  ])('%s: fails non-retryably with a sanitised message, and writes nothing', async (_what, title, sqlstate) => {
    const workflowId = `task:${county}:housing:2026-${randomUUID().slice(0, 4)}`;
    const err = await acts()
      .recordTaskEvent({
        event: { workflowId, seq: 1, county, at, type: 'assigned', summary: '派单', data: { title } },
        view: taskView(workflowId, title),
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe('DataRefused');
    expect(f.message).toContain(`${workflowId}#1`);
    expect(f.message).toContain(sqlstate);
    expect(f.message).not.toMatch(/王|五的房屋|\\u0000|JSON data/);
    expect(f.cause).toBeUndefined();
    const written = await wf.db.pool.query(
      'SELECT (SELECT count(*) FROM tasks WHERE task_id = $1)::int + (SELECT count(*) FROM timeline_events WHERE workflow_id = $1)::int AS n',
      [workflowId],
    );
    expect(written.rows[0].n).toBe(0);
  });

  test('a database that is down stays retryable (an outage delays the read model, it loses nothing)', async () => {
    const dead = createPool({
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/x`,
      PG_POOL_MAX: 1,
      PG_CONNECTION_TIMEOUT_MS: 500,
      PG_STATEMENT_TIMEOUT_MS: 1000,
    });
    try {
      const workflowId = `task:${county}:housing:2026-${randomUUID().slice(0, 4)}`;
      const err = await createActivities({ pool: dead })
        .recordTaskEvent({
          event: { workflowId, seq: 1, county, at, type: 'assigned', summary: '派单' },
          view: taskView(workflowId, '核查'),
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(Error);
      expect((err as { nonRetryable?: boolean }).nonRetryable ?? false).toBe(false);
    } finally {
      await dead.end();
    }
  });

  test('a matter started around the API with a NUL subject name fails at once instead of retrying for ever', async () => {
    const input: MatterInput = {
      county,
      subject: { name: `张${NUL}三`, kind: 'person' },
      facts: { township: '610124100' },
      definition: resolveScenario(catalogue['self-built-housing'], undefined),
      createdBy: 'k-operator',
    };
    const handle = await wf.client.workflow.start(selfBuiltHousingMatter, {
      taskQueue: wf.taskQueue,
      workflowId: `matter:${county}:self-built-housing:p-${randomUUID().slice(0, 8)}`,
      args: [input],
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause: unknown = err;
    while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: unknown }).cause;
    expect(cause).toMatchObject({ type: 'DataRefused', nonRetryable: true });
    expect(JSON.stringify((await handle.fetchHistory()).events?.filter((e) => e.activityTaskFailedEventAttributes))).not.toContain('张');
  }, 20_000);
});

describe('an Update the workflow does not answer', () => {
  const queue = `stuck-${randomUUID()}`;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  let deadPool: ReturnType<typeof createPool>;

  beforeAll(async () => {
    // A worker whose database is unreachable: every recording activity retries (as it must for
    // an outage), so an Update that records never completes.
    deadPool = createPool({
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/x`,
      PG_POOL_MAX: 1,
      PG_CONNECTION_TIMEOUT_MS: 200,
      PG_STATEMENT_TIMEOUT_MS: 1000,
    });
    worker = await Worker.create({
      connection: wf.env.nativeConnection,
      taskQueue: queue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ pool: deadPool }),
    });
    running = worker.run();
    app = await buildApp({
      config: loadConfig({ TEMPORAL_TASK_QUEUE: queue, UPDATE_TIMEOUT_MS: '1500' }),
      pool: wf.db.pool,
      temporal: wf.client,
      logger: false,
    });
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await deadPool?.end();
  });

  test('answers 503 unavailable with Retry-After after UPDATE_TIMEOUT_MS, instead of an open socket', async () => {
    const disputeId = `matter:${county}:self-built-housing:2026-7777/dispute:1`;
    await wf.client.workflow.start(jurisdictionDispute, {
      taskQueue: queue,
      workflowId: disputeId,
      args: [
        {
          county,
          taskKey: 'survey.planning',
          taskTitle: '规划核查',
          parties: ['natural-resources', 'agriculture'],
          returnedBy: 'natural-resources',
          reason: '非本部门职责',
        },
      ],
    });
    expect(fromUrlId(toUrlId(disputeId))).toBe(disputeId);
    const started = Date.now();
    const res = await app.inject({
      method: 'POST',
      url: `/v1/disputes/${toUrlId(disputeId)}/positions`,
      headers: { authorization: `Bearer ${wf.keys.agriculture}` },
      payload: { position: 'accept', reason: '由本部门办理' },
    });
    const took = Date.now() - started;
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: { code: 'unavailable' } });
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(10_000);
  }, 20_000);
});
