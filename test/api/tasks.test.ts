/**
 * The HTTP API with real parts: the Fastify app (via inject), a real PostgreSQL database, the
 * Temporal time-skipping test server and a Worker running the real department-task workflow and
 * its activities. Each route is checked the way a user would: happy path, validation, keys,
 * who may see and act, wrong state, and the HTTP edges.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addWorkingDays, defaultCalendar, resolveDeadline, shiftByWorkingDays } from '../../domain/calendar/index.js';
import { escalationLevel, resolveClock } from '../../domain/ladder.js';
import { defaultLadder } from '../../domain/task.js';
import { createKey } from '../../db/keys.js';
import { startApiHarness, unknownKey, type ApiHarness, type ApiResponse, type Caller } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

// ---- helpers ----

interface TaskBody {
  taskId: string;
  workflowId: string;
  state: string;
  stateName: string;
  currentDeadline?: { kind: string; dueAt: string; provisional: boolean };
  [k: string]: any;
}

let titles = 0;
const newTitle = (what = '核查自建房安全隐患') => `${what} #${++titles}`;

/** The read model row has caught up with the workflow (its event `seq` or later is written). */
async function recorded(workflowId: string, seq = 1) {
  return eventually(
    async () => {
      const r = await h.db.pool.query('SELECT state, overdue, last_seq FROM tasks WHERE task_id = $1', [workflowId]);
      const row = r.rows[0] as { state: string; overdue: boolean; last_seq: number } | undefined;
      return row && row.last_seq >= seq ? row : undefined;
    },
    { message: `read model of ${workflowId} at seq ${seq}` },
  );
}

/** POST /v1/tasks as the operator; waits until the assignment is recorded (timeline, inbox, notifications). */
async function assign(overrides: Record<string, unknown> = {}): Promise<TaskBody> {
  const res = await h.call<TaskBody>('POST', '/v1/tasks', {
    as: 'operator',
    body: { department: 'housing', leadDepartment: 'commerce', title: newTitle(), instructions: '现场核查并反馈', ...overrides },
  });
  expect(res.status, res.text).toBe(201);
  await recorded(res.body.workflowId);
  return res.body;
}

/** The working-day calendar's revision the service resolves with (the newest published version). */
async function calendarRevision(): Promise<number> {
  return (await h.db.pool.query('SELECT coalesce(max(id), 0)::int AS r FROM calendar_years')).rows[0].r as number;
}

const path = (t: TaskBody | string, action = '') => `/v1/tasks/${typeof t === 'string' ? t : t.taskId}${action}`;

async function act(t: TaskBody, action: string, as: Caller, body?: unknown): Promise<ApiResponse> {
  return h.call('POST', path(t, action), { as, ...(body !== undefined ? { body } : {}) });
}

async function signed(): Promise<TaskBody> {
  const t = await assign();
  const res = await act(t, '/sign', 'housing');
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function submitted(): Promise<TaskBody> {
  const t = await signed();
  const res = await act(t, '/submit', 'housing', { summary: '已现场核查，未发现隐患', outcome: 'compliant' });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** An error answer: status, the stable code and, for validation, the field paths named. */
function expectError(res: ApiResponse, status: number, code: string, fieldPath?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body?.error?.code, res.text).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  if (fieldPath) {
    expect(
      res.body.error.issues.map((i: { path: string }) => i.path),
      res.text,
    ).toContain(fieldPath);
  }
}

const timelineTypes = async (t: TaskBody) => {
  const res = await h.call('GET', path(t), { as: 'housing' });
  expect(res.status, res.text).toBe(200);
  return (res.body.timeline as { type: string }[]).map((e) => e.type);
};

// ---- keys ----

describe('API keys (every /v1 route)', () => {
  const id = 'task:610124:housing:2026-0001';
  const routes: [method: 'GET' | 'POST', url: string][] = [
    ['GET', '/v1/tasks'],
    ['POST', '/v1/tasks'],
    ['GET', `/v1/tasks/${id}`],
    ['POST', `/v1/tasks/${id}/sign`],
    ['POST', `/v1/tasks/${id}/submit`],
    ['POST', `/v1/tasks/${id}/review`],
    ['POST', `/v1/tasks/${id}/return`],
    ['POST', `/v1/tasks/${id}/extensions`],
    ['POST', `/v1/tasks/${id}/extensions/ext-1/decision`],
    ['POST', `/v1/tasks/${id}/cancel`],
    ['GET', '/v1/notifications'],
    ['GET', '/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&amount=3&unit=working_day'],
  ];

  test.each(routes)('%s %s without a key → 401 unauthenticated', async (method, url) => {
    expectError(await h.call(method, url, { as: null, body: {} }), 401, 'unauthenticated');
  });

  test.each(routes)('%s %s with a key that was never issued → 401', async (method, url) => {
    expectError(await h.call(method, url, { as: { authorization: `Bearer ${unknownKey}` }, body: {} }), 401, 'unauthenticated');
  });

  test('a malformed Authorization header, or a key under another scheme → 401', async () => {
    for (const authorization of ['Bearer', 'Bearer not-a-key', `Basic ${h.keys.operator}`, h.keys.operator]) {
      expectError(await h.call('GET', '/v1/tasks', { as: { authorization } }), 401, 'unauthenticated');
    }
  });

  test('a real key with one character of its secret changed → 401', async () => {
    const key = h.keys.operator;
    const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expectError(await h.call('GET', '/v1/tasks', { as: { authorization: `Bearer ${forged}` } }), 401, 'unauthenticated');
  });

  test('a revoked key → 401', async () => {
    const { key, keyId } = await createKey(h.db.pool, { county: '610124', roles: ['operator'] });
    expect((await h.call('GET', '/v1/tasks', { as: { authorization: `Bearer ${key}` } })).status).toBe(200);
    await h.db.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1', [keyId]);
    expectError(await h.call('GET', '/v1/tasks', { as: { authorization: `Bearer ${key}` } }), 401, 'unauthenticated');
  });

  test('the 401 body tells the caller how to authenticate', async () => {
    const res = await h.call('GET', '/v1/tasks', { as: null });
    expect(res.body).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "unauthenticated",
          "message": "需要 API 密钥：Authorization: Bearer <key>",
        },
      }
    `);
  });
});

// ---- POST /v1/tasks ----

describe('POST /v1/tasks', () => {
  test('the operator assigns a task: 201, 待签收, a sign-for deadline one working day on, ending 23:59:59.999 +08:00', async () => {
    const title = newTitle();
    const res = await h.call<TaskBody>('POST', '/v1/tasks', {
      as: 'operator',
      body: { department: 'housing', leadDepartment: 'commerce', title, instructions: '现场核查并反馈' },
    });
    expect(res.status, res.text).toBe(201);
    const t = res.body;
    expect(t).toMatchObject({
      county: '610124',
      department: 'housing',
      departmentName: '住房和城乡建设局',
      leadDepartment: 'commerce',
      title,
      instructions: '现场核查并反馈',
      state: 'assigned',
      stateName: '待签收',
      overdue: false,
      escalationLevel: 0,
      extensions: [],
      reviews: [],
    });
    expect(t.taskId).toMatch(/^task:610124:housing:\d{4}-\d{4}$/);
    expect(t.workflowId).toBe(t.taskId);
    const expected = resolveDeadline(t.assignedAt as string, { amount: 1, unit: 'working_day', startsFrom: 'assignment' });
    expect(t.currentDeadline).toEqual({
      kind: 'sign-for',
      dueAt: expected.dueAt,
      provisional: expected.provisional,
      countsFrom: { event: 'assignment', at: t.assignedAt },
      calendarRevision: await calendarRevision(),
    });
    expect(t.currentDeadline?.dueAt).toMatch(/T23:59:59\.999\+08:00$/);
    expect(t.deadlines).toEqual([t.currentDeadline]);
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  test('the answer carries the sign-for deadline even when resolving the clock is slow (the inbox shows it at once too)', async () => {
    // Hold the calendar table so the task's clock resolution waits on PostgreSQL: the answer must
    // still come with its deadline (read-your-writes), not a live state caught before the clock.
    const blocker = await h.db.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE calendar_years IN ACCESS EXCLUSIVE MODE');
    const pending = h.call<TaskBody>('POST', '/v1/tasks', {
      as: 'operator',
      body: { department: 'housing', title: newTitle(), instructions: '现场核查并反馈' },
    });
    // The lock is released only once the task has started and is waiting on it.
    await eventually(
      async () => {
        const r = await h.db.pool.query(`SELECT 1 FROM pg_locks WHERE relation = 'calendar_years'::regclass AND NOT granted`);
        return r.rowCount ? true : undefined;
      },
      { message: 'clock resolution blocked on the calendar' },
    );
    await blocker.query('COMMIT');
    blocker.release();
    const res = await pending;
    expect(res.status, res.text).toBe(201);
    const expected = resolveDeadline(res.body.assignedAt as string, { amount: 1, unit: 'working_day', startsFrom: 'assignment' });
    expect(res.body.currentDeadline).toMatchObject({ kind: 'sign-for', dueAt: expected.dueAt, provisional: expected.provisional });
    const inbox = await h.call('GET', '/v1/tasks?state=assigned&limit=200', { as: 'housing' });
    expect(inbox.body.items.map((t: TaskBody) => t.taskId)).toContain(res.body.taskId);
  });
  test('a missing title → 400 validation_failed naming body.title', async () => {
    const res = await h.call('POST', '/v1/tasks', { as: 'operator', body: { department: 'housing', instructions: '…' } });
    expectError(res, 400, 'validation_failed', 'body.title');
    expect(res.body).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_failed",
          "issues": [
            {
              "message": "Invalid input: expected string, received undefined",
              "path": "body.title",
            },
          ],
          "message": "请求参数不符合要求",
        },
      }
    `);
  });

  test('a title that is a number, or an unknown department → 400 naming the field', async () => {
    expectError(await h.call('POST', '/v1/tasks', { body: { department: 'housing', title: 42 } }), 400, 'validation_failed', 'body.title');
    expectError(await h.call('POST', '/v1/tasks', { body: { department: 'nowhere', title: 'x' } }), 400, 'validation_failed', 'body.department');
    expectError(await h.call('POST', '/v1/tasks', { body: { title: 'x' } }), 400, 'validation_failed', 'body.department');
    expectError(await h.call('POST', '/v1/tasks', { body: { department: 'housing', title: '   ' } }), 400, 'validation_failed', 'body.title');
    expectError(await h.call('POST', '/v1/tasks', { body: { department: 'housing', title: 'x', county: '61012' } }), 400, 'validation_failed', 'body.county');
  });

  test('a POST with no body at all → 400 naming body', async () => {
    expectError(await h.call('POST', '/v1/tasks', { as: 'operator' }), 400, 'validation_failed', 'body');
  });

  test('an officer may not assign tasks → 403 forbidden', async () => {
    const res = await h.call('POST', '/v1/tasks', { as: 'housing', body: { department: 'housing', title: newTitle() } });
    expectError(res, 403, 'forbidden');
  });

  test('the operator may not assign a task in another county → 403 forbidden', async () => {
    const res = await h.call('POST', '/v1/tasks', { as: 'operator', body: { department: 'housing', title: newTitle(), county: '610122' } });
    expectError(res, 403, 'forbidden');
  });

  test('a retry with the same Idempotency-Key answers 200 with the same task, and only one task exists', async () => {
    const body = { department: 'housing', leadDepartment: 'commerce', title: newTitle('重复提交'), instructions: '同一请求' };
    const headers = { 'idempotency-key': 'create-task-0001' };
    const first = await h.call<TaskBody>('POST', '/v1/tasks', { as: 'operator', body, headers });
    expect(first.status, first.text).toBe(201);
    const second = await h.call<TaskBody>('POST', '/v1/tasks', { as: 'operator', body, headers });
    expect(second.status, second.text).toBe(200);
    expect(second.body.taskId).toBe(first.body.taskId);
    await recorded(first.body.workflowId);
    const rows = await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM tasks WHERE title = $1', [body.title]);
    expect(Number(rows.rows[0]!.n)).toBe(1);
  });

  test('two concurrent requests with the same Idempotency-Key create one task (one 201, one 200)', async () => {
    const body = { department: 'housing', leadDepartment: 'commerce', title: newTitle('并发重试'), instructions: '' };
    const headers = { 'idempotency-key': 'create-task-concurrent-1' };
    const [a, b] = await Promise.all([
      h.call<TaskBody>('POST', '/v1/tasks', { as: 'operator', body, headers }),
      h.call<TaskBody>('POST', '/v1/tasks', { as: 'operator', body, headers }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.taskId).toBe(b.body.taskId);
    await recorded(a.body.workflowId);
    const rows = await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM tasks WHERE title = $1', [body.title]);
    expect(Number(rows.rows[0]!.n)).toBe(1);
  });

  test('the same Idempotency-Key with a different body → 409 idempotency_key_reused', async () => {
    const headers = { 'idempotency-key': 'create-task-0002' };
    const first = await h.call('POST', '/v1/tasks', { as: 'operator', body: { department: 'housing', title: newTitle() }, headers });
    expect(first.status, first.text).toBe(201);
    const other = await h.call('POST', '/v1/tasks', { as: 'operator', body: { department: 'housing', title: newTitle() }, headers });
    expectError(other, 409, 'idempotency_key_reused');
  });

  test('a malformed Idempotency-Key → 400 naming headers.idempotency-key', async () => {
    for (const key of ['short', 'has spaces in it', 'x'.repeat(129)]) {
      const res = await h.call('POST', '/v1/tasks', {
        as: 'operator',
        body: { department: 'housing', title: newTitle() },
        headers: { 'idempotency-key': key },
      });
      expectError(res, 400, 'validation_failed', 'headers.idempotency-key');
    }
  });
});

// ---- GET /v1/tasks/:taskId ----

describe('GET /v1/tasks/:taskId', () => {
  let t: TaskBody;
  beforeAll(async () => {
    t = await assign();
  });

  test('the housing officer reads its task: state, deadlines, timeline and a Temporal UI link', async () => {
    const res = await h.call('GET', path(t), { as: 'housing' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      taskId: t.taskId,
      state: 'assigned',
      stateName: '待签收',
      currentDeadline: t.currentDeadline,
      overdue: false,
    });
    expect(res.body.timeline).toEqual([expect.objectContaining({ seq: 1, type: 'assigned', actorDepartment: null, at: expect.stringMatching(/\+08:00$/) })]);
    expect(res.body.temporalUiUrl).toBe(`${h.config.TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(t.workflowId)}`);
  });

  test('the lead department (commerce) can see the task it leads', async () => {
    const res = await h.call('GET', path(t), { as: 'commerce' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.taskId).toBe(t.taskId);
  });

  test('the county supervisor and the city (610100) supervisor can see it', async () => {
    expect((await h.call('GET', path(t), { as: 'supervisor' })).status).toBe(200);
    expect((await h.call('GET', path(t), { as: 'citySupervisor' })).status).toBe(200);
  });

  test('another department (market) → 404, as if the task did not exist', async () => {
    expectError(await h.call('GET', path(t), { as: 'market' }), 404, 'not_found');
  });

  test('the housing officer of another county → 404', async () => {
    expectError(await h.call('GET', path(t), { as: 'otherCountyHousing' }), 404, 'not_found');
  });

  test('a well-formed id of a task that does not exist → 404', async () => {
    expectError(await h.call('GET', path('task:610124:housing:2026-9999'), { as: 'housing' }), 404, 'not_found');
    expectError(await h.call('GET', path('task:610124:~'), { as: 'housing' }), 404, 'not_found');
  });

  test('a hidden task and a task that does not exist get the same 404 body (existence is not revealed)', async () => {
    const hidden = await h.call('GET', path(t), { as: 'otherCountyHousing' });
    const missing = await h.call('GET', path('task:610124:housing:2026-9999'), { as: 'otherCountyHousing' });
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    // Regression, fixed (was: api/routes/tasks.ts visibleTask + api/errors.ts): a hidden task answers
    // "任务不存在或无权查看" (notFound('任务')), a missing one "资源不存在或无权查看" (WorkflowNotFoundError).
    expect(hidden.body).toEqual(missing.body);
  });

  test('an id that is not one of ours (path traversal, junk) → 400 naming params.taskId', async () => {
    for (const bad of ['..%2Fetc', 'matter:abc', 'TASK:610124:housing:2026-0001', 'task:610124:housing%20x']) {
      expectError(await h.call('GET', path(bad), { as: 'housing' }), 400, 'validation_failed', 'params.taskId');
    }
  });

  test('a well-formed id of 101–200 characters (the API accepts up to 200) reaches the API: 404 for a task that does not exist', async () => {
    const id = `task:610124:housing:${'a'.repeat(80)}:2026-0001`;
    expect(id).toHaveLength(110);
    // Regression, fixed (was: api/app.ts, Fastify options): the router's maxParamLength is left at Fastify's default
    // 100 while urlIdSchema / fromUrlId accept ids up to 200 characters, so such ids never reach a
    // route: Fastify answers 414 FST_ERR_MAX_PARAM_LENGTH itself.
    expectError(await h.call('GET', path(id), { as: 'housing' }), 404, 'not_found');
  });

  test('an over-long id is refused in the API’s error body ({ error: { code, message } })', async () => {
    const res = await h.call('GET', path(`task:610124:${'a'.repeat(300)}`), { as: 'housing' });
    expect(res.status).toBe(414);
    // Regression, fixed (was: api/app.ts, Fastify options): without `frameworkErrors` the router's own errors bypass
    // the error handler (api/errors.ts): the body is Fastify's { error: 'Bad Request', code:
    // 'FST_ERR_MAX_PARAM_LENGTH', message, statusCode: 414 }, which also echoes the whole path.
    expect(res.body, res.text).toEqual({ error: { code: 'bad_request', message: '请求地址格式错误' } });
  });
});

// ---- who may see a task and who may act on it (every task route) ----

describe('who may see and act on a task', () => {
  let t: TaskBody;
  beforeAll(async () => {
    t = await assign();
  });

  const actions: [name: string, action: string, body?: unknown][] = [
    ['read', ''],
    ['sign', '/sign'],
    ['submit a result for', '/submit', { summary: '已核查' }],
    ['review', '/review', { decision: 'accept', comment: '同意' }],
    ['return', '/return', { reason: '非本部门职责' }],
    ['ask for an extension on', '/extensions', { workingDays: 2, reason: '需要补充材料' }],
    ['decide an extension on', '/extensions/ext-1/decision', { approve: true }],
    ['cancel', '/cancel', { reason: '重复派单' }],
  ];

  test.each(actions)('another department (market) may not %s a housing task → 404', async (_name, action, body) => {
    const res = action === '' ? await h.call('GET', path(t), { as: 'market' }) : await act(t, action, 'market', body);
    expectError(res, 404, 'not_found');
  });

  test.each(actions)('an officer of another county may not %s it → 404', async (_name, action, body) => {
    const res = action === '' ? await h.call('GET', path(t), { as: 'otherCountyHousing' }) : await act(t, action, 'otherCountyHousing', body);
    expectError(res, 404, 'not_found');
  });

  test('a supervisor sees the task but may not sign it → 403 forbidden', async () => {
    expectError(await act(t, '/sign', 'supervisor'), 403, 'forbidden');
  });

  test('the lead department sees the task but may not sign it → 403 forbidden', async () => {
    expectError(await act(t, '/sign', 'commerce'), 403, 'forbidden');
  });

  test('the city supervisor sees the task but may neither sign nor cancel it → 403 forbidden', async () => {
    expectError(await act(t, '/sign', 'citySupervisor'), 403, 'forbidden');
    expectError(await act(t, '/cancel', 'citySupervisor', { reason: '越级撤销' }), 403, 'forbidden');
  });

  test('none of the refused attempts changed the task', async () => {
    const res = await h.call('GET', path(t), { as: 'housing' });
    expect(res.body.state).toBe('assigned');
    expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(['assigned']);
  });
});

// ---- POST /v1/tasks/:taskId/sign ----

describe('POST /v1/tasks/:taskId/sign', () => {
  test('the housing officer signs: 办理中, a handling deadline of 5 working days from signing', async () => {
    const t = await assign();
    const res = await act(t, '/sign', 'housing');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ taskId: t.taskId, state: 'signed', stateName: '办理中', overdue: false });
    const expected = resolveDeadline(res.body.signedAt as string, { amount: 5, unit: 'working_day', startsFrom: 'sign-for' });
    expect(res.body.currentDeadline).toEqual({
      kind: 'handle',
      dueAt: expected.dueAt,
      provisional: expected.provisional,
      countsFrom: { event: 'sign-for', at: res.body.signedAt },
      calendarRevision: await calendarRevision(),
    });
    expect(res.body.deadlines.map((d: { kind: string }) => d.kind)).toEqual(['sign-for', 'handle']);
    expect(await timelineTypes(t)).toEqual(['assigned', 'signed']);
  });

  test('signing twice → 409 wrong_state', async () => {
    const t = await signed();
    expectError(await act(t, '/sign', 'housing'), 409, 'wrong_state');
  });

  test('a retried sign with the same Idempotency-Key answers 200 with the same result, and signs once', async () => {
    const t = await assign();
    const headers = { 'idempotency-key': 'sign-retry-0001' };
    const first = await h.call('POST', path(t, '/sign'), { as: 'housing', headers });
    const again = await h.call('POST', path(t, '/sign'), { as: 'housing', headers });
    expect(first.status, first.text).toBe(200);
    expect(again.status, again.text).toBe(200);
    expect(again.body.signedAt).toBe(first.body.signedAt);
    expect(await timelineTypes(t)).toEqual(['assigned', 'signed']);
  });

  test('a malformed Idempotency-Key or task id → 400 naming the field', async () => {
    const t = await assign();
    expectError(
      await h.call('POST', path(t, '/sign'), { as: 'housing', headers: { 'idempotency-key': 'bad key!' } }),
      400,
      'validation_failed',
      'headers.idempotency-key',
    );
    expectError(await h.call('POST', path('..%2Fetc', '/sign'), { as: 'housing' }), 400, 'validation_failed', 'params.taskId');
  });
});

// ---- POST /v1/tasks/:taskId/submit ----

describe('POST /v1/tasks/:taskId/submit', () => {
  test('the housing officer submits its result: 待审核, the lead’s review clock (2 working days), the submission kept', async () => {
    const t = await signed();
    const evidence = [{ name: '现场照片', sha256: 'a'.repeat(64) }];
    const res = await act(t, '/submit', 'housing', { summary: '已现场核查，存在一般隐患', outcome: 'hazard', findings: '外墙开裂', evidence });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      state: 'submitted',
      stateName: '待审核',
      submission: { summary: '已现场核查，存在一般隐患', outcome: 'hazard', findings: '外墙开裂', evidence },
    });
    expect(res.body.submittedAt).toMatch(/\+08:00$/);
    const review = resolveDeadline(res.body.submittedAt as string, { amount: 2, unit: 'working_day' });
    expect(res.body.currentDeadline).toEqual({
      kind: 'review',
      dueAt: review.dueAt,
      provisional: review.provisional,
      countsFrom: { event: 'submission', at: res.body.submittedAt },
      calendarRevision: await calendarRevision(),
    });
    expect(await timelineTypes(t)).toEqual(['assigned', 'signed', 'submitted']);
  });

  test('a missing summary → 400 naming body.summary', async () => {
    const t = await signed();
    const res = await act(t, '/submit', 'housing', { outcome: 'hazard' });
    expectError(res, 400, 'validation_failed', 'body.summary');
    expect(res.body).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_failed",
          "issues": [
            {
              "message": "Invalid input: expected string, received undefined",
              "path": "body.summary",
            },
          ],
          "message": "请求参数不符合要求",
        },
      }
    `);
  });

  test('a summary that is a number, or evidence without a SHA-256 → 400 naming the field', async () => {
    const t = await signed();
    expectError(await act(t, '/submit', 'housing', { summary: 123 }), 400, 'validation_failed', 'body.summary');
    expectError(
      await act(t, '/submit', 'housing', { summary: '已核查', evidence: [{ name: '照片', sha256: 'abc' }] }),
      400,
      'validation_failed',
      'body.evidence.0.sha256',
    );
  });

  test('submitting before signing → 409 wrong_state', async () => {
    const t = await assign();
    expectError(await act(t, '/submit', 'housing', { summary: '已核查' }), 409, 'wrong_state');
  });

  test('a supervisor may not submit for the department → 403 forbidden', async () => {
    const t = await signed();
    expectError(await act(t, '/submit', 'supervisor', { summary: '代为提交' }), 403, 'forbidden');
  });
});

// ---- POST /v1/tasks/:taskId/review ----

describe('POST /v1/tasks/:taskId/review', () => {
  test('the lead department accepts: 已办结, closed, the whole timeline recorded', async () => {
    const t = await submitted();
    const res = await act(t, '/review', 'commerce', { decision: 'accept', comment: '同意办结' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ state: 'completed', stateName: '已办结', reviews: [{ decision: 'accept', comment: '同意办结' }] });
    expect(res.body.closedAt).toMatch(/\+08:00$/);
    expect(await timelineTypes(t)).toEqual(['assigned', 'signed', 'submitted', 'completed']);
  });

  test('the lead department sends it back: 退回重办 with a fresh handling deadline', async () => {
    const t = await submitted();
    const res = await act(t, '/review', 'commerce', { decision: 'rework', comment: '材料不全' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ state: 'rework', stateName: '退回重办', currentDeadline: { kind: 'handle' } });
    expect(await timelineTypes(t)).toEqual(['assigned', 'signed', 'submitted', 'rework']);
  });

  test('a county supervisor may review in place of the lead department', async () => {
    const t = await submitted();
    const res = await act(t, '/review', 'supervisor', { decision: 'accept', comment: '同意' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.state).toBe('completed');
  });

  test('the department may not review its own result → 403 forbidden', async () => {
    const t = await submitted();
    expectError(await act(t, '/review', 'housing', { decision: 'accept', comment: '自己通过' }), 403, 'forbidden');
  });

  test('a missing decision, or a decision that is not accept/rework → 400 naming body.decision', async () => {
    const t = await submitted();
    expectError(await act(t, '/review', 'commerce', { comment: '同意' }), 400, 'validation_failed', 'body.decision');
    expectError(await act(t, '/review', 'commerce', { decision: 'maybe', comment: '同意' }), 400, 'validation_failed', 'body.decision');
    expectError(await act(t, '/review', 'commerce', { decision: 'accept', comment: 5 }), 400, 'validation_failed', 'body.comment');
  });

  test('reviewing before anything was submitted → 409 wrong_state', async () => {
    const t = await signed();
    expectError(await act(t, '/review', 'commerce', { decision: 'accept', comment: '同意' }), 409, 'wrong_state');
  });
});

// ---- POST /v1/tasks/:taskId/return ----

describe('POST /v1/tasks/:taskId/return', () => {
  test('the housing officer returns a task that is not its remit: 已退回, with the suggested department', async () => {
    const t = await assign();
    const res = await act(t, '/return', 'housing', { reason: '属于市场监管职责', suggestedDepartment: 'market' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      state: 'returned',
      stateName: '已退回',
      returned: { reason: '属于市场监管职责', suggestedDepartment: 'market' },
    });
    expect(res.body.currentDeadline).toBeUndefined();
    expect(await timelineTypes(t)).toEqual(['assigned', 'returned']);
    // The lead department and the county supervisors (a role, not a department) are told.
    for (const who of ['commerce', 'supervisor'] as const) {
      const notes = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(t.taskId)}`, { as: who });
      expect(
        notes.body.items.map((n: { kind: string }) => n.kind),
        who,
      ).toEqual(['task.returned']);
    }
  });

  test('a missing reason, or an unknown suggested department → 400 naming the field', async () => {
    const t = await assign();
    expectError(await act(t, '/return', 'housing', {}), 400, 'validation_failed', 'body.reason');
    expectError(
      await act(t, '/return', 'housing', { reason: '非本部门职责', suggestedDepartment: 'nowhere' }),
      400,
      'validation_failed',
      'body.suggestedDepartment',
    );
    expectError(await act(t, '/return', 'housing', { reason: ['非本部门职责'] }), 400, 'validation_failed', 'body.reason');
  });

  test('returning a task that is already completed → 409 wrong_state', async () => {
    const t = await submitted();
    expect((await act(t, '/review', 'commerce', { decision: 'accept', comment: '同意' })).status).toBe(200);
    expect((await h.call('GET', path(t), { as: 'housing' })).body.state).toBe('completed');
    // Regression, fixed (was: api/routes/tasks.ts action routes + api/errors.ts WorkflowNotFoundError → 404): a closed
    // task's workflow has ended, executeUpdate fails with WorkflowNotFoundError ("workflow
    // execution already completed") and the API answers 404 not_found for a task GET still shows.
    expectError(await act(t, '/return', 'housing', { reason: '非本部门职责' }), 409, 'wrong_state');
  });

  test('returning a task that is still open but not in a returnable state (submitted) → 409 wrong_state', async () => {
    const t = await submitted();
    expectError(await act(t, '/return', 'housing', { reason: '非本部门职责' }), 409, 'wrong_state');
  });

  test('a supervisor may not return the department’s task → 403 forbidden', async () => {
    const t = await assign();
    expectError(await act(t, '/return', 'supervisor', { reason: '非本部门职责' }), 403, 'forbidden');
  });
});

// ---- extensions ----

describe('POST /v1/tasks/:taskId/extensions and …/extensions/:extensionId/decision', () => {
  test('the department asks for 3 more working days: 201, ext-1 pending', async () => {
    const t = await signed();
    const res = await act(t, '/extensions', 'housing', { workingDays: 3, reason: '需要补充检测报告' });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ id: 'ext-1', workingDays: 3, reason: '需要补充检测报告', status: 'pending' });
    expect(await timelineTypes(t)).toEqual(['assigned', 'signed', 'extension.requested']);
  });

  test('the lead department approves: the handling deadline moves 3 working days', async () => {
    const t = await signed();
    expect((await act(t, '/extensions', 'housing', { workingDays: 3, reason: '需要补充检测报告' })).status).toBe(201);
    const res = await act(t, '/extensions/ext-1/decision', 'commerce', { approve: true, comment: '同意延期' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: 'ext-1', status: 'approved', comment: '同意延期', previousDueAt: t.currentDeadline!.dueAt });
    expect(res.body.newDueAt).toBe(shiftByWorkingDays(Date.parse(t.currentDeadline!.dueAt), 3).dueAt);
    const detail = await h.call('GET', path(t), { as: 'housing' });
    expect(detail.body.currentDeadline).toMatchObject({ kind: 'handle', dueAt: res.body.newDueAt });
    expect(detail.body.extensions).toEqual([expect.objectContaining({ id: 'ext-1', status: 'approved' })]);
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toEqual(['assigned', 'signed', 'extension.requested', 'extension.approved']);
  });

  test('a rejected extension leaves the deadline where it was', async () => {
    const t = await signed();
    expect((await act(t, '/extensions', 'housing', { workingDays: 2, reason: '人手不足' })).status).toBe(201);
    const res = await act(t, '/extensions/ext-1/decision', 'commerce', { approve: false, comment: '请按期办结' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', comment: '请按期办结' });
    const detail = await h.call('GET', path(t), { as: 'housing' });
    expect(detail.body.currentDeadline).toEqual(t.currentDeadline);
  });

  test('a second request while one is pending → 409 extension_pending', async () => {
    const t = await signed();
    expect((await act(t, '/extensions', 'housing', { workingDays: 3, reason: '需要补充检测报告' })).status).toBe(201);
    expectError(await act(t, '/extensions', 'housing', { workingDays: 1, reason: '再延一天' }), 409, 'extension_pending');
  });

  test('asking before signing → 409 wrong_state', async () => {
    const t = await assign();
    expectError(await act(t, '/extensions', 'housing', { workingDays: 3, reason: '需要补充检测报告' }), 409, 'wrong_state');
  });

  test('deciding an extension twice → 409 wrong_state; an unknown extension → 404', async () => {
    const t = await signed();
    expect((await act(t, '/extensions', 'housing', { workingDays: 3, reason: '需要补充检测报告' })).status).toBe(201);
    expect((await act(t, '/extensions/ext-1/decision', 'commerce', { approve: true })).status).toBe(200);
    expectError(await act(t, '/extensions/ext-1/decision', 'commerce', { approve: false }), 409, 'wrong_state');
    expectError(await act(t, '/extensions/ext-9/decision', 'commerce', { approve: true }), 404, 'not_found');
  });

  test('the department may not decide its own extension, nor a supervisor ask for one → 403 forbidden', async () => {
    const t = await signed();
    expectError(await act(t, '/extensions', 'supervisor', { workingDays: 3, reason: '代为申请' }), 403, 'forbidden');
    expect((await act(t, '/extensions', 'housing', { workingDays: 3, reason: '需要补充检测报告' })).status).toBe(201);
    expectError(await act(t, '/extensions/ext-1/decision', 'housing', { approve: true }), 403, 'forbidden');
  });

  test('extension request: a missing reason, workingDays as a string or above 10 → 400 naming the field', async () => {
    const t = await signed();
    expectError(await act(t, '/extensions', 'housing', { workingDays: 3 }), 400, 'validation_failed', 'body.reason');
    expectError(await act(t, '/extensions', 'housing', { reason: '需要补充检测报告' }), 400, 'validation_failed', 'body.workingDays');
    expectError(await act(t, '/extensions', 'housing', { workingDays: '3', reason: '需要补充检测报告' }), 400, 'validation_failed', 'body.workingDays');
    expectError(await act(t, '/extensions', 'housing', { workingDays: 11, reason: '需要补充检测报告' }), 400, 'validation_failed', 'body.workingDays');
  });

  test('extension decision: a missing or non-boolean approve, or a malformed extension id → 400 naming the field', async () => {
    const t = await signed();
    expectError(await act(t, '/extensions/ext-1/decision', 'commerce', { comment: '同意' }), 400, 'validation_failed', 'body.approve');
    expectError(await act(t, '/extensions/ext-1/decision', 'commerce', { approve: 'yes' }), 400, 'validation_failed', 'body.approve');
    expectError(await act(t, '/extensions/first/decision', 'commerce', { approve: true }), 400, 'validation_failed', 'params.extensionId');
  });
});

// ---- POST /v1/tasks/:taskId/cancel ----

describe('POST /v1/tasks/:taskId/cancel', () => {
  test('the operator cancels: 已撤销, closed, the department told', async () => {
    const t = await assign();
    const res = await act(t, '/cancel', 'operator', { reason: '重复派单' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ state: 'cancelled', stateName: '已撤销', cancelled: { reason: '重复派单' } });
    expect(res.body.currentDeadline).toBeUndefined();
    expect(await timelineTypes(t)).toEqual(['assigned', 'cancelled']);
    const notes = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(t.taskId)}`, { as: 'housing' });
    expect(notes.body.items.map((n: { kind: string }) => n.kind)).toEqual(['task.cancelled', 'task.assigned']);
  });

  test('a county supervisor may cancel too', async () => {
    const t = await signed();
    const res = await act(t, '/cancel', 'supervisor', { reason: '情况已消除' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.state).toBe('cancelled');
  });

  test('cancelling twice → 409 wrong_state', async () => {
    const t = await assign();
    expect((await act(t, '/cancel', 'operator', { reason: '重复派单' })).status).toBe(200);
    expect((await h.call('GET', path(t), { as: 'operator' })).body.state).toBe('cancelled');
    // Regression, fixed (was: same root cause as "returning a task that is already completed"): the cancelled task's
    // workflow has ended, so the second cancel answers 404 not_found instead of 409 wrong_state.
    expectError(await act(t, '/cancel', 'operator', { reason: '再次撤销' }), 409, 'wrong_state');
  });

  test('segregation of duties: on the lead’s own task, the lead neither grants its extension nor accepts its submission (403); a supervisor does', async () => {
    const t = await assign({ department: 'commerce', leadDepartment: 'commerce' });
    expect((await act(t, '/sign', 'commerce')).status).toBe(200);
    const ext = await act(t, '/extensions', 'commerce', { workingDays: 2, reason: '需补充材料' });
    expect(ext.status, ext.text).toBe(201);
    expectError(await act(t, `/extensions/${ext.body.id}/decision`, 'commerce', { approve: true }), 403, 'forbidden');
    expect((await act(t, `/extensions/${ext.body.id}/decision`, 'supervisor', { approve: true })).body).toMatchObject({ status: 'approved' });
    expect((await act(t, '/submit', 'commerce', { summary: '已核查' })).status).toBe(200);
    expectError(await act(t, '/review', 'commerce', { decision: 'accept', comment: '同意' }), 403, 'forbidden');
    expect((await act(t, '/review', 'supervisor', { decision: 'accept', comment: '同意' })).body).toMatchObject({ state: 'completed' });
  });

  test('the department may not cancel its own task → 403 forbidden', async () => {
    const t = await assign();
    expectError(await act(t, '/cancel', 'housing', { reason: '不想办' }), 403, 'forbidden');
  });

  test('a missing, blank or non-string reason → 400 naming body.reason', async () => {
    const t = await assign();
    expectError(await act(t, '/cancel', 'operator', {}), 400, 'validation_failed', 'body.reason');
    expectError(await act(t, '/cancel', 'operator', { reason: '   ' }), 400, 'validation_failed', 'body.reason');
    expectError(await act(t, '/cancel', 'operator', { reason: 7 }), 400, 'validation_failed', 'body.reason');
  });
});

// ---- GET /v1/tasks ----

describe('GET /v1/tasks (inbox)', () => {
  let housingTask: TaskBody;
  let signedTask: TaskBody;
  let marketTask: TaskBody;
  const ecology: TaskBody[] = [];
  beforeAll(async () => {
    housingTask = await assign();
    signedTask = await signed();
    marketTask = await assign({ department: 'market', leadDepartment: 'commerce' });
    for (let i = 0; i < 3; i++) ecology.push(await assign({ department: 'ecology', leadDepartment: undefined }));
  });

  const ids = (res: ApiResponse) => (res.body.items as TaskBody[]).map((t) => t.taskId);

  test('an officer sees only its own department’s tasks', async () => {
    const housing = await h.call('GET', '/v1/tasks?limit=200', { as: 'housing' });
    expect(housing.status, housing.text).toBe(200);
    expect(ids(housing)).toEqual(expect.arrayContaining([housingTask.taskId, signedTask.taskId]));
    expect(new Set(housing.body.items.map((t: TaskBody) => t.department))).toEqual(new Set(['housing']));
    expect(ids(housing)).not.toContain(marketTask.taskId);

    const market = await h.call('GET', '/v1/tasks?limit=200', { as: 'market' });
    expect(ids(market)).toContain(marketTask.taskId);
    expect(ids(market)).not.toContain(housingTask.taskId);
  });

  test('an item carries what an inbox shows: state name, deadline, overdue', async () => {
    const res = await h.call('GET', '/v1/tasks?limit=200', { as: 'housing' });
    const item = (res.body.items as TaskBody[]).find((t) => t.taskId === housingTask.taskId);
    expect(item).toMatchObject({
      taskId: housingTask.taskId,
      state: 'assigned',
      stateName: '待签收',
      departmentName: '住房和城乡建设局',
      currentDeadline: housingTask.currentDeadline,
      overdue: false,
      escalationLevel: 0,
    });
  });

  test('?department=market as the housing officer → 403 forbidden', async () => {
    expectError(await h.call('GET', '/v1/tasks?department=market', { as: 'housing' }), 403, 'forbidden');
  });

  test('a supervisor may filter by department', async () => {
    const res = await h.call('GET', '/v1/tasks?department=market&limit=200', { as: 'supervisor' });
    expect(res.status, res.text).toBe(200);
    expect(ids(res)).toContain(marketTask.taskId);
    expect(new Set(res.body.items.map((t: TaskBody) => t.department))).toEqual(new Set(['market']));
  });

  test('?state=signed lists only signed tasks', async () => {
    const res = await h.call('GET', '/v1/tasks?state=signed&limit=200', { as: 'housing' });
    expect(res.status, res.text).toBe(200);
    expect(ids(res)).toContain(signedTask.taskId);
    expect(ids(res)).not.toContain(housingTask.taskId);
    expect(new Set(res.body.items.map((t: TaskBody) => t.state))).toEqual(new Set(['signed']));
  });

  test('?overdue=false lists tasks on time; ?overdue=true none while nothing is late', async () => {
    const onTime = await h.call('GET', '/v1/tasks?overdue=false&limit=200', { as: 'housing' });
    expect(ids(onTime)).toEqual(expect.arrayContaining([housingTask.taskId, signedTask.taskId]));
    const late = await h.call('GET', '/v1/tasks?overdue=true&limit=200', { as: 'housing' });
    expect(late.status, late.text).toBe(200);
    expect(late.body.items).toEqual([]);
  });

  test('pages of limit=1 over 3 tasks return each task exactly once, then nextCursor null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/tasks?department=ecology&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await h.call('GET', url, { as: 'supervisor' });
      expect(res.status, res.text).toBe(200);
      expect(res.body.items).toHaveLength(1);
      seen.push(...ids(res));
      cursor = res.body.nextCursor as string | null;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(ecology.map((t) => t.taskId).sort());
  });

  test('pages of limit=1 over the whole housing inbox (mixed deadlines, closed tasks without one) equal the one-page list', async () => {
    const full = await h.call('GET', '/v1/tasks?limit=200', { as: 'housing' });
    const expected = ids(full);
    // Every task of housing's department, or led by it, in its county (the read model, queried here).
    const rows = await h.db.pool.query<{ task_id: string }>(
      "SELECT task_id FROM tasks WHERE county = '610124' AND (department = 'housing' OR lead_department = 'housing')",
    );
    expect([...expected].sort()).toEqual(rows.rows.map((r) => r.task_id.replaceAll('/', '~')).sort());
    expect(expected.length, 'enough tasks for many pages').toBeGreaterThan(10);
    expect(full.body.items.some((t: TaskBody) => !t.currentDeadline)).toBe(true);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/tasks?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await h.call('GET', url, { as: 'housing' });
      expect(res.status, res.text).toBe(200);
      seen.push(...ids(res));
      cursor = res.body.nextCursor as string | null;
    } while (cursor && seen.length <= expected.length);
    expect(seen).toEqual(expected);
  });

  test('the city (610100) supervisor sees the county’s tasks; an officer of another county does not', async () => {
    const city = await h.call('GET', '/v1/tasks?limit=200', { as: 'citySupervisor' });
    expect(city.status, city.text).toBe(200);
    expect(ids(city)).toEqual(expect.arrayContaining([housingTask.taskId, marketTask.taskId, ecology[0]!.taskId]));
    const other = await h.call('GET', '/v1/tasks?limit=200', { as: 'otherCountyHousing' });
    expect(other.status, other.text).toBe(200);
    expect(other.body.items).toEqual([]);
  });

  test('a malformed cursor → 400 naming querystring.cursor', async () => {
    const res = await h.call('GET', '/v1/tasks?cursor=not-a-cursor', { as: 'housing' });
    expectError(res, 400, 'validation_failed', 'querystring.cursor');
  });

  test('a cursor that decodes but holds no valid due time → 400, not 500', async () => {
    const cursor = Buffer.from(JSON.stringify({ dueAt: 'not-a-time', taskId: 'x' })).toString('base64url');
    const res = await h.call('GET', `/v1/tasks?cursor=${cursor}`, { as: 'housing' });
    // Regression, fixed (was: api/routes/tasks.ts, GET /tasks cursor check): only `taskId` is checked; `dueAt` goes to
    // PostgreSQL as ::timestamptz, which fails (22007) and the API answers 500 internal.
    expectError(res, 400, 'validation_failed', 'querystring.cursor');
  });

  test('a bad limit, state or overdue value → 400 naming the query parameter', async () => {
    expectError(await h.call('GET', '/v1/tasks?limit=abc', { as: 'housing' }), 400, 'validation_failed', 'querystring.limit');
    expectError(await h.call('GET', '/v1/tasks?limit=0', { as: 'housing' }), 400, 'validation_failed', 'querystring.limit');
    expectError(await h.call('GET', '/v1/tasks?state=lost', { as: 'housing' }), 400, 'validation_failed', 'querystring.state');
    expectError(await h.call('GET', '/v1/tasks?overdue=yes', { as: 'housing' }), 400, 'validation_failed', 'querystring.overdue');
    expectError(await h.call('GET', '/v1/tasks?department=Nowhere', { as: 'supervisor' }), 400, 'validation_failed', 'querystring.department');
  });
});

// ---- GET /v1/notifications ----

describe('GET /v1/notifications', () => {
  let t: TaskBody;
  beforeAll(async () => {
    t = await assign();
  });

  test('the housing officer is told of its new task (task.assigned)', async () => {
    const res = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(t.taskId)}`, { as: 'housing' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        kind: 'task.assigned',
        objectId: t.workflowId,
        to: { county: '610124', department: 'housing', role: null },
        readAt: null,
      }),
    ]);
    expect(res.body.items[0].title).toContain(t.title);
    expect(res.body.items[0].body).toContain(t.currentDeadline!.dueAt);
    const all = await h.call('GET', '/v1/notifications?limit=200', { as: 'housing' });
    expect(all.body.items.map((n: { id: string }) => n.id)).toContain(res.body.items[0].id);
  });

  test('the market officer is not told of a housing task', async () => {
    const res = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(t.taskId)}`, { as: 'market' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.items).toEqual([]);
    const all = await h.call('GET', '/v1/notifications?limit=200', { as: 'market' });
    expect(all.body.items.some((n: { objectId: string }) => n.objectId === t.workflowId)).toBe(false);
  });

  test('the lead department is told when a result awaits its review (task.submitted)', async () => {
    const s = await submitted();
    const res = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(s.taskId)}`, { as: 'commerce' });
    expect(res.body.items.map((n: { kind: string }) => n.kind)).toEqual(['task.submitted']);
  });

  test('pages of limit=1 return every notification exactly once, newest first', async () => {
    const full = await h.call('GET', '/v1/notifications?limit=200', { as: 'housing' });
    const expected = (full.body.items as { id: string }[]).map((n) => n.id);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/notifications?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await h.call('GET', url, { as: 'housing' });
      expect(res.status, res.text).toBe(200);
      seen.push(...(res.body.items as { id: string }[]).map((n) => n.id));
      cursor = res.body.nextCursor as string | null;
    } while (cursor && seen.length <= expected.length);
    expect(seen).toEqual(expected);
  });

  test('a bad limit or a malformed cursor → 400 naming the query parameter', async () => {
    expectError(await h.call('GET', '/v1/notifications?limit=abc', { as: 'housing' }), 400, 'validation_failed', 'querystring.limit');
    expectError(await h.call('GET', '/v1/notifications?limit=201', { as: 'housing' }), 400, 'validation_failed', 'querystring.limit');
    expectError(await h.call('GET', '/v1/notifications?cursor=not-a-cursor', { as: 'housing' }), 400, 'validation_failed', 'querystring.cursor');
  });

  test('a cursor that decodes but holds no valid time → 400, not 500', async () => {
    const cursor = Buffer.from(JSON.stringify({ createdAt: 'not-a-time', id: 'x' })).toString('base64url');
    const res = await h.call('GET', `/v1/notifications?cursor=${cursor}`, { as: 'housing' });
    // Regression, fixed (was: api/routes/notifications.ts cursor check): `createdAt` is only checked to be a string;
    // PostgreSQL rejects it as ::timestamptz (22007) and the API answers 500 internal.
    expectError(res, 400, 'validation_failed', 'querystring.cursor');
  });
});

// ---- GET /v1/calendar/deadline ----

describe('GET /v1/calendar/deadline', () => {
  test('3 working days from Wed 2026-09-30 skip the National Day break and end Sat 2026-10-10 (调休 working day)', async () => {
    // Hand-check (domain/calendar/data.ts, 2026): the start day 09-30 is not counted; 10-01…10-07
    // 国庆节 holiday; (1) Thu 10-08, (2) Fri 10-09, (3) Sat 10-10, an adjusted working day.
    const res = await h.call('GET', '/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&amount=3&unit=working_day', { as: 'housing' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ dueAt: '2026-10-10T23:59:59.999+08:00', provisional: false });
  });

  test('a limit reaching into an unpublished year is provisional', async () => {
    const res = await h.call('GET', '/v1/calendar/deadline?start=2026-12-30T10:00:00%2B08:00&amount=5&unit=working_day', { as: 'housing' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.provisional).toBe(true);
  });

  test('a missing unit → 400 naming querystring.unit', async () => {
    const res = await h.call('GET', '/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&amount=3', { as: 'housing' });
    expectError(res, 400, 'validation_failed', 'querystring.unit');
    expect(res.body).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_failed",
          "issues": [
            {
              "message": "Invalid option: expected one of "working_day"|"calendar_day"|"hour"|"minute"",
              "path": "querystring.unit",
            },
          ],
          "message": "请求参数不符合要求",
        },
      }
    `);
  });

  test('an amount that is not a number, or a start without a time and offset → 400 naming the parameter', async () => {
    expectError(
      await h.call('GET', '/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&amount=three&unit=working_day', { as: 'housing' }),
      400,
      'validation_failed',
      'querystring.amount',
    );
    expectError(
      await h.call('GET', '/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&amount=0&unit=working_day', { as: 'housing' }),
      400,
      'validation_failed',
      'querystring.amount',
    );
    expectError(
      await h.call('GET', '/v1/calendar/deadline?start=2026-09-30&amount=3&unit=working_day', { as: 'housing' }),
      400,
      'validation_failed',
      'querystring.start',
    );
    expectError(
      await h.call('GET', '/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&amount=3&unit=fortnight', { as: 'housing' }),
      400,
      'validation_failed',
      'querystring.unit',
    );
  });
});

// ---- health, OpenAPI, docs ----

describe('health, OpenAPI and docs (no key needed)', () => {
  test('/healthz → 200 ok', async () => {
    const res = await h.call('GET', '/healthz', { as: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('/readyz → 200 with Temporal and PostgreSQL both ok', async () => {
    const res = await h.call('GET', '/readyz', { as: null });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { temporal: 'ok', postgres: 'ok' } });
  });

  test('/openapi.json lists every /v1 route with its method', async () => {
    const res = await h.call('GET', '/openapi.json', { as: null });
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    const v1 = Object.entries(paths)
      .filter(([p]) => p.startsWith('/v1/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    // Every route this file exercises (other files may add more).
    expect(v1).toEqual(
      expect.arrayContaining([
        'GET /v1/calendar/deadline',
        'GET /v1/notifications',
        'GET /v1/tasks',
        'GET /v1/tasks/{taskId}',
        'POST /v1/tasks',
        'POST /v1/tasks/{taskId}/cancel',
        'POST /v1/tasks/{taskId}/extensions',
        'POST /v1/tasks/{taskId}/extensions/{extensionId}/decision',
        'POST /v1/tasks/{taskId}/return',
        'POST /v1/tasks/{taskId}/review',
        'POST /v1/tasks/{taskId}/sign',
        'POST /v1/tasks/{taskId}/submit',
      ]),
    );
    expect(res.body.components.securitySchemes.apiKey).toEqual({ type: 'http', scheme: 'bearer' });
  });

  test('/docs answers with the Swagger UI (200, or a redirect to it)', async () => {
    const res = await h.call('GET', '/docs', { as: null });
    expect([200, 301, 302]).toContain(res.status);
    const page = res.status === 200 ? res : await h.call('GET', String(res.headers.location), { as: null });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Swagger UI');
  });
});

// ---- HTTP edges ----

describe('HTTP edges', () => {
  test('a body over API_BODY_LIMIT → 413 body_too_large', async () => {
    const instructions = 'x'.repeat(h.config.API_BODY_LIMIT + 1);
    const res = await h.call('POST', '/v1/tasks', { as: 'operator', body: { department: 'housing', title: newTitle(), instructions } });
    expectError(res, 413, 'body_too_large');
  });

  test('malformed JSON → 400 bad_request', async () => {
    const res = await h.call('POST', '/v1/tasks', { as: 'operator', payload: '{"department": "housing", "title": ' });
    expectError(res, 400, 'bad_request');
  });

  test('a body of a media type the API does not read (XML) → 415 bad_request', async () => {
    const res = await h.call('POST', '/v1/tasks', { as: 'operator', payload: '<task/>', headers: { 'content-type': 'application/xml' } });
    expectError(res, 415, 'bad_request');
  });

  test('a URL with broken percent-encoding → 400 in the API’s error body', async () => {
    const res = await h.call('GET', '/v1/tasks/%E0%A4%A', { as: 'housing' });
    expect(res.status).toBe(400);
    // Regression, fixed (was: api/app.ts, Fastify options): without `frameworkErrors`, FST_ERR_BAD_URL bypasses the
    // error handler: the body is Fastify's { error: 'Bad Request', code: 'FST_ERR_BAD_URL', … }.
    expect(res.body, res.text).toEqual({ error: expect.objectContaining({ code: 'bad_request', message: expect.any(String) }) });
  });

  test('an unknown route → 404 with the error body', async () => {
    const res = await h.call('GET', '/v1/nothing-here', { as: 'housing' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "not_found",
          "message": "没有这个接口",
        },
      }
    `);
    const outside = await h.call('GET', '/nothing-here', { as: null });
    expect(outside.status).toBe(404);
    expect(outside.body).toEqual(res.body);
  });

  test('a caller-supplied X-Request-Id is echoed back; otherwise one is made up', async () => {
    const given = await h.call('GET', '/healthz', { as: null, headers: { 'x-request-id': 'req-12345678' } });
    expect(given.headers['x-request-id']).toBe('req-12345678');
    const made = await h.call('GET', '/healthz', { as: null, headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

// ---- overdue (moves the test server's clock: keep this block last) ----

describe('overdue tasks (time skipped past the sign-for deadline)', () => {
  test('a task not signed in time is recorded overdue at its deadline and chased the next working morning; ?overdue=true finds it', async () => {
    const t = await assign();
    // The ladder as the service resolves it (office hours: the chase at 09:00 of the next working day).
    const clock = resolveClock(
      {
        kind: 'sign-for',
        startMs: Date.parse(t.assignedAt),
        rule: { amount: 1, unit: 'working_day' },
        ladder: defaultLadder,
        nowMs: Date.parse(t.assignedAt),
      },
      defaultCalendar,
    );
    const chase = clock.rungs.find((r) => r.rung === 'chase')!;
    expect(chase.at).toBe(`${addWorkingDays(t.currentDeadline!.dueAt.slice(0, 10), 1)}T09:00:00.000+08:00`);
    const levelAt = (ms: number) => escalationLevel(clock.rungs.filter((r) => r.atMs <= ms).map((r) => r.rung));

    // Past the deadline, before the chase: overdue is on the record already.
    await h.env.sleep(Math.max(clock.dueAtMs - (await h.env.currentTimeMs()), 0) + 60_000);
    await eventually(async () => (await recorded(t.workflowId)).overdue, { message: 'the task to be recorded overdue' });
    expect(await timelineTypes(t)).toContain('overdue');
    expect(await timelineTypes(t)).not.toContain('ladder.chase');

    await h.env.sleep(Math.max(chase.atMs - (await h.env.currentTimeMs()), 0) + 60_000);
    await eventually(async () => (await timelineTypes(t)).includes('ladder.chase'), { message: 'the chase' });
    const late = await h.call('GET', '/v1/tasks?overdue=true&limit=200', { as: 'housing' });
    expect(late.status, late.text).toBe(200);
    const item = (late.body.items as TaskBody[]).find((x) => x.taskId === t.taskId);
    expect(item).toMatchObject({ state: 'assigned', overdue: true, escalationLevel: levelAt(chase.atMs) });
    const onTime = await h.call('GET', '/v1/tasks?overdue=false&limit=200', { as: 'housing' });
    expect((onTime.body.items as TaskBody[]).map((x) => x.taskId)).not.toContain(t.taskId);
    const notes = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(t.taskId)}`, { as: 'housing' });
    expect(notes.body.items.map((n: { kind: string }) => n.kind)).toContain('ladder.chase');
  });

  test('after the handling deadline has passed, asking for an extension → 409 deadline_passed', async () => {
    const t = await signed();
    const dueMs = Date.parse(t.currentDeadline!.dueAt);
    await h.env.sleep(Math.max(dueMs - (await h.env.currentTimeMs()), 0) + 3_600_000);
    await eventually(async () => (await recorded(t.workflowId)).overdue, { message: 'the handling deadline to be recorded overdue' });
    expectError(await act(t, '/extensions', 'housing', { workingDays: 3, reason: '来不及了' }), 409, 'deadline_passed');
    const detail = await h.call('GET', path(t), { as: 'housing' });
    expect(detail.body).toMatchObject({ state: 'signed', overdue: true, currentDeadline: { kind: 'handle' } });
  });
});

// ---- nothing internal leaks ----

describe('error bodies', () => {
  test('no error body produced in this file carries a stack trace or an internal path', () => {
    expect(h.errorBodies.length).toBeGreaterThan(50);
    for (const body of h.errorBodies) {
      expect(body).not.toMatch(/at .*\.ts:\d+/);
      expect(body).not.toMatch(/node_modules|\/work\/|Error: /);
    }
  });
});
