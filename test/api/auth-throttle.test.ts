/**
 * Issue 12 §5: failed authentication is throttled per client IP. Each refused key takes a token
 * from the IP's bucket (AUTH_FAILURE_BURST, refilled at AUTH_FAILURES_PER_MINUTE); an IP whose
 * bucket is empty is answered 429 `too_many_requests` with Retry-After and the one error shape,
 * without looking the key up, until a token is back. Other IPs and successful requests are not
 * affected. Real PostgreSQL (a database of this file's own); Temporal is not needed (an
 * unreachable address), as authentication is all that runs.
 */
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { AuthFailureThrottle } from '../../api/auth.js';
import { apiTemporalConnection } from '../../api/temporal.js';
import { createKey } from '../../db/keys.js';
import { loadConfig } from '../../domain/config.js';
import { freePort } from '../../scripts/dev-stack.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/eventually.js';

let db: TestDatabase;
let app: FastifyInstance;
let valid: string;
/** Key lookups that reached PostgreSQL (SELECTs on api_keys), counted on the app's own pool. */
let lookups = 0;

const neverIssued = 'isk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

beforeAll(async () => {
  db = await freshDatabase();
  valid = (await createKey(db.pool, { county: '610124', department: 'housing', roles: ['officer'] })).key;
  const query = db.pool.query.bind(db.pool) as (...args: unknown[]) => Promise<unknown>;
  (db.pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('FROM api_keys')) lookups++;
    return query(...args);
  };
  const temporal = new Client({ connection: apiTemporalConnection(`127.0.0.1:${await freePort()}`) });
  // A bucket of 3, refilled at one token a second.
  app = await buildApp({ config: loadConfig({ AUTH_FAILURE_BURST: '3', AUTH_FAILURES_PER_MINUTE: '60' }), pool: db.pool, temporal, logger: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const get = (key: string | undefined, ip: string) =>
  app.inject({
    method: 'GET',
    url: '/v1/notifications',
    remoteAddress: ip,
    ...(key !== undefined ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });

describe('failed authentication per IP', () => {
  test('after AUTH_FAILURE_BURST refused keys the IP gets 429 with Retry-After and the one error shape, and its keys are not looked up', async () => {
    const ip = '198.51.100.7';
    for (let i = 0; i < 3; i++) expect((await get(neverIssued, ip)).statusCode).toBe(401);
    const before = lookups;
    const throttled = await get(neverIssued, ip);
    expect(throttled.statusCode, throttled.body).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(throttled.json()).toEqual({ error: { code: 'too_many_requests', message: expect.any(String) } });
    // While the bucket is empty even a valid key waits: telling it apart would take the lookup.
    expect((await get(valid, ip)).statusCode).toBe(429);
    expect(lookups - before).toBe(0);
  });

  test('another IP is not affected, and successful requests take no token', async () => {
    const ip = '198.51.100.8';
    for (let i = 0; i < 10; i++) expect((await get(valid, ip)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(neverIssued, ip)).statusCode).toBe(401);
    expect((await get(neverIssued, ip)).statusCode).toBe(429);
    expect((await get(valid, '198.51.100.9')).statusCode).toBe(200);
    expect((await get(neverIssued, '198.51.100.9')).statusCode).toBe(401);
  });

  test('a request without a key, or not a Bearer key, is 401 without taking a token (nothing is looked up)', async () => {
    const ip = '198.51.100.10';
    for (let i = 0; i < 5; i++) expect((await get(undefined, ip)).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/v1/notifications', remoteAddress: ip, headers: { authorization: `Basic ${valid}` } })).statusCode).toBe(
        401,
      );
    }
    for (let i = 0; i < 3; i++) expect((await get(neverIssued, ip)).statusCode).toBe(401);
    expect((await get(neverIssued, ip)).statusCode).toBe(429);
  });

  test('the bucket refills: once a token is back the IP is answered again', async () => {
    const ip = '198.51.100.11';
    for (let i = 0; i < 3; i++) expect((await get(neverIssued, ip)).statusCode).toBe(401);
    const throttled = await get(valid, ip);
    expect(throttled.statusCode).toBe(429);
    // Throttled requests take no token, so asking again until the answer changes is harmless.
    const status = await eventually(
      async () => {
        const s = (await get(valid, ip)).statusCode;
        return s === 429 ? undefined : s;
      },
      { timeoutMs: Number(throttled.headers['retry-after']) * 1000 + 2000, intervalMs: 100, message: 'a token back in the bucket' },
    );
    expect(status).toBe(200);
  });

  test('the bucket by the clock: Retry-After is the time to the next token, and the least recently refused IPs are forgotten first', () => {
    let now = 1_000_000;
    const t = new AuthFailureThrottle(2, 30, () => now, 2); // 2 tokens, one back every 2 s, 2 IPs tracked
    expect(t.waitMs('a')).toBe(0);
    t.refused('a');
    expect(t.waitMs('a')).toBe(0);
    t.refused('a');
    expect(t.waitMs('a')).toBe(2000);
    now += 500;
    expect(t.waitMs('a')).toBe(1500);
    now += 1500;
    expect(t.waitMs('a')).toBe(0);
    t.refused('a');
    expect(t.waitMs('a')).toBe(2000);
    t.refused('b');
    t.refused('b');
    t.refused('c'); // a third IP: 'a', refused longest ago, is forgotten (a full bucket again)
    expect(t.waitMs('a')).toBe(0);
    expect(t.waitMs('b')).toBe(2000);
  });
});
