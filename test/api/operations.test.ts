/**
 * What an operator relies on around the API: a 503 with Retry-After when Temporal or PostgreSQL
 * is down, migrations that are harmless to run twice, and the keys CLI against the same database.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { apiTemporalConnection } from '../../api/temporal.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { authenticate, createKey } from '../../db/keys.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { loadConfig } from '../../domain/config.js';
import { freePort } from '../../scripts/dev-stack.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

const run = promisify(execFile);
let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('when a dependency is down', () => {
  test('PostgreSQL down: /readyz and a /v1 route answer 503 with Retry-After, no stack trace', async () => {
    const deadPool = createPool({
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/x`,
      PG_POOL_MAX: 1,
      PG_CONNECTION_TIMEOUT_MS: 500,
      PG_STATEMENT_TIMEOUT_MS: 1000,
    });
    const temporal = new Client({ connection: apiTemporalConnection(`127.0.0.1:${await freePort()}`) });
    const app = await buildApp({ config: loadConfig({}), pool: deadPool, temporal, logger: false });
    try {
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe('5');
      expect(ready.json()).toEqual({ status: 'unavailable', checks: { temporal: 'down', postgres: 'down' } });
      const res = await app.inject({ url: '/v1/tasks', headers: { authorization: 'Bearer isk_abcdef123456_aaaaaaaaaaaaaaaaaaaaaaaa' } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().error.code).toBe('unavailable');
      expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
    } finally {
      await app.close();
      await deadPool.end();
    }
  });

  test('Temporal down: a task action answers 503 with Retry-After while PostgreSQL is up', async () => {
    const temporal = new Client({ connection: apiTemporalConnection(`127.0.0.1:${await freePort()}`) });
    const app = await buildApp({ config: loadConfig({}), pool: db.pool, temporal, logger: false });
    try {
      const { key } = await createKey(db.pool, { county: '610124', roles: ['operator'] });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/tasks',
        headers: { authorization: `Bearer ${key}` },
        payload: { department: 'housing', title: '测试', instructions: '' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.json().checks).toEqual({ temporal: 'down', postgres: 'ok' });
    } finally {
      await app.close();
    }
  });
});

describe('migrations', () => {
  test('running them again applies nothing and keeps the data', async () => {
    const { key } = await createKey(db.pool, { county: '610124', roles: ['supervisor'] });
    expect(await migrate(db.pool)).toEqual([]);
    await Promise.all([migrate(db.pool), migrate(db.pool)]);
    expect(await authenticate(db.pool, key)).toMatchObject({ county: '610124', roles: ['supervisor'] });
  });
});

/** A key's last line of stdout, and its id. */
const keyOf = (stdout: string) => {
  const key = stdout.trim().split('\n').at(-1)!;
  return { key, keyId: /^isk_([0-9a-f]{12})_/.exec(key)![1]! };
};

describe('npm run keys', () => {
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../../scripts/keys.ts'), ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
    });

  test('creates a key that works, printed alone on the last line, stored only as a hash', async () => {
    const { stdout } = await cli([
      'create',
      '--county',
      '610124',
      '--department',
      'housing',
      '--role',
      'officer',
      '--name',
      '王执法',
      '--certificate',
      'ZF-61012401',
    ]);
    const lines = stdout.trim().split('\n');
    const key = lines.at(-1)!;
    expect(key).toMatch(/^isk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    // The key id is hex; the secret is base64url and may itself contain `_`: split on the first two only.
    const [, keyId, secret] = /^isk_([0-9a-f]{12})_(.+)$/.exec(key)!;
    expect(await authenticate(db.pool, key)).toEqual({
      keyId,
      county: '610124',
      department: 'housing',
      roles: ['officer'],
      principalId: expect.stringMatching(/^p-[0-9a-f]{12}$/),
      name: '王执法',
      kind: 'person',
    });
    // Stored: the SHA-256 (hex) of the whole key, computed here independently, and nowhere in the
    // row the key or its secret part.
    const stored = await db.pool.query('SELECT key_hash, row_to_json(k)::text AS row FROM api_keys k WHERE key_id = $1', [keyId]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].key_hash).toBe(createHash('sha256').update(key, 'utf8').digest('hex'));
    expect(stored.rows[0].row).not.toContain(secret);
  });

  test('bad arguments exit 2 with a message naming them, and create nothing', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n;
    const err = await cli(['create', '--county', '6101', '--role', 'boss']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/--county/);
    expect(err?.stderr).toMatch(/--role/);
    const officer = await cli(['create', '--county', '610124', '--role', 'officer', '--name', '李']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(officer?.stderr).toMatch(/needs --department/);
    // A key belongs to somebody: a person, a system, or an existing principal, exactly one.
    const nobody = await cli(['create', '--county', '610124', '--role', 'operator']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(nobody?.stderr).toMatch(/--name: exactly one of --name, --system, --principal/);
    const systemWithCertificate = await cli(['create', '--county', '610124', '--role', 'operator', '--system', '12345', '--certificate', 'X']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(systemWithCertificate?.stderr).toMatch(/--certificate/);
    for (const args of [['revoke'], ['rotate', 'isk_x'], ['fly']]) {
      expect(
        (
          await cli(args).then(
            () => undefined,
            (e: { code: number }) => e,
          )
        )?.code,
      ).toBe(2);
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n).toBe(before);
  });

  test('list, revoke (401 at once) and rotate (a new key of the same principal and scope; the old one refused); each in the audit trail', async () => {
    const made = keyOf((await cli(['create', '--county', '610124', '--role', 'operator', '--system', '12345 热线平台'])).stdout);
    const officer = keyOf((await cli(['create', '--county', '610124', '--department', 'market', '--role', 'officer', '--name', '赵执法'])).stdout);
    const listed = (await cli(['list', '--county', '610124'])).stdout.trim().split('\n');
    expect(listed[0]).toBe(['key', 'principal', 'kind', 'name', '执法证号', 'county', 'department', 'roles', 'created', 'revoked', 'replaces'].join('\t'));
    const line = (keyId: string, lines: string[]) => lines.find((l) => l.startsWith(`${keyId}\t`))?.split('\t');
    expect(line(made.keyId, listed)).toEqual([
      made.keyId,
      expect.stringMatching(/^p-/),
      'system',
      '12345 热线平台',
      '-',
      '610124',
      '-',
      'operator',
      expect.any(String),
      '-',
      '-',
    ]);
    // The listing shows no key and no hash. The secret is what follows `isk_<keyId>_` (base64url:
    // it may itself hold `_`, so splitting on it would test a fragment).
    expect(listed.join('\n')).not.toContain(made.key.slice(`isk_${made.keyId}_`.length));

    expect(await authenticate(db.pool, made.key)).toMatchObject({ kind: 'system', name: '12345 热线平台' });
    expect((await cli(['revoke', made.keyId])).stdout).toContain(`revoked key ${made.keyId}`);
    expect(await authenticate(db.pool, made.key)).toBeUndefined();
    expect(
      (
        await cli(['revoke', made.keyId]).then(
          () => undefined,
          (e: { code: number; stderr: string }) => e,
        )
      )?.stderr,
    ).toContain(`no live key ${made.keyId}`);

    const rotated = keyOf((await cli(['rotate', officer.keyId])).stdout);
    expect(await authenticate(db.pool, officer.key)).toBeUndefined();
    const before = (await authenticate(
      db.pool,
      keyOf(
        (
          await cli([
            'create',
            '--county',
            '610124',
            '--department',
            'market',
            '--role',
            'officer',
            '--principal',
            (await authenticate(db.pool, rotated.key))!.principalId!,
          ])
        ).stdout,
      ).key,
    ))!;
    expect(await authenticate(db.pool, rotated.key)).toMatchObject({
      county: '610124',
      department: 'market',
      roles: ['officer'],
      name: '赵执法',
      principalId: before.principalId,
    });
    const live = (await cli(['list', '--live'])).stdout;
    expect(live).toContain(`${rotated.keyId}\t`);
    expect(live).not.toContain(`${officer.keyId}\t`);
    expect(line(rotated.keyId, live.trim().split('\n'))!.at(-1)).toBe(officer.keyId);

    const audit = await db.pool.query(`SELECT action, object_id FROM audit_log WHERE object_id IN ($1, $2, $3) ORDER BY id`, [
      `key:${made.keyId}`,
      `key:${officer.keyId}`,
      `key:${rotated.keyId}`,
    ]);
    expect(audit.rows.map((r) => [r.action, r.object_id])).toEqual([
      ['key.created', `key:${made.keyId}`],
      ['key.created', `key:${officer.keyId}`],
      ['key.revoked', `key:${made.keyId}`],
      ['key.rotated', `key:${officer.keyId}`],
    ]);
  });
});
