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
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
export async function startBenchStack(name: string, opts: { apiProcess?: boolean; split?: boolean; worker?: boolean } = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // Split: this process (the load generator and the raw client) and the API on core 1; Temporal,
  // PostgreSQL and the worker (in a process of its own) on core 0. So a path is charged what it
  // costs the back end that every path shares, as when the API replicas and their callers run on
  // machines of their own (README "The production topology"), not the CPU its callers spend.
  if (opts.split) pin(process.pid, '1');
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  const { pgHandle, pool, url: dbUrl } = await benchDatabase(dir);
  const temporal = await startTemporalDevServer({ port: await freePort(), dbFile: path.join(dir, 'temporal.db') });
  const config = testConfig();
  const dataConverter = payloadDataConverter(payloadKeysFor(config));
  const taskQueue = `bench-${randomUUID()}`;
  let stopWorker: () => Promise<void>;
  if (opts.worker === false) {
    // Starts alone: the workflow tasks they make wait on the server, no worker takes them, so no
    // path's batch is slowed by the work an earlier batch left behind.
    stopWorker = async () => {};
    if (opts.split) pinBackEnd();
  } else if (opts.split) {
    const codePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(codePath, (await bundleWorkflows()).code);
    const child = fork(path.join(import.meta.dirname, 'worker-process.ts'), [], {
      execPath: 'taskset',
      execArgv: ['-c', '0', process.execPath, '--import', 'tsx'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        DATABASE_URL: dbUrl,
        WORKFLOW_BUNDLE_PATH: codePath,
        PAYLOAD_KEYS: testPayloadKeys,
        MIGRATE_ON_START: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    process.once('exit', () => child.kill('SIGKILL'));
    workerPids.add(child.pid!);
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m) => m === 'ready' && resolve());
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
    pinBackEnd();
    stopWorker = async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    };
  } else {
    const native = await NativeConnection.connect({ address: temporal.address });
    const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, pool, dataConverter, workflowBundle: await bundleWorkflows() });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await native.close();
    };
  }
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
    // BENCH_API_CPU_PROF=<dir>: the API process writes a V8 CPU profile there when it exits.
    const profile = process.env.BENCH_API_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_API_CPU_PROF}`] : [];
    // BENCH_API_CPUS=<list>: the API process on those cores only (`taskset -c`), e.g. the benchmark
    // under `taskset -c 0` and the API on core 1, as when the API replicas have cores of their own.
    const pinned = process.env.BENCH_API_CPUS ? ['taskset', '-c', process.env.BENCH_API_CPUS] : [];
    const argv = [...pinned, process.execPath, ...profile, '--import', 'tsx', 'api/server.ts'];
    const child = spawn(argv[0]!, argv.slice(1), {
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
      await stopWorker();
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
  /**
   * CPU milliseconds per call during the path's batches, by process: `bench` (this process: the
   * load generator, the worker unless split, and in process the API), `api` (the API's own
   * process), `worker` (its own process when split), `postgres` (every PostgreSQL process),
   * `temporal` (the dev server). Work a path leaves behind (the
   * worker's backlog) lands on whichever batch runs next, which the rotation spreads alike.
   */
  cpuPerCall: Record<string, number>;
}

const clockTicksPerSecond = 100; // USER_HZ, 100 on Linux everywhere Node runs

/** The worker's process in a split stack: its CPU is the worker's, not the API's. */
const workerPids = new Set<number>();

/** Every thread of `pid` on `cpus` (a `taskset -c` list); processes it starts later inherit it. */
function pin(pid: number, cpus: string) {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** PostgreSQL and the dev server on core 0 (split); the backends PostgreSQL forks later inherit it. */
function pinBackEnd() {
  for (const p of descendants()) if (p.comm.startsWith('postgres') || p.comm.startsWith('temporal')) pin(p.pid, '0');
}

/** This process's descendants, as /proc lists them. */
function descendants(): { pid: number; comm: string; ticks: number }[] {
  const procs = processes();
  const below = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!below.has(p.pid) && below.has(p.ppid)) (below.add(p.pid), (grew = true));
  }
  return procs.filter((p) => below.has(p.pid) && p.pid !== process.pid);
}

function processes(): { pid: number; ppid: number; comm: string; ticks: number }[] {
  const procs: { pid: number; ppid: number; comm: string; ticks: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      procs.push({ pid: Number(name), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited between the listing and the read
    }
  }
  return procs;
}

/** CPU ticks (user + system) of this process and every process below it, by kind. */
function treeCpuTicks(): Record<string, number> {
  const out: Record<string, number> = { bench: processes().find((p) => p.pid === process.pid)?.ticks ?? 0 };
  for (const p of descendants()) {
    const kind = p.comm.startsWith('postgres')
      ? 'postgres'
      : p.comm.startsWith('temporal')
        ? 'temporal'
        : workerPids.has(p.pid)
          ? 'worker'
          : p.comm === 'node' || p.comm.startsWith('MainThread')
            ? 'api'
            : p.comm;
    out[kind] = (out[kind] ?? 0) + p.ticks;
  }
  return out;
}

function stats(latencies: number[], wallMs: number, loopBusy: number, cpuTicks: Record<string, number>): PathStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const cpuPerCall = Object.fromEntries(Object.entries(cpuTicks).map(([k, t]) => [k, ((t / clockTicksPerSecond) * 1000) / sorted.length]));
  return {
    calls: sorted.length,
    perSecond: (sorted.length / wallMs) * 1000,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: sorted.at(-1)!,
    loopBusy,
    cpuPerCall,
  };
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
  const cpu = Object.fromEntries(names.map((n) => [n, {} as Record<string, number>]));
  for (let r = 0; r < o.rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length]!;
      const one = paths[name]!;
      let left = o.batch;
      const t0 = performance.now();
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = treeCpuTicks();
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
      for (const [kind, ticks] of Object.entries(treeCpuTicks())) cpu[name]![kind] = (cpu[name]![kind] ?? 0) + ticks - (cpu0[kind] ?? 0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, stats(latencies[n]!, wall[n]!, busy[n]! / wall[n]!, cpu[n]!)]));
}

export function printTable(results: Record<string, PathStats>) {
  for (const [name, s] of Object.entries(results)) {
    log(
      `${name.padEnd(44)} ${String(s.calls).padStart(5)} calls ${s.perSecond.toFixed(1).padStart(7)} /s   p50 ${s.p50.toFixed(1).padStart(7)} ms   p90 ${s.p90.toFixed(1).padStart(7)} ms   p99 ${s.p99.toFixed(1).padStart(7)} ms   max ${s.max.toFixed(1).padStart(7)} ms   loop busy ${(s.loopBusy * 100).toFixed(0).padStart(3)}%   CPU per call ${cpuLine(s.cpuPerCall)}`,
    );
  }
}

const cpuLine = (c: Record<string, number>) =>
  `${Object.values(c)
    .reduce((a, b) => a + b, 0)
    .toFixed(1)} ms (${Object.entries(c)
    .filter(([, ms]) => ms >= 0.05)
    .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
    .join(', ')})`;

export function printRatio(label: string, a: PathStats, b: PathStats) {
  log(
    `ratio ${label}: throughput ${(a.perSecond / b.perSecond).toFixed(2)}, p50 ${(a.p50 / b.p50).toFixed(2)}, p90 ${(a.p90 / b.p90).toFixed(2)}, p99 ${(a.p99 / b.p99).toFixed(2)}`,
  );
}
