/**
 * `npm run bench:open-matters [-- N [C] [DAYS]]` (or BENCH_N=…): N open refined-oil matters on one
 * worker, each with a joint visit of the lead and four cooperating departments (five department
 * tasks with live clocks, so 5·N task workflows), against the time-skipping test server and an
 * embedded PostgreSQL. The worker runs in a process of its own (bench/worker-process.ts, made as
 * worker/main.ts makes it: payload codec, prebuilt bundle, WORKER_MAX_CACHED_WORKFLOWS), whose RSS
 * is sampled every second from /proc (VmRSS; VmHWM, the kernel's peak, at the end).
 *
 * 1. start: N matters through the Temporal client, C in flight: starts/s, then the time until
 *    every task has recorded its assignment (tasks opened/s);
 * 2. act: the lead signs for its task in min(N, 1000) matters (the `sign` Update), C in flight:
 *    actions/s, p50, p99;
 * 3. skip: the server's clock is moved DAYS days (default 3: the sign-for deadlines pass, the
 *    first chase falls due); every overdue record and ladder rung is read back from the timeline
 *    and compared with the time it was due (lateness), and each task's rungs due by then are
 *    counted against those that fired.
 * A measurement, not a test: it asserts nothing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../domain/config.js';
import { defaultCalendar, shanghaiDate } from '../../domain/calendar/index.js';
import { dayRungAt } from '../../domain/ladder.js';
import type { Principal } from '../../domain/principal.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import type { TaskView } from '../../domain/task.js';
import { signUpdate } from '../../workflows/department-task.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import { bundleWorkflows } from '../../worker/worker.js';
import { eventually } from '../helpers/eventually.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { benchDatabase, log, machine, mib, percentile, refinedOilInput } from './kit.js';
import { newPayloadKeySpec, parsePayloadKeys, payloadDataConverter } from '../../worker/payload-codec.js';
import type { WorkerSample } from './worker-process.js';

const argv = process.argv.slice(2).map(Number);
const N = argv[0] || Number(process.env.BENCH_N ?? 500);
const C = argv[1] || 20;
const DAYS = argv[2] || 3;
const ACTIONS = Math.min(N, 1000);
/** How long the opening may take before the run reports what it reached and stops (BENCH_OPEN_BUDGET_S). */
const OPEN_BUDGET_S = Number(process.env.BENCH_OPEN_BUDGET_S ?? 4 * 3600);
const DAY = 86_400_000;
const county = '610124';
const participants = ['safety', 'quality', 'tax', 'ecology'];
const ladder = catalogue['refined-oil'].ladder;

// ---------------------------------------------------------------- the worker's memory

interface PhaseMemory {
  peakRss: number;
  maxCached: number;
}
const phases: Record<string, PhaseMemory> = {};
let phase = 'setup';
let lastSample: WorkerSample | undefined;

function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

function sampleEverySecond(child: ChildProcess) {
  return setInterval(() => {
    if (!child.pid || child.exitCode !== null) return;
    const { rss } = rssOf(child.pid);
    const p = (phases[phase] ??= { peakRss: 0, maxCached: 0 });
    p.peakRss = Math.max(p.peakRss, rss);
    p.maxCached = Math.max(p.maxCached, lastSample?.cached ?? 0);
  }, 1000);
}

// ---------------------------------------------------------------- helpers

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
  const wallMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return { perSecond: (n / wallMs) * 1000, wallMs, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/**
 * Polls `count` until it reaches `target` or `budgetS` seconds have passed (progress every 30 s);
 * the seconds it took and the count reached.
 */
async function waitForCount(what: string, count: () => Promise<number>, target: number, from: number, budgetS: number) {
  let lastLog = performance.now();
  let n = 0;
  for (;;) {
    n = await count();
    const seconds = (performance.now() - from) / 1000;
    if (n >= target || seconds >= budgetS) return { seconds, reached: n };
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      const p = phases[phase];
      log(
        `  … ${what}: ${n}/${target} after ${seconds.toFixed(0)} s (worker RSS ${mib(lastSample?.rss ?? 0)} MiB, peak ${mib(p?.peakRss ?? 0)} MiB, cached ${lastSample?.cached})`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Polls `count` until it has not changed for `quietMs`. */
async function waitUntilQuiet(count: () => Promise<number>, quietMs: number): Promise<number> {
  let last = -1;
  let since = performance.now();
  const result = await eventually(
    async () => {
      const n = await count();
      if (n !== last) {
        if (performance.now() - since > 30_000) log(`  … ${n} (worker RSS ${mib(lastSample?.rss ?? 0)} MiB, cached ${lastSample?.cached})`);
        last = n;
        since = performance.now();
        return undefined;
      }
      return performance.now() - since >= quietMs ? n : undefined;
    },
    { timeoutMs: 4 * 3_600_000, intervalMs: 1000 },
  );
  return result;
}

// ---------------------------------------------------------------- main

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-open-'));
log(`bench:open-matters  N=${N} matters (${5 * N} tasks), concurrency ${C}, skip ${DAYS} days, ${ACTIONS} actions`);
log(machine());
const t0 = performance.now();

const { pgHandle, url: dbUrl, pool } = await benchDatabase(dir, { poolMax: 4, statementTimeoutMs: 120_000 });

const env = await timeSkippingEnv();
const bundlePath = path.join(dir, 'workflow-bundle.js');
// BENCH_WORKFLOWS_ENTRY=index: the bundle's entry point as it was before worker/workflow-entry.cjs
// (workflows/index.ts, every type's modules loaded by every run), to measure the two side by side.
const entry = process.env.BENCH_WORKFLOWS_ENTRY === 'index' ? path.join(import.meta.dirname, '../../workflows/index.ts') : undefined;
log(`workflow bundle entry: ${entry ? 'workflows/index.ts' : 'worker/workflow-entry.cjs'}`);
writeFileSync(bundlePath, (await bundleWorkflows(entry ? { entry } : {})).code);
const keys = newPayloadKeySpec('bench');
const taskQueue = 'bench-open-matters';
const child = fork(path.join(import.meta.dirname, 'worker-process.ts'), [], {
  // BENCH_WORKER_NODE_OPTIONS: flags for the worker's Node (e.g. a heap cap), as its start script would pass them.
  execArgv: ['--import', 'tsx', ...(process.env.BENCH_WORKER_NODE_OPTIONS ?? '').split(' ').filter(Boolean)],
  env: {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: dbUrl,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    PAYLOAD_KEYS: keys,
    MIGRATE_ON_START: 'false',
  },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
await new Promise<void>((resolve, reject) => {
  child.on('message', (m) => {
    if (m === 'ready') resolve();
    else lastSample = m as WorkerSample;
  });
  child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
});
const sampler = sampleEverySecond(child);
const idle = rssOf(child.pid!);
log(
  `worker ready: pid ${child.pid}, node flags '${process.env.BENCH_WORKER_NODE_OPTIONS ?? ''}', RSS ${mib(idle.rss)} MiB, cache bound ${process.env.WORKER_MAX_CACHED_WORKFLOWS ?? `${DEFAULT_MAX_CACHED_WORKFLOWS} (default)`}`,
);

const client = new Client({ connection: env.connection, dataConverter: payloadDataConverter(parsePayloadKeys(keys)) });
const matterId = (i: number) => `matter:${county}:refined-oil:bench-${i}`;
const countRows = async (sql: string) => (await pool.query<{ n: number }>(sql)).rows[0]!.n;

// 1. start
phase = 'start';
const startT = performance.now();
const starts = await runPool(N, C, async (i) => {
  await client.workflow.start(refinedOilMatter, { taskQueue, workflowId: matterId(i), args: [refinedOilInput(participants, String(i))] });
});
log(`started ${N} matters: ${starts.perSecond.toFixed(1)} starts/s (p50 ${starts.p50.toFixed(1)} ms, p99 ${starts.p99.toFixed(1)} ms)`);
const open = await waitForCount(
  'tasks assigned',
  () => countRows("SELECT count(*)::int AS n FROM timeline_events WHERE type = 'assigned' AND workflow_id LIKE '%/task:%'"),
  5 * N,
  startT,
  OPEN_BUDGET_S,
);
const openSeconds = open.seconds;
const complete = open.reached >= 5 * N;
log(
  `${complete ? 'all' : `only ${open.reached} of`} ${5 * N} tasks assigned ${openSeconds.toFixed(1)} s after the first start: ${(open.reached / openSeconds).toFixed(1)} tasks/s`,
);

let actions = { perSecond: NaN, wallMs: NaN, p50: NaN, p99: NaN };
let fired = 0;
const lateness: Record<string, number[]> = {};
let due = 0;
let missing = 0;
let skipSeconds = NaN;
let endMs = 0;
let rows: { workflow_id: string; type: string; at: Date; data: { rung?: string; dueAt?: string } }[] = [];
if (complete) {
  // 2. act
  phase = 'act';
  const lead: Principal = { keyId: 'k-commerce', county, department: 'commerce', roles: ['officer'] };
  const leadTaskIds = (
    await pool.query<{ task_id: string }>("SELECT task_id FROM tasks WHERE department = 'commerce' ORDER BY task_id LIMIT $1", [ACTIONS])
  ).rows.map((r) => r.task_id);
  actions = await runPool(leadTaskIds.length, C, async (i) => {
    const v = await client.workflow.getHandle(leadTaskIds[i]!).executeUpdate(signUpdate, { args: [{ actor: lead }] });
    if (v.state !== 'signed') throw new Error(`sign: ${v.state}`);
  });
  log(`${leadTaskIds.length} signs: ${actions.perSecond.toFixed(1)} actions/s (p50 ${actions.p50.toFixed(1)} ms, p99 ${actions.p99.toFixed(1)} ms)`);
  await waitUntilQuiet(() => countRows('SELECT count(*)::int AS n FROM timeline_events'), 5000);

  // 3. skip
  phase = 'skip';
  const clockEvents = "SELECT count(*)::int AS n FROM timeline_events WHERE type = 'overdue' OR type LIKE 'ladder.%'";
  const skipT = performance.now();
  // An hour at a time, each sleep given up after two minutes: the Java test server has lost a
  // response under this load (`HeaderListSizeException` in its gRPC layer, BENCHMARKS.md), and one
  // long sleep whose answer never comes would hang the benchmark. Its clock keeps what it reached,
  // so the loop goes on from wherever it is until DAYS have passed.
  const target = (await env.currentTimeMs()) + DAYS * DAY;
  for (let now = await env.currentTimeMs(); now < target; now = await env.currentTimeMs()) {
    const step = Math.min(3_600_000, target - now);
    const gaveUp = await Promise.race([env.sleep(step).then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 120_000).unref())]);
    if (gaveUp) log(`  … a sleep of ${step / 1000} s unanswered after 120 s; the server's clock is at ${new Date(await env.currentTimeMs()).toISOString()}`);
  }
  endMs = await env.currentTimeMs();
  fired = await waitUntilQuiet(() => countRows(clockEvents), 15_000);
  skipSeconds = (performance.now() - skipT) / 1000 - 15;
  log(`skipped ${DAYS} days: ${fired} overdue records and rungs in ${skipSeconds.toFixed(1)} s (${(fired / skipSeconds).toFixed(1)}/s)`);

  // Lateness: each record against the time it was due.
  rows = (
    await pool.query<{ workflow_id: string; type: string; at: Date; data: { rung?: string; dueAt?: string } }>(
      `SELECT workflow_id, type, at, data FROM timeline_events WHERE type = 'overdue' OR type LIKE 'ladder.%'`,
    )
  ).rows;
  const offsets = Object.fromEntries(ladder.map((r) => [r.rung, r.workingDaysAfterDeadline]));
  for (const r of rows) {
    const at = r.at.getTime();
    const dueAtMs = Date.parse(r.data.dueAt ?? '');
    let expected: number;
    if (r.type === 'overdue') expected = dueAtMs;
    else if (r.type === 'ladder.daily-chase') expected = Date.parse(`${shanghaiDate(at)}T09:00:00.000+08:00`);
    else expected = dayRungAt(dueAtMs, offsets[r.data.rung ?? ''] ?? NaN, defaultCalendar);
    (lateness[r.type] ??= []).push(at - expected);
  }
  // Every rung due by the end of the skip fired: each task's running clock against its rows.
  const tasks = (await pool.query<{ task_id: string; view: TaskView }>('SELECT task_id, view FROM tasks')).rows;
  const firedBy = new Map<string, number>();
  for (const r of rows) if (r.type.startsWith('ladder.') && r.type !== 'ladder.daily-chase') firedBy.set(r.workflow_id, (firedBy.get(r.workflow_id) ?? 0) + 1);
  for (const t of tasks) {
    const d = t.view.currentDeadline;
    if (!d) continue;
    const dueAtMs = Date.parse(d.dueAt);
    const from = Date.parse(d.countsFrom?.at ?? t.view.assignedAt);
    const expected = ladder
      .map((r) => dayRungAt(dueAtMs, r.workingDaysAfterDeadline, defaultCalendar))
      .filter((atMs) => (atMs > from || atMs >= dueAtMs) && atMs <= endMs).length;
    due += expected;
    missing += Math.max(0, expected - (firedBy.get(t.task_id) ?? 0));
  }
}

// 4. report
const hwm = rssOf(child.pid!).hwm;
clearInterval(sampler);
child.send('stop');
await new Promise((r) => child.once('exit', r));
await env.teardown();
await pool.end();
await pgHandle.stop();
rmSync(dir, { recursive: true, force: true });

log('');
log(`| phase | worker peak RSS (sampled) | most runs cached |`);
log('|---|---|---|');
log(`| idle (ready) | ${mib(idle.rss)} MiB | 0 |`);
for (const [name, p] of Object.entries(phases)) log(`| ${name} | ${mib(p.peakRss)} MiB | ${p.maxCached} |`);
log(`worker VmHWM (kernel peak RSS): ${mib(hwm)} MiB`);
log('');
log('| record | count | p50 late | p99 late | max late | > 60 s late | early |');
log('|---|---|---|---|---|---|---|');
for (const [type, list] of Object.entries(lateness).sort()) {
  list.sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  log(
    `| ${type} | ${list.length} | ${s(percentile(list, 0.5))} | ${s(percentile(list, 0.99))} | ${s(list[list.length - 1]!)} | ${list.filter((x) => x > 60_000).length} | ${list.filter((x) => x < 0).length} |`,
  );
}
log(`rungs due by the end of the skip: ${due}; fired: ${due - missing}; missing: ${missing}`);
log('');
log(`| measure | value |`);
log('|---|---|');
log(`| starts (client, ${C} in flight) | ${starts.perSecond.toFixed(1)} /s, p50 ${starts.p50.toFixed(1)} ms, p99 ${starts.p99.toFixed(1)} ms |`);
log(`| opened (tasks assigned) | ${open.reached} of ${5 * N} in ${openSeconds.toFixed(0)} s = ${(open.reached / openSeconds).toFixed(1)} tasks/s |`);
log(`| actions (sign Update, ${C} in flight) | ${actions.perSecond.toFixed(1)} /s, p50 ${actions.p50.toFixed(1)} ms, p99 ${actions.p99.toFixed(1)} ms |`);
log(`| clock records after the skip | ${fired} in ${skipSeconds.toFixed(0)} s = ${(fired / skipSeconds).toFixed(1)} /s |`);
log(`wall ${((performance.now() - t0) / 1000).toFixed(0)} s; ${machine()}`);
process.exit(0);
