/**
 * Issue 12 §3, "a frozen database hangs every request": PostgreSQL that accepts connections and
 * answers nothing. A PostgreSQL server of this file's own (the run's shared server serves the other
 * test files meanwhile) is frozen for real, its postmaster and every backend stopped with SIGSTOP,
 * while the API (listening on a port, with the default settings of domain/config.ts), the worker
 * and the Temporal time-skipping test server keep running. Every data request must answer 503
 * `unavailable` with Retry-After within 10 s, and after SIGCONT everything works again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { buildApp } from '../../api/app.js';
import { createKey } from '../../db/keys.js';
import { migrate } from '../../db/migrate.js';
import { createPool, type Pool } from '../../db/pool.js';
import { loadConfig } from '../../domain/config.js';
import { freePort } from '../../scripts/dev-stack.js';
import { steadyClient, timeSkippingEnv, workflowBundle } from '../helpers/temporal.js';

let dir: string;
let server: ChildProcess | undefined;
let env: TestWorkflowEnvironment;
let apiPool: Pool;
let workerPool: Pool;
let worker: Worker | undefined;
let workerRun: Promise<void> | undefined;
let app: FastifyInstance;
let base: string;
const keys: Record<'operator' | 'housing', string> = { operator: '', housing: '' };

/** scripts/pg-server.ts in a process of its own, as the run's global setup starts the shared one. */
async function startPostgres(dataDir: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../../scripts/pg-server.ts'), dataDir, String(await freePort())], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  server = child;
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /^ready (\S+)$/m.exec(output);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
}

/** The postmaster (first line of postmaster.pid) and its children: the backends and helpers. */
function postgresProcesses(): number[] {
  const postmaster = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits 1 when there are none
  }
  return [postmaster, ...children];
}

/** Stops every PostgreSQL process while `during` runs: connections are accepted by the kernel, nothing answers. */
async function frozen<T>(during: () => Promise<T>): Promise<T> {
  const pids = postgresProcesses();
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
}

interface Timed {
  status: number | 'no answer';
  retryAfter: string | null;
  code: string | undefined;
  ms: number;
}

/** One HTTP request, timed; "no answer" after 12 s (the old code hung far longer). */
async function timed(method: string, url: string, key: string, body?: unknown, headers: Record<string, string> = {}, at = base): Promise<Timed> {
  const started = Date.now();
  try {
    const res = await fetch(`${at}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(12_000),
    });
    const json = (await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
    return { status: res.status, retryAfter: res.headers.get('retry-after'), code: json?.error?.code, ms: Date.now() - started };
  } catch {
    return { status: 'no answer', retryAfter: null, code: undefined, ms: Date.now() - started };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'isv-frozen-'));
  const adminUrl = await startPostgres(path.join(dir, 'data'));
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE supervision');
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = '/supervision';
  // The API's and the worker's pools as the processes make them: the defaults of domain/config.ts.
  const config = loadConfig({ DATABASE_URL: url.toString(), TEMPORAL_TASK_QUEUE: `frozen-${randomUUID()}` });
  apiPool = createPool({ ...config, DATABASE_URL: url.toString() });
  workerPool = createPool({ ...config, DATABASE_URL: url.toString() });
  await migrate(apiPool);

  env = await timeSkippingEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ pool: workerPool }),
  });
  workerRun = worker.run();
  app = await buildApp({ config, pool: apiPool, temporal: steadyClient(env), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  keys.operator = (await createKey(apiPool, { county: '610124', roles: ['operator'] })).key;
  keys.housing = (await createKey(apiPool, { county: '610124', department: 'housing', roles: ['officer'] })).key;
}, 180_000);

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
  await apiPool?.end();
  await workerPool?.end();
  if (server && server.exitCode === null) {
    const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const newTask = (title: string) => ({ department: 'housing', title, instructions: '现场核查并反馈' });

describe('PostgreSQL that does not answer', () => {
  test('a read route and a write route answer 503 with Retry-After within 10 s, and work again after SIGCONT', async () => {
    // Warm: the pools hold live connections, as a running service's do.
    const warm = await timed('POST', '/v1/tasks', keys.operator, newTask('冻结前的任务'), { 'idempotency-key': `frozen-warm-${randomUUID()}` });
    expect(warm.status).toBe(201);
    expect((await timed('GET', '/v1/tasks', keys.housing)).status).toBe(200);

    const writeKey = `frozen-write-${randomUUID()}`;
    const rounds = await frozen(async () => {
      const answers: Record<string, Timed>[] = [];
      // Two rounds: the first meets the pooled connections (a query that is sent and never
      // answered), the second new connections (a handshake that is never answered). Each round
      // asks more at once than the pool holds (10), so some requests also wait for a connection.
      for (let round = 0; round < 2; round++) {
        const reads = Array.from({ length: 6 }, () => timed('GET', '/v1/tasks', keys.housing));
        const writes = Array.from({ length: 6 }, (_, i) =>
          timed('POST', '/v1/tasks', keys.operator, newTask(`冻结期间的任务 ${round}-${i}`), { 'idempotency-key': `${writeKey}-${round}-${i}` }),
        );
        const all = await Promise.all([...reads, ...writes]);
        answers.push(Object.fromEntries(all.map((a, i) => [`${i < 6 ? 'GET' : 'POST'} /v1/tasks #${i % 6}`, a])));
      }
      return answers;
    });
    for (const round of rounds) {
      for (const [request, a] of Object.entries(round)) {
        expect({ request, status: a.status, code: a.code, retryAfter: a.retryAfter }, JSON.stringify(a)).toEqual({
          request,
          status: 503,
          code: 'unavailable',
          retryAfter: '5',
        });
        expect(a.ms, `${request} answered after ${a.ms} ms`).toBeLessThan(10_000);
      }
    }

    // Thawed: reads and writes work at once, and a write refused during the freeze can be sent again.
    const read = await timed('GET', '/v1/tasks', keys.housing);
    expect(read.status).toBe(200);
    const again = await timed('POST', '/v1/tasks', keys.operator, newTask('冻结期间的任务 0-0'), { 'idempotency-key': `${writeKey}-0-0` });
    expect(again.status).toBe(201);
    expect(again.ms).toBeLessThan(10_000);
    const inbox = await fetch(`${base}/v1/tasks?state=assigned`, { headers: { authorization: `Bearer ${keys.housing}` } });
    const titles = ((await inbox.json()) as { items: { title: string }[] }).items.map((t) => t.title);
    expect(titles).toEqual(expect.arrayContaining(['冻结前的任务', '冻结期间的任务 0-0']));
  });

  test('with database timeouts longer than the request’s, the request timeout alone answers 503 at API_REQUEST_TIMEOUT_MS', async () => {
    // A second API over the same database whose pool would wait a minute: only Fastify's handler
    // timeout (API_REQUEST_TIMEOUT_MS) can answer in time.
    const slow = loadConfig({
      DATABASE_URL: apiPool.options.connectionString!,
      TEMPORAL_TASK_QUEUE: `frozen-slow-${randomUUID()}`,
      API_REQUEST_TIMEOUT_MS: '2000',
      UPDATE_TIMEOUT_MS: '1000',
      PG_CONNECTION_TIMEOUT_MS: '60000',
      PG_STATEMENT_TIMEOUT_MS: '50000',
      PG_QUERY_TIMEOUT_MS: '60000',
    });
    const slowPool = createPool({ ...slow, DATABASE_URL: slow.DATABASE_URL! });
    const slowApp = await buildApp({ config: slow, pool: slowPool, temporal: steadyClient(env), logger: false });
    await slowApp.listen({ host: '127.0.0.1', port: 0 });
    const slowBase = `http://127.0.0.1:${(slowApp.server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${slowBase}/v1/tasks`, { headers: { authorization: `Bearer ${keys.housing}` } })).status).toBe(200);
      const answers = await frozen(() =>
        Promise.all([
          timed('GET', '/v1/tasks', keys.housing, undefined, {}, slowBase),
          timed('POST', '/v1/tasks', keys.operator, newTask('请求超时'), { 'idempotency-key': `frozen-slow-${randomUUID()}` }, slowBase),
        ]),
      );
      for (const a of answers) {
        expect({ status: a.status, code: a.code, retryAfter: a.retryAfter }, JSON.stringify(a)).toEqual({ status: 503, code: 'unavailable', retryAfter: '5' });
        expect(a.ms).toBeGreaterThanOrEqual(2000);
        expect(a.ms).toBeLessThan(5000);
      }
      // The handlers still waiting on the database finish after the thaw; the API answers again.
      expect((await timed('GET', '/v1/tasks', keys.housing, undefined, {}, slowBase)).status).toBe(200);
    } finally {
      await slowApp.close();
      await slowPool.end();
    }
  });

  test('a statement PostgreSQL cancels at statement_timeout (a table held locked) answers 503 with Retry-After, and the pool carries on', async () => {
    const locker = new pg.Client({ connectionString: apiPool.options.connectionString! });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
      // Authentication reads api_keys: it waits on the lock until PostgreSQL cancels it (57014).
      const a = await timed('GET', '/v1/tasks', keys.housing);
      expect({ status: a.status, code: a.code, retryAfter: a.retryAfter }, JSON.stringify(a)).toEqual({ status: 503, code: 'unavailable', retryAfter: '5' });
      expect(a.ms).toBeLessThan(10_000);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect((await timed('GET', '/v1/tasks', keys.housing)).status).toBe(200);
  });
});
