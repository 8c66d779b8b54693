/**
 * What a workflow run costs the worker before its first command: the workflow code's modules,
 * evaluated afresh for every run that enters the worker's cache (Temporal's reusable V8 context
 * keeps one module cache per run; why it matters: BENCHMARKS.md, open matters). Two bundles side
 * by side: `index` (entry point workflows/index.ts, every workflow type and the whole domain, as
 * the worker loaded them before) and `entry` (worker/workflow-entry.cjs, the worker's today: one
 * type's modules per run). Each replays recorded histories (test/replay/histories) — the same
 * code path as a run woken after eviction — in rounds that alternate which bundle goes first.
 * Prints per bundle and history: wall and CPU (process.cpuUsage: every thread) per run, and the
 * ratios. Run: `npm run bench:workflow-load [-- <runs per round> <rounds>]`. Asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { quietRuntime } from '../helpers/temporal.js';
import { bundleWorkflows } from '../../worker/worker.js';
import { machine } from './kit.js';

const RUNS = Number(process.argv[2] ?? 50);
const ROUNDS = Number(process.argv[3] ?? 4);
const HISTORIES = ['department-task-reassigned.json', 'clue-returned-redispatched-visited.json', 'refined-oil-filed-with-penalties.json'];

quietRuntime();
const require = createRequire(import.meta.url);
const bundles: Record<string, WorkflowBundleWithSourceMap> = {
  index: await bundleWorkflows({ entry: require.resolve('../../workflows/index.ts') }),
  entry: await bundleWorkflows(),
};

/** Replays `file` `n` times on one replay worker (one reusable context, a fresh run each time). */
async function replay(bundle: WorkflowBundleWithSourceMap, file: string, n: number): Promise<{ wallMs: number; cpuMs: number }> {
  const raw = JSON.parse(readFileSync(new URL(`../replay/histories/${file}`, import.meta.url), 'utf8'));
  const workflowId = file.replace(/\.json$/, '').replaceAll('~', '/');
  async function* histories() {
    for (let i = 0; i < n; i++) yield { history: historyFromJSON(raw), workflowId };
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories())) if (r.error) throw r.error;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const totals = new Map<string, { wallMs: number; cpuMs: number; runs: number }>();
for (const file of HISTORIES) for (const name of Object.keys(bundles)) await replay(bundles[name]!, file, 5); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ['index', 'entry'] : ['entry', 'index'];
  for (const file of HISTORIES)
    for (const name of order) {
      const r = await replay(bundles[name]!, file, RUNS);
      const t = totals.get(`${name} ${file}`) ?? { wallMs: 0, cpuMs: 0, runs: 0 };
      totals.set(`${name} ${file}`, { wallMs: t.wallMs + r.wallMs, cpuMs: t.cpuMs + r.cpuMs, runs: t.runs + RUNS });
    }
}

process.stdout.write(`${machine()}\n${ROUNDS} rounds × ${RUNS} replays per history and bundle (after 5 each to warm up)\n\n`);
process.stdout.write('| history | events | index: wall / CPU per run | entry: wall / CPU per run | entry / index: wall, CPU |\n|---|---|---|---|---|\n');
for (const file of HISTORIES) {
  const events = JSON.parse(readFileSync(new URL(`../replay/histories/${file}`, import.meta.url), 'utf8')).events.length;
  const a = totals.get(`index ${file}`)!;
  const b = totals.get(`entry ${file}`)!;
  const per = (t: typeof a) => `${(t.wallMs / t.runs).toFixed(1)} ms / ${(t.cpuMs / t.runs).toFixed(1)} ms`;
  process.stdout.write(
    `| ${file.replace(/\.json$/, '')} | ${events} | ${per(a)} | ${per(b)} | ${(b.wallMs / a.wallMs).toFixed(2)}, ${(b.cpuMs / a.cpuMs).toFixed(2)} |\n`,
  );
}
