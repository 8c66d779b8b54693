/**
 * `npm run bench:cluster-workers [-- N ROUNDS C]`: on the production topology (scripts/cluster.ts:
 * two real Temporal server nodes on PostgreSQL, two API replicas), how matter throughput grows from
 * one worker to two. Each run launches N prepaid-card matters through the two replicas alternately,
 * C in flight, and ends when every one of them has its first task (分办) assigned in the read model:
 * the matter's workflow task, its child task workflow and the activities writing PostgreSQL all ran
 * on the worker(s). Runs alternate (1 worker, 2 workers, 1, 2, …) on the same cluster, so both see
 * the same machine load; the second worker is stopped (SIGTERM, drained) for the one-worker runs. A
 * measurement, not a test: it asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKey } from '../../db/keys.js';
import { createPool } from '../../db/pool.js';
import { freeBasePort, startCluster } from '../../scripts/cluster.js';

const N = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 2);
const C = Number(process.argv[4] ?? 10);
const log = (m: string) => process.stdout.write(`${m}\n`);
const unlimited = Object.fromEntries(
  ['IP', 'KEY', 'PUBLIC', 'START'].flatMap((k) => [
    [`RATE_LIMIT_${k}_BURST`, '1000000'],
    [`RATE_LIMIT_${k}_PER_MINUTE`, '10000000'],
  ]),
);

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
const cluster = await startCluster({ dir, basePort: await freeBasePort(), persistent: false, appEnv: { ...unlimited, LOG_LEVEL: 'warn' }, log });
const pool = createPool({ DATABASE_URL: cluster.ownerUrl, PG_POOL_MAX: 2, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
const { key } = await createKey(pool, { county: '610124', roles: ['operator'] });
let serial = 0;

async function assignedAmong(ids: string[]): Promise<number> {
  const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM tasks WHERE matter_id = ANY($1)', [ids]);
  return Number(r.rows[0]!.n);
}

async function run(label: string) {
  const ids: string[] = [];
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      for (let i = next++; i < N; i = next++) {
        const n = serial++;
        const s = performance.now();
        const res = await fetch(`${cluster.apiUrls[n % 2]}/v1/matters`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `bench-cluster-${n}` },
          body: JSON.stringify({
            scenario: 'prepaid-card',
            county: '610124',
            subject: { name: `某健身房${n}号店`, kind: 'enterprise' },
            facts: { trade: 'sports', signal: 'complaint', amountYuan: 1000 + n },
          }),
        });
        if (res.status !== 201) throw new Error(`POST /v1/matters: ${res.status} ${await res.text()}`);
        ids.push(((await res.json()) as { matterId: string }).matterId);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const launched = performance.now() - t0;
  while ((await assignedAmong(ids)) < N) await new Promise((r) => setTimeout(r, 100));
  const done = performance.now() - t0;
  const sorted = latencies.sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const row = { label, launchesPerSecond: (N / launched) * 1000, assignedPerSecond: (N / done) * 1000, p50: q(0.5), p99: q(0.99) };
  log(
    `${label.padEnd(10)} launches ${row.launchesPerSecond.toFixed(1).padStart(6)} /s (p50 ${row.p50.toFixed(0)} ms, p99 ${row.p99.toFixed(0)} ms)   first task assigned for all ${row.assignedPerSecond.toFixed(1).padStart(6)} matters/s`,
  );
  return row;
}

try {
  log(`bench:cluster-workers  N=${N} rounds=${ROUNDS} concurrency=${C}  node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);
  await run('warm-up'); // connections, JIT, caches of both nodes
  const rows: Awaited<ReturnType<typeof run>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await cluster.workers[1]!.stop();
    rows.push(await run('1 worker'));
    await cluster.workers[1]!.restart();
    rows.push(await run('2 workers'));
  }
  const mean = (label: string, k: 'launchesPerSecond' | 'assignedPerSecond') => {
    const xs = rows.filter((x) => x.label === label).map((x) => x[k]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  for (const k of ['launchesPerSecond', 'assignedPerSecond'] as const) {
    log(
      `${k}: 1 worker ${mean('1 worker', k).toFixed(1)}, 2 workers ${mean('2 workers', k).toFixed(1)}: ratio ${(mean('2 workers', k) / mean('1 worker', k)).toFixed(2)}`,
    );
  }
} finally {
  await pool.end();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
