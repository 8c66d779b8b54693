/**
 * Limits (issue: records and safety, §8): request rates per client IP and per key, strict on the
 * unauthenticated public results and on calls that start workflows: 429 with Retry-After and the
 * one error body, and a refused call changes nothing. The buckets are small here so a test can
 * reach them; the defaults are pinned in test/unit/config.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createKey } from '../../db/keys.js';
import { testConfig } from '../helpers/config.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'rates' });
let app: FastifyInstance;
const keys: Record<'operator' | 'otherOperator', string> = { operator: '', otherOperator: '' };

beforeAll(async () => {
  app = await buildApp({
    config: {
      ...testConfig({
        RATE_LIMIT_IP_BURST: '40',
        RATE_LIMIT_IP_PER_MINUTE: '1',
        RATE_LIMIT_PUBLIC_BURST: '3',
        RATE_LIMIT_PUBLIC_PER_MINUTE: '1',
        RATE_LIMIT_KEY_BURST: '6',
        RATE_LIMIT_KEY_PER_MINUTE: '1',
        RATE_LIMIT_START_BURST: '2',
        RATE_LIMIT_START_PER_MINUTE: '1',
      }),
      TEMPORAL_TASK_QUEUE: wf.taskQueue,
    },
    pool: wf.db.pool,
    temporal: wf.client,
    logger: false,
  });
  await app.ready();
  keys.operator = (await createKey(wf.db.pool, { county: '610124', roles: ['operator'] })).key;
  keys.otherOperator = (await createKey(wf.db.pool, { county: '610124', roles: ['operator'] })).key;
});
afterAll(async () => {
  await app?.close();
});

const get = (url: string, opts: { key?: string; ip?: string } = {}) =>
  app.inject({
    url,
    remoteAddress: opts.ip ?? '203.0.113.10',
    headers: opts.key ? { authorization: `Bearer ${opts.key}` } : {},
  });

function expect429(res: Awaited<ReturnType<typeof get>>, message: string) {
  expect(res.statusCode).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.json()).toEqual({ error: { code: 'too_many_requests', message } });
}

describe('request rates', () => {
  test('the public results: 3 a burst per IP, then 429 with Retry-After; another IP is still answered; health checks never count', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/v1/public/results', { ip: '198.51.100.7' })).statusCode).toBe(200);
    const refused = await get('/v1/public/results', { ip: '198.51.100.7' });
    expect429(refused, '请求过于频繁，请稍后再试');
    expect(Number(refused.headers['retry-after'])).toBe(60); // one token a minute
    expect((await get('/v1/public/results', { ip: '198.51.100.8' })).statusCode).toBe(200);
    for (let i = 0; i < 50; i++) expect((await get('/healthz', { ip: '198.51.100.7' })).statusCode).toBe(200);
  });

  test('per key: 6 a burst, then 429; the other key of the same county goes on', async () => {
    for (let i = 0; i < 6; i++) expect((await get('/v1/tasks', { key: keys.otherOperator, ip: '192.0.2.20' })).statusCode).toBe(200);
    expect429(await get('/v1/tasks', { key: keys.otherOperator, ip: '192.0.2.20' }), '请求过于频繁，请稍后再试');
    expect((await get('/v1/tasks', { key: keys.operator, ip: '192.0.2.20' })).statusCode).toBe(200);
  });

  test('starting calls: 2 a burst per key, then 429 and nothing is started', async () => {
    const start = (n: number) =>
      app.inject({
        method: 'POST',
        url: '/v1/tasks',
        remoteAddress: '192.0.2.30',
        headers: { authorization: `Bearer ${keys.operator}`, 'idempotency-key': `rate-limit-${n}` },
        payload: { department: 'housing', title: `核查 ${n}` },
      });
    const first = await start(1);
    expect(first.statusCode, first.body).toBe(201);
    expect((await start(2)).statusCode).toBe(201);
    expect429(await start(3), '发起过于频繁，请稍后再试');
    const rows = await wf.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE view->>'title' LIKE '核查 %'`);
    expect(rows.rows[0]!.n).toBe(2);
  });

  test('per IP: a burst of 40 across every route, then 429 before any key is looked up', async () => {
    const ip = '192.0.2.40';
    let answered = 0;
    for (let i = 0; i < 40; i++) if ((await get(i % 2 ? '/v1/scenarios' : '/openapi.json', { key: keys.operator, ip })).statusCode !== 429) answered++;
    // (The per-key bucket of 6 refuses most /v1 calls among them: each still took an IP token.)
    expect(answered).toBeGreaterThanOrEqual(20);
    expect429(await get('/openapi.json', { ip }), '请求过于频繁，请稍后再试');
    expect429(await get('/v1/scenarios', { key: 'isk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', ip }), '请求过于频繁，请稍后再试');
  });
});
