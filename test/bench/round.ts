/**
 * A round over a county-sized registry (issue 14 §6): 100,000 subjects and 500 inspectors, ratios
 * set so that about 2,000 subjects are drawn, each launched as a jointInspection. Real parts: the
 * Temporal CLI dev server (SQLite file), embedded PostgreSQL, the worker as deployed, in this
 * process (its RSS is the worker's). Run: `npm run bench:round` (or `-- <subjects> <inspectors>`).
 * Prints the time of each step from the round's own records (seed → snapshot → draw → launched),
 * launch throughput, the round's history length, and the worker's peak RSS. Asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { freePort, startTemporalDevServer } from '../../scripts/dev-stack.js';
import { inspectionRound } from '../../workflows/inspection-round.js';
import { bundleWorkflows, createWorker } from '../../worker/worker.js';
import { insertItem, insertPlan } from '../helpers/plans.js';
import { benchDatabase } from './kit.js';

const SUBJECTS = Number(process.argv[2] ?? 100_000);
const INSPECTORS = Number(process.argv[3] ?? 500);
const county = '610124';
const DEPARTMENTS = ['market', 'commerce', 'emergency', 'transport', 'ecology'];

Runtime.install({ logger: new DefaultLogger('ERROR') });
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-round-'));
const log = (m: string) => process.stdout.write(`${m}\n`);
const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

async function main() {
  const { pgHandle, pool } = await benchDatabase(dir, { statementTimeoutMs: 60_000 });

  // The registry: grades A 30% / B 40% / C 20% / D 10% (by the subject's number), two market
  // and commerce teams per subject drawn from 500 inspectors of five departments.
  await pool.query(
    `INSERT INTO subjects (subject_id, county, kind, match_key, name, township, trade, tags, credit_grade, registered_at, updated_at)
     SELECT 's-' || lpad(to_hex(n), 32, '0'), $1, 'enterprise', 'bench:' || n, '企业' || n, $1 || '100', 'catering', '{}',
            CASE WHEN n % 10 < 3 THEN 'A' WHEN n % 10 < 7 THEN 'B' WHEN n % 10 < 9 THEN 'C' ELSE 'D' END, now(), now()
       FROM generate_series(1, $2) AS n`,
    [county, SUBJECTS],
  );
  await pool.query(
    `INSERT INTO inspectors (inspector_id, county, department, name, certificate_no, active, updated_by)
     SELECT 'i-' || lpad(n::text, 4, '0'), $1, ($3::text[])[1 + n % 5], '检查员' || n, 'ZF-' || n, true, 'bench' FROM generate_series(0, $2 - 1) AS n`,
    [county, INSPECTORS, DEPARTMENTS],
  );
  await insertItem(pool, { county, itemId: 'food-safety', lead: 'market', cooperating: ['commerce'] });
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const year = Number(today.slice(0, 4));
  const planId = `plan:${county}:${year}-0001`;
  // 30,000 × 0.005 + 40,000 × 0.01 + 20,000 × 0.03 + 10,000 × 0.085 = 150 + 400 + 600 + 850 = 2,000.
  const ratios = { A: 0.005, B: 0.01, C: 0.03, D: 0.085 };
  await insertPlan(pool, {
    planId,
    county,
    year,
    name: '基准计划',
    lead: 'market',
    cooperating: ['commerce'],
    items: ['food-safety'],
    target: {},
    ratios,
    frequency: 'once',
    window: { from: today, to: `${year}-12-31` },
  });

  const temporal = await startTemporalDevServer({ port: await freePort(), dbFile: path.join(dir, 'temporal.db') });
  const native = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, pool, workflowBundle: await bundleWorkflows() });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });

  let peakRss = process.memoryUsage().rss;
  const baseRss = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const roundId = `${planId}/round:1`;
  const t0 = Date.now();
  const h = await client.workflow.start(inspectionRound, { taskQueue, workflowId: roundId, args: [{ planId, requestedBy: 'bench' }] });
  for (;;) {
    const r = (await pool.query("SELECT state FROM rounds WHERE round_id = $1 AND state = 'launched'", [roundId])).rows[0];
    if (r) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const wall = Date.now() - t0;
  clearInterval(sampler);
  const r = (
    await pool.query(
      `SELECT seeded_at, snapshot_at, drawn_at, launched_at, pg_column_size(snapshot) AS snapshot_bytes, jsonb_array_length(result->'subjects') AS drawn
         FROM rounds WHERE round_id = $1`,
      [roundId],
    )
  ).rows[0];
  const launched = (await pool.query("SELECT count(*)::int AS n FROM round_launches WHERE round_id = $1 AND kind = 'started' AND delivered", [roundId])).rows[0]
    .n;
  const events = (await h.fetchHistory()).events?.length ?? 0;
  const ms = (a: Date, b: Date) => b.getTime() - a.getTime();
  log(`registry: ${SUBJECTS} subjects, ${INSPECTORS} inspectors; drawn ${r.drawn}, inspections started ${launched}`);
  log(`seed → snapshot stored: ${ms(r.seeded_at, r.snapshot_at)} ms (snapshot ${mib(r.snapshot_bytes)} as jsonb)`);
  log(`snapshot → draw stored: ${ms(r.snapshot_at, r.drawn_at)} ms`);
  log(`draw → all launched: ${ms(r.drawn_at, r.launched_at)} ms (${((launched / ms(r.drawn_at, r.launched_at)) * 1000).toFixed(1)} inspections/s)`);
  log(`start → launched (wall): ${wall} ms; round history: ${events} events`);
  log(`worker RSS: ${mib(baseRss)} before, ${mib(peakRss)} peak`);

  await h.terminate('benchmark done');
  worker.shutdown();
  await running;
  await pool.end();
  await temporal.stop();
  await pgHandle.stop();
  rmSync(dir, { recursive: true, force: true });
}

await main();
