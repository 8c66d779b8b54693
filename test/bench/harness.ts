/**
 * What the API-versus-client benchmarks share: the stack as `npm start` runs it (a file-backed dev
 * server, embedded PostgreSQL, the worker with the workflow bundle, the API listening on a port,
 * payloads encrypted by the production codec in the API's client, the raw client and the worker),
 * and the interleaved runner that measures two or more paths side by side.
 *
 * Interleaved: the paths take turns in batches (`batch` calls each, `concurrency` in flight), the
 * order of the paths rotating every round, so the machine's other load and the worker's backlog
 * (every matter started keeps the worker busy after its start returns) fall on every path alike.
 * A path's throughput is its calls over the wall time of its own batches.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { buildApp } from '../../api/app.js';
import type { Pool } from '../../db/pool.js';
import { payloadKeysFor } from '../../domain/payload-keys.js';
import { freePort, startTemporalDevServer } from '../../scripts/dev-stack.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { bundleWorkflows, createWorker } from '../../worker/worker.js';
// The request-rate buckets are out of reach: the benchmark measures the service, not the limiter.
import { testConfig, testPayloadKeys } from '../helpers/config.js';

import { benchDatabase, log } from './kit.js';

export { log, machine } from './kit.js';

export interface BenchStack {
  pool: Pool;
  client: Client;
  api: string;
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * `apiProcess`: the API runs as production runs it, its own process (`api/server.ts`, configured by
 * environment), instead of inside the benchmark's process beside the worker and the load generator.
 */
export async function startBenchStack(name: string, opts: { apiProcess?: boolean } = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  const { pgHandle, pool } = await benchDatabase(dir);
  const temporal = await startTemporalDevServer({ port: await freePort(), dbFile: path.join(dir, 'temporal.db') });
  const config = testConfig();
  const dataConverter = payloadDataConverter(payloadKeysFor(config));
  const native = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, pool, dataConverter, workflowBundle: await bundleWorkflows() });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  // One client for both paths: the API's requests and the raw calls share its connection and codec.
  const client = new Client({ connection, dataConverter });
  let api: string;
  let closeApi: () => Promise<void>;
  if (opts.apiProcess) {
    const port = await freePort();
    const unlimited = Object.fromEntries(
      ['IP', 'KEY', 'PUBLIC', 'START'].flatMap((k) => [
        [`RATE_LIMIT_${k}_BURST`, '1000000'],
        [`RATE_LIMIT_${k}_PER_MINUTE`, '10000000'],
      ]),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
      env: {
        PATH: process.env.PATH,
        ...unlimited,
        DATABASE_URL: pgHandle.urlFor('bench'),
        MIGRATE_ON_START: 'false',
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        PAYLOAD_KEYS: testPayloadKeys,
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    api = `http://127.0.0.1:${port}`;
    // A benchmark that fails leaves no API process behind.
    const orphaned = () => child.kill('SIGKILL');
    process.once('exit', orphaned);
    for (let i = 0; ; i++) {
      const up = await fetch(`${api}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (i > 600 || child.exitCode !== null) throw new Error('the API process did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    closeApi = async () => {
      process.off('exit', orphaned);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    };
  } else {
    const app = await buildApp({ config: { ...config, TEMPORAL_TASK_QUEUE: taskQueue }, pool, temporal: client, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    closeApi = () => app.close();
  }
  return {
    pool,
    client,
    taskQueue,
    api,
    async stop() {
      await closeApi();
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
      await temporal.stop();
      await pool.end();
      await pgHandle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PathStats {
  calls: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Share of the batches' wall time this process's event loop was busy (the load generator's, and in-process the API's and the worker's). */
  loopBusy: number;
}

function stats(latencies: number[], wallMs: number, loopBusy: number): PathStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { calls: sorted.length, perSecond: (sorted.length / wallMs) * 1000, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted.at(-1)!, loopBusy };
}

/** A path: one call of it, given a number unique across the whole process. */
export type BenchPath = (i: number) => Promise<void>;

let seq = 0;

/**
 * Runs `rounds` rounds; in each, every path runs one batch of `batch` calls with `concurrency` in
 * flight, the paths' order rotating by one each round.
 */
export async function interleaved(
  paths: Record<string, BenchPath>,
  o: { rounds: number; batch: number; concurrency: number },
): Promise<Record<string, PathStats>> {
  const names = Object.keys(paths);
  const latencies = Object.fromEntries(names.map((n) => [n, [] as number[]]));
  const wall = Object.fromEntries(names.map((n) => [n, 0]));
  const busy = Object.fromEntries(names.map((n) => [n, 0]));
  for (let r = 0; r < o.rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length]!;
      const one = paths[name]!;
      let left = o.batch;
      const t0 = performance.now();
      const elu0 = performance.eventLoopUtilization();
      await Promise.all(
        Array.from({ length: Math.min(o.concurrency, o.batch) }, async () => {
          while (left > 0) {
            left--;
            const i = seq++;
            const s = performance.now();
            await one(i);
            latencies[name]!.push(performance.now() - s);
          }
        }),
      );
      wall[name]! += performance.now() - t0;
      busy[name]! += performance.eventLoopUtilization(elu0).active;
    }
  }
  return Object.fromEntries(names.map((n) => [n, stats(latencies[n]!, wall[n]!, busy[n]! / wall[n]!)]));
}

export function printTable(results: Record<string, PathStats>) {
  for (const [name, s] of Object.entries(results)) {
    log(
      `${name.padEnd(44)} ${String(s.calls).padStart(5)} calls ${s.perSecond.toFixed(1).padStart(7)} /s   p50 ${s.p50.toFixed(1).padStart(7)} ms   p90 ${s.p90.toFixed(1).padStart(7)} ms   p99 ${s.p99.toFixed(1).padStart(7)} ms   max ${s.max.toFixed(1).padStart(7)} ms   loop busy ${(s.loopBusy * 100).toFixed(0).padStart(3)}%`,
    );
  }
}

export function printRatio(label: string, a: PathStats, b: PathStats) {
  log(
    `ratio ${label}: throughput ${(a.perSecond / b.perSecond).toFixed(2)}, p50 ${(a.p50 / b.p50).toFixed(2)}, p90 ${(a.p90 / b.p90).toFixed(2)}, p99 ${(a.p99 / b.p99).toFixed(2)}`,
  );
}
