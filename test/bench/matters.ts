/**
 * `npm run bench:matters [-- N [C]]`: starts N self-built-housing matters through the HTTP API
 * and N equivalent workflows straight through the Temporal client, against the same file-backed
 * dev server (as `npm start` runs it), with C requests in flight, and prints throughput, p50/p99
 * latency and the API/client ratio. A measurement, not a test: it asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { buildApp } from '../../api/app.js';
import { createKey } from '../../db/keys.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
// The request-rate buckets are out of reach: the benchmark measures the service, not the limiter.
import { testConfig } from '../helpers/config.js';
import type { MatterInput } from '../../domain/matter.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import { freePort, startEmbeddedPostgres, startTemporalDevServer } from '../../scripts/dev-stack.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { bundleWorkflows, createWorker } from '../../worker/worker.js';

const N = Number(process.argv[2] ?? 200);
const C = Number(process.argv[3] ?? 10);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-matters-'));
const log = (m: string) => process.stdout.write(`${m}\n`);

function stats(latencies: number[], wallMs: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { perSecond: (latencies.length / wallMs) * 1000, p50: q(0.5), p99: q(0.99) };
}

async function runPool(n: number, c: number, one: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = next++; i < n; i = next++) {
        const s = performance.now();
        await one(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  return stats(latencies, performance.now() - t0);
}

async function main() {
  const pgHandle = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), persistent: false });
  const admin = new pg.Client({ connectionString: pgHandle.url });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const pool = createPool({ DATABASE_URL: pgHandle.urlFor('bench'), PG_POOL_MAX: 10, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
  await migrate(pool);
  const temporal = await startTemporalDevServer({ port: await freePort(), dbFile: path.join(dir, 'temporal.db') });
  const native = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, pool, workflowBundle: await bundleWorkflows() });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const app = await buildApp({ config: { ...testConfig(), TEMPORAL_TASK_QUEUE: taskQueue }, pool, temporal: client, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const { key } = await createKey(pool, { county: '610124', roles: ['operator'] });

  const body = {
    scenario: 'self-built-housing',
    county: '610124',
    subject: { name: '某自建房', kind: 'house' },
    facts: { township: '610124100' },
    source: { channel: 'inspection-plan' },
  };
  const input: MatterInput = {
    county: '610124',
    subject: body.subject as MatterInput['subject'],
    facts: { township: '610124100', reportedHazard: false },
    definition: resolveScenario(catalogue['self-built-housing'], undefined),
    createdBy: 'bench',
  };

  // Warm up both paths (bundle caches, connections, JIT) before measuring.
  for (let i = 0; i < 5; i++) {
    await fetch(`${api}/v1/matters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await client.workflow.start(selfBuiltHousingMatter, { taskQueue, workflowId: `warm-${i}-${randomUUID()}`, args: [input] });
  }

  log(`bench:matters  N=${N} concurrency=${C}  node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);
  const viaApi = await runPool(N, C, async (i) => {
    const res = await fetch(`${api}/v1/matters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `bench-${i}-${randomUUID()}` },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`POST /v1/matters: ${res.status} ${await res.text()}`);
  });
  const direct = await runPool(N, C, async (i) => {
    await client.workflow.start(selfBuiltHousingMatter, {
      taskQueue,
      workflowId: `matter:610124:self-built-housing:bench-${i}-${randomUUID().slice(0, 8)}`,
      args: [input],
    });
  });

  const row = (name: string, s: ReturnType<typeof stats>) =>
    `${name.padEnd(34)} ${s.perSecond.toFixed(1).padStart(8)} /s   p50 ${s.p50.toFixed(1).padStart(7)} ms   p99 ${s.p99.toFixed(1).padStart(7)} ms`;
  log(row('HTTP API  POST /v1/matters', viaApi));
  log(row('Temporal client  workflow.start', direct));
  log(
    `ratio API/client: throughput ${(viaApi.perSecond / direct.perSecond).toFixed(2)}, p50 ${(viaApi.p50 / direct.p50).toFixed(2)}, p99 ${(viaApi.p99 / direct.p99).toFixed(2)}`,
  );
  log('(the API also authenticates the key, validates facts, resolves the county catalogue and reserves the id in PostgreSQL)');

  await app.close();
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await temporal.stop();
  await pool.end();
  await pgHandle.stop();
  rmSync(dir, { recursive: true, force: true });
}

await main();
