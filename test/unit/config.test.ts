/**
 * loadConfig is what stops a misconfigured process at start: it must fill in defaults, parse
 * numbers and booleans, treat `VAR=` as unset, and name the variable when a value is bad.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, configKeys, loadConfig } from '../../domain/config.js';

const repo = path.resolve(import.meta.dirname, '../..');

/** What loadConfig({}) must give: the defaults documented in domain/config.ts and the README. */
const defaults = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_TASK_QUEUE: 'integrated-supervision',
  AUDIT_VERIFY_AT: '02:30',
  CODEC_CORS_ORIGINS: ['http://localhost:8233', 'http://127.0.0.1:8233'],
  TEMPORAL_UI_URL: 'http://localhost:8233',
  PG_POOL_MAX: 10,
  PG_CONNECTION_TIMEOUT_MS: 3000,
  PG_STATEMENT_TIMEOUT_MS: 5000,
  PG_QUERY_TIMEOUT_MS: 6000,
  API_HOST: '127.0.0.1',
  API_PORT: 3000,
  API_BODY_LIMIT: 256 * 1024,
  API_REQUEST_TIMEOUT_MS: 10000,
  IMPORT_MAX_ROWS: 100_000,
  UPDATE_TIMEOUT_MS: 8000,
  AUTH_FAILURE_BURST: 20,
  AUTH_FAILURES_PER_MINUTE: 60,
  RATE_LIMIT_IP_BURST: 600,
  RATE_LIMIT_IP_PER_MINUTE: 3000,
  RATE_LIMIT_KEY_BURST: 200,
  RATE_LIMIT_KEY_PER_MINUTE: 1200,
  RATE_LIMIT_PUBLIC_BURST: 30,
  RATE_LIMIT_PUBLIC_PER_MINUTE: 120,
  RATE_LIMIT_START_BURST: 60,
  RATE_LIMIT_START_PER_MINUTE: 300,
  WORKER_MAX_CACHED_WORKFLOWS: 100,
  MIGRATE_ON_START: true,
  WEBHOOK_POLL_INTERVAL_MS: 1000,
  WEBHOOK_MAX_ATTEMPTS: 12,
  WEBHOOK_REQUEST_TIMEOUT_MS: 5000,
  WEBHOOK_ALLOWED_HOSTS: [],
  DATA_DIR: '.data',
  TEMPORAL_PORT: 7233,
  TEMPORAL_UI_PORT: 8233,
  PG_PORT: 5433,
};

/** Every .ts file of the service and its scripts (not tests: they may read what they like). */
function serviceSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  for (const dir of ['api', 'worker', 'db', 'activities', 'workflows', 'domain', 'scripts']) walk(path.join(repo, dir));
  return files;
}

/** Names read straight from process.env (`process.env.X`, `process.env['X']`, `{ X } = process.env`), by file. */
function directEnvReads(): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  for (const file of serviceSources()) {
    const text = readFileSync(file, 'utf8');
    const names = [
      ...[...text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/process\.env\[\s*['"`]([^'"`]+)['"`]\s*\]/g)].map((m) => m[1]!),
      ...[...text.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g)].flatMap((m) =>
        m[1]!
          .split(',')
          .map((n) => n.split(':')[0]!.trim())
          .filter(Boolean),
      ),
    ];
    for (const name of names) {
      if (!reads.has(name)) reads.set(name, new Set());
      reads.get(name)!.add(path.relative(repo, file));
    }
  }
  return reads;
}

/** The error loadConfig throws for `env`, or fails the test when it does not throw. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    expect(loadConfig({})).toEqual(defaults);
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
  });

  test('numbers, booleans and URLs given as strings are parsed', () => {
    const c = loadConfig({
      API_PORT: '8080',
      PG_POOL_MAX: '4',
      API_BODY_LIMIT: '1024',
      MIGRATE_ON_START: '0',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      DATABASE_URL: 'postgresql://isv:secret@db:5432/isv',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      API_PORT: 8080,
      PG_POOL_MAX: 4,
      API_BODY_LIMIT: 1024,
      MIGRATE_ON_START: false,
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      DATABASE_URL: 'postgresql://isv:secret@db:5432/isv',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    });
    expect(loadConfig({ MIGRATE_ON_START: 'true' }).MIGRATE_ON_START).toBe(true);
    expect(loadConfig({ MIGRATE_ON_START: '1' }).MIGRATE_ON_START).toBe(true);
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).MIGRATE_ON_START).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/isv' }).DATABASE_URL).toBe('postgres://localhost/isv');
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '2000' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(2000);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(0);
  });

  test.each([
    ['API_PORT', 'abc'],
    ['API_PORT', '70000'],
    ['TEMPORAL_ADDRESS', 'nohost'],
    ['TEMPORAL_ADDRESS', 'http://temporal:7233'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_OWNER_URL', 'mysql://x'],
    ['PG_POOL_MAX', '50'],
    ['PG_POOL_MAX', '0'],
    ['API_BODY_LIMIT', '10'],
    ['UPDATE_TIMEOUT_MS', '10000'],
    ['API_REQUEST_TIMEOUT_MS', '500'],
    ['PG_QUERY_TIMEOUT_MS', '5000'],
    ['PG_QUERY_TIMEOUT_MS', 'soon'],
    ['PG_CONNECTION_TIMEOUT_MS', '50'],
    ['AUTH_FAILURE_BURST', '0'],
    ['AUTH_FAILURES_PER_MINUTE', 'many'],
    ['RATE_LIMIT_PUBLIC_PER_MINUTE', '0'],
    ['WEBHOOK_ALLOWED_HOSTS', 'hooks.internal,http://x/'],
    ['MIGRATE_ON_START', 'yes'],
    ['WORKER_MAX_CACHED_WORKFLOWS', '-1'],
    ['WORKER_MAX_CACHED_WORKFLOWS', 'lots'],
    ['LOG_LEVEL', 'verbose'],
    ['NODE_ENV', 'staging'],
    ['TEMPORAL_UI_URL', 'not a url'],
  ])('%s=%s is refused with a ConfigError naming the variable', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(name);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(new RegExp(`^${name}: `));
  });

  test('timeouts that only work in order: the query timeout outlasts the statement timeout, the request timeout the Update wait', () => {
    expect(
      loadConfig({ PG_STATEMENT_TIMEOUT_MS: '20000', PG_QUERY_TIMEOUT_MS: '25000', API_REQUEST_TIMEOUT_MS: '30000', UPDATE_TIMEOUT_MS: '20000' }),
    ).toMatchObject({
      PG_STATEMENT_TIMEOUT_MS: 20000,
      PG_QUERY_TIMEOUT_MS: 25000,
      API_REQUEST_TIMEOUT_MS: 30000,
      UPDATE_TIMEOUT_MS: 20000,
    });
    expect(configError({ PG_STATEMENT_TIMEOUT_MS: '6000' }).problems).toEqual(['PG_QUERY_TIMEOUT_MS: must be longer than PG_STATEMENT_TIMEOUT_MS (6000)']);
    expect(configError({ API_REQUEST_TIMEOUT_MS: '5000' }).problems).toEqual(['UPDATE_TIMEOUT_MS: must be shorter than API_REQUEST_TIMEOUT_MS (5000)']);
  });

  test('two database roles: DATABASE_OWNER_URL migrates, DATABASE_URL names another role the service runs as', () => {
    const owner = 'postgres://supervision:owner@db:5432/supervision';
    const runtime = 'postgres://supervision_app:runtime@db:5432/supervision';
    expect(loadConfig({ DATABASE_OWNER_URL: owner, DATABASE_URL: runtime })).toMatchObject({ DATABASE_OWNER_URL: owner, DATABASE_URL: runtime });
    expect(loadConfig({}).DATABASE_OWNER_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: runtime, DATABASE_OWNER_URL: '' }).DATABASE_OWNER_URL).toBeUndefined();
    expect(configError({ DATABASE_OWNER_URL: owner }).problems).toEqual([
      'DATABASE_URL: required with DATABASE_OWNER_URL: the runtime role the API and the worker connect as',
    ]);
    expect(configError({ DATABASE_OWNER_URL: owner, DATABASE_URL: 'postgres://db:5432/supervision' }).problems).toEqual([
      'DATABASE_URL: must name the runtime role (postgres://role:password@host/database) when DATABASE_OWNER_URL is set',
    ]);
    expect(configError({ DATABASE_OWNER_URL: owner, DATABASE_URL: 'postgres://supervision:other@db:5432/supervision' }).problems).toEqual([
      'DATABASE_OWNER_URL: must name another role than DATABASE_URL (supervision): the runtime role may not own the tables',
    ]);
    // A bad URL is named on its own, not also as a pair that does not fit.
    expect(configError({ DATABASE_OWNER_URL: owner, DATABASE_URL: 'mysql://x' }).problems).toEqual(['DATABASE_URL: expected postgres://…']);
  });

  test('every bad variable is named in one error, not only the first', () => {
    const err = configError({ API_PORT: 'abc', TEMPORAL_ADDRESS: 'nohost', DATABASE_URL: 'mysql://x', PG_POOL_MAX: '50' });
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['API_PORT', 'DATABASE_URL', 'PG_POOL_MAX', 'TEMPORAL_ADDRESS']);
    for (const name of ['API_PORT', 'TEMPORAL_ADDRESS', 'DATABASE_URL', 'PG_POOL_MAX']) expect(err.message).toContain(name);
  });

  test('empty strings count as unset (VAR= from docker-compose or a shell)', () => {
    const emptied = Object.fromEntries(configKeys.map((k) => [k, '']));
    expect(loadConfig(emptied)).toEqual(defaults);
    expect(loadConfig({ API_PORT: '', DATABASE_URL: '', TEMPORAL_ADDRESS: '', PG_POOL_MAX: '' })).toMatchObject({
      API_PORT: 3000,
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      PG_POOL_MAX: 10,
    });
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  test('variables the service does not know are ignored', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', API_PORTT: 'abc' })).toEqual(defaults);
  });

  test('configKeys lists every variable the service reads: nothing reads process.env around loadConfig', () => {
    const reads = directEnvReads();
    // Variables that only locate tools for the dev stack (scripts/provision.ts), not settings of
    // the service; each is documented in the README's tools section.
    const toolLocators = ['PATH', 'XDG_CACHE_HOME', 'INTEGRATED_SUPERVISION_CACHE', 'SCHEMATHESIS', 'CHROMIUM'];
    const outside = [...reads].filter(([name]) => !(configKeys as string[]).includes(name) && !toolLocators.includes(name));
    expect(outside.map(([name, files]) => `${name} (${[...files].join(', ')})`)).toEqual([]);
    // The scan sees the reads that are there (so an empty result above means something).
    expect([...(reads.get('TEMPORAL_CLI') ?? [])]).toEqual(['scripts/provision.ts']);
    for (const name of toolLocators) expect(reads.has(name), name).toBe(true);
  });

  test('every key in configKeys is read from the environment by loadConfig', () => {
    const asked = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>(
      {},
      {
        get(_t, name) {
          if (typeof name === 'string') asked.add(name);
          return undefined;
        },
      },
    );
    loadConfig(env);
    expect([...asked].sort()).toEqual([...configKeys].sort());
  });
});
