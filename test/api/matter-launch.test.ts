/**
 * `POST /v1/matters` reserves its id, claims its Idempotency-Key and reads the county's scenario in
 * one statement (db/matters.ts `reserveMatterLaunch`, issue 15 §4). Against a real PostgreSQL (the
 * runtime role, as the API connects): the id the SQL formats is the one domain/ids.ts formats, a
 * retried key gets the first id, concurrent requests with one key agree on one id, and a statement
 * that fails claims nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool, type Pool } from '../../db/pool.js';
import { putScenarioOverride, reserveMatterLaunch } from '../../db/matters.js';
import { matterIdPrefix, matterWorkflowId, SEQ_WIDTH } from '../../domain/ids.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let runtime: Pool;
beforeAll(async () => {
  db = await freshDatabase();
  runtime = createPool({ DATABASE_URL: db.runtimeUrl, PG_POOL_MAX: 10, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
});
afterAll(async () => {
  await runtime?.end();
  await db?.drop();
});

const reservation = (year: number, claim?: { key: string; requestHash: string }) => ({
  counter: `matter:610124:self-built-housing:${year}`,
  prefix: matterIdPrefix('610124', 'self-built-housing', year),
  width: SEQ_WIDTH,
  county: '610124',
  scenario: 'self-built-housing',
  ...(claim ? { claim: { scope: 'matter:610124', ...claim } } : {}),
});

describe('reserveMatterLaunch', () => {
  test.each([1, 42, 999, 9999, 10000, 123456])('number %i: the id the SQL makes is matterWorkflowId', async (n) => {
    const year = 3000 + n; // a counter of its own per case
    if (n > 1) await db.pool.query('INSERT INTO id_counters (scope, value) VALUES ($1, $2)', [`matter:610124:self-built-housing:${year}`, n - 1]);
    const r = await reserveMatterLaunch(runtime, reservation(year));
    expect(r.candidate).toBe(matterWorkflowId('610124', 'self-built-housing', year, n));
    expect(r.prior).toBeUndefined();
  });

  test('a key: the first call claims it, a retry gets the first id (and takes the next number, unused)', async () => {
    const first = await reserveMatterLaunch(runtime, reservation(2040, { key: 'launch-retry-1', requestHash: 'h1' }));
    expect(first).toEqual({ candidate: 'matter:610124:self-built-housing:2040-0001' });
    const again = await reserveMatterLaunch(runtime, reservation(2040, { key: 'launch-retry-1', requestHash: 'h1' }));
    expect(again).toEqual({ candidate: 'matter:610124:self-built-housing:2040-0002', prior: { resourceId: first.candidate, requestHash: 'h1' } });
    const rows = await db.pool.query("SELECT resource_id, request_hash FROM idempotency_keys WHERE scope = 'matter:610124' AND key = 'launch-retry-1'");
    expect(rows.rows).toEqual([{ resource_id: first.candidate, request_hash: 'h1' }]);
  });

  test('eight concurrent calls with one key: one claims it, the other seven get its id', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => reserveMatterLaunch(runtime, reservation(2041, { key: 'launch-race-1', requestHash: 'h' }))));
    const claimers = all.filter((r) => !r.prior);
    expect(claimers).toHaveLength(1);
    expect(all.filter((r) => r.prior).map((r) => r.prior!.resourceId)).toEqual(Array(7).fill(claimers[0]!.candidate));
    expect(new Set(all.map((r) => r.candidate)).size).toBe(8);
  });

  test("the county's override in force comes back with the reservation, the newest version", async () => {
    expect((await reserveMatterLaunch(runtime, reservation(2042))).override).toBeUndefined();
    await putScenarioOverride(db.pool, '610124', 'self-built-housing', { signWithinWorkingDays: 2 } as never, 'test');
    await putScenarioOverride(db.pool, '610124', 'self-built-housing', { signWithinWorkingDays: 3 } as never, 'test');
    const r = await reserveMatterLaunch(runtime, reservation(2042));
    expect(r.override).toEqual({ version: 2, override: { signWithinWorkingDays: 3 } });
  });

  test('a statement that fails (the counter overflows) claims nothing and takes no number', async () => {
    const scope = 'matter:610124:self-built-housing:2043';
    await db.pool.query('INSERT INTO id_counters (scope, value) VALUES ($1, 2147483647)', [scope]);
    await expect(reserveMatterLaunch(runtime, reservation(2043, { key: 'launch-overflow-1', requestHash: 'h' }))).rejects.toThrow(/out of range/);
    const claimed = await db.pool.query("SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'launch-overflow-1'");
    expect(claimed.rows[0].n).toBe(0);
    const counter = await db.pool.query('SELECT value FROM id_counters WHERE scope = $1', [scope]);
    expect(counter.rows[0].value).toBe(2147483647);
  });
});
