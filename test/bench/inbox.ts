/**
 * `npm run bench:inbox [-- N [TASKS]]`: the inbox (GET /v1/tasks) query at scale. Fills the task
 * read model of two databases on one embedded PostgreSQL with the same TASKS rows (default
 * 100,000: 100 counties of 10 cities × 25 departments, realistic states and deadlines): `before`
 * with the indexes of 0001 only, `after` with every migration. Then runs the real `listTasks` for
 * an officer, a county supervisor and a city supervisor, first page and the page after its cursor,
 * N times each (default 300), three ways interleaved call by call: `county LIKE 'prefix%'` on
 * `before` (the query as it was), divisionCondition on `before` (the range alone), and
 * divisionCondition on `after` (with 0020's order indexes). Prints p50/p99 per case and the
 * EXPLAIN (ANALYZE, BUFFERS) plan of each. A measurement, not a test: it asserts nothing, except
 * that the three answer the same rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import type { Pool, Queryable } from '../../db/pool.js';
import { listTasks, type TaskFilter } from '../../db/tasks.js';
import { visibleCountyPrefix } from '../../db/visibility.js';
import { departmentNames } from '../../domain/departments.js';
import { taskScope, type Principal } from '../../domain/principal.js';
import { freePort, startEmbeddedPostgres } from '../../scripts/dev-stack.js';

const N = Number(process.argv[2] ?? 300);
const TASKS = Number(process.argv[3] ?? 100_000);
const PAGE = 50;

const log = (m: string) => process.stdout.write(`${m}\n`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-inbox-'));
const departments = Object.keys(departmentNames);

/**
 * TASKS rows: county i % 100 (cities 6101…6110, counties xxxx01…xxxx10), department (i / 100) % 25;
 * 60% closed (completed, returned, cancelled, reassigned) with deadlines in the past, 40% open
 * (assigned, signed, submitted, rework) due within ±30 days, 5% without a deadline (provisional);
 * a task's view is a whole TaskView-sized jsonb (~0.7 kB), as the recorder writes it.
 */
async function fill(db: Queryable, base: string): Promise<void> {
  await db.query(
    `INSERT INTO tasks (task_id, matter_id, county, department, lead_department, scenario, title, state, due_at,
                        due_provisional, overdue, escalation_level, assigned_at, closed_at, last_seq, view)
     SELECT 'matter:' || c.county || ':2026-' || lpad((i / 5)::text, 6, '0') || '/task:' || d.department || ':' || i,
            'matter:' || c.county || ':2026-' || lpad((i / 5)::text, 6, '0'),
            c.county, d.department, 'market', 'self-built-housing', '自建房安全专项检查 第' || i || '号', s.state,
            CASE WHEN i % 20 = 0 THEN NULL WHEN s.open THEN $3::timestamptz + (r.d % 61 - 30) * interval '1 day' + (r.m % 1440) * interval '1 minute'
                 ELSE $3::timestamptz - (30 + r.d % 300) * interval '1 day' - (r.m % 1440) * interval '1 minute' END,
            i % 20 = 0, s.open AND r.d % 61 < 30, CASE WHEN s.open AND r.d % 61 < 30 THEN r.d % 3 ELSE 0 END,
            $3::timestamptz - (30 + r.d % 365) * interval '1 day', CASE WHEN s.open THEN NULL ELSE $3::timestamptz - (r.d % 300) * interval '1 day' END, 3,
            jsonb_build_object('taskId', 'task:' || i, 'county', c.county, 'department', d.department, 'state', s.state,
                               'title', '自建房安全专项检查 第' || i || '号', 'leadDepartment', 'market', 'lastEventSeq', 3,
                               'instructions', repeat('按照排查清单逐项核查房屋结构安全、经营用途和消防通道。', 8))
       FROM generate_series(0, $1::int - 1) AS i
       -- Deadlines independent of the county and department (a hash of i, not i itself).
       CROSS JOIN LATERAL (SELECT abs(hashint4(i)) AS d, abs(hashint4(i + 7919)) AS m) r
       CROSS JOIN LATERAL (SELECT '61' || lpad((1 + (i % 100) / 10)::text, 2, '0') || lpad((1 + i % 10)::text, 2, '0') AS county) c
       CROSS JOIN LATERAL (SELECT ($2::text[])[1 + (i / 100) % 25] AS department) d
       CROSS JOIN LATERAL (SELECT (ARRAY['completed','completed','completed','completed','completed','returned','cancelled','reassigned',
                                         'completed','completed','completed','completed','assigned','assigned','assigned','signed','signed','signed',
                                         'submitted','rework'])[1 + abs(hashint4(i + 104729)) % 20] AS state) st
       CROSS JOIN LATERAL (SELECT st.state AS state, st.state IN ('assigned','signed','submitted','rework') AS open) s`,
    [TASKS, departments, base],
  );
  await db.query('VACUUM ANALYZE tasks');
}

const principal = (county: string, roles: Principal['roles'], department?: string): Principal => ({
  keyId: 'bench',
  county,
  roles,
  ...(department ? { department } : {}),
});

/** The filter GET /v1/tasks builds for `p` without query parameters (api/routes/tasks.ts). */
function inboxFilter(p: Principal): TaskFilter {
  return {
    countyPrefix: visibleCountyPrefix(p),
    ...(taskScope(p) === 'department' && p.department ? { department: p.department } : {}),
    limit: PAGE + 1,
  };
}

const cases = [
  { name: 'officer (610305 market)', p: principal('610305', ['officer'], 'market') },
  { name: 'county supervisor (610305)', p: principal('610305', ['supervisor']) },
  { name: 'city supervisor (610300)', p: principal('610300', ['supervisor']) },
];

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The plan of the query `listTasks` sends for `f`: the same call, EXPLAINed instead of run. */
async function explain(pool: Pool, f: TaskFilter): Promise<string> {
  let plan = '';
  // Only `query` is called; the cast stands for the rest of a pool the listing never touches.
  const explaining = {
    async query(sql: string, args: unknown[]) {
      const res = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, args);
      plan = res.rows.map((r) => r['QUERY PLAN']).join('\n');
      return { rows: [] };
    },
  } as unknown as Queryable;
  await listTasks(explaining, f);
  return plan;
}

/** What is compared, interleaved call by call: the query as it was, the range alone, and the range with its order indexes. */
const variants = [
  { key: 'before', label: "LIKE 'prefix%', indexes of 0001", db: 'before', like: true },
  { key: 'range', label: 'divisionCondition, indexes of 0001', db: 'before', like: false },
  { key: 'after', label: 'divisionCondition + 0020 order indexes', db: 'after', like: false },
] as const;

async function main() {
  const pgHandle = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), persistent: false });
  const admin = new pg.Client({ connectionString: pgHandle.url });
  await admin.connect();
  for (const name of ['before', 'after']) await admin.query(`CREATE DATABASE ${name}`);
  const collation = await admin.query<{ datcollate: string; datctype: string; datlocprovider: string }>(
    "SELECT datcollate, datctype, datlocprovider FROM pg_database WHERE datname = 'after'",
  );
  const version = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.end();
  const pools = {
    before: createPool({ DATABASE_URL: pgHandle.urlFor('before'), PG_POOL_MAX: 2, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 60000 }),
    after: createPool({ DATABASE_URL: pgHandle.urlFor('after'), PG_POOL_MAX: 2, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 60000 }),
  };
  try {
    const c = collation.rows[0]!;
    log(`PostgreSQL ${version.rows[0]!.server_version}, database collation ${c.datcollate} (ctype ${c.datctype}, provider ${c.datlocprovider})`);
    // One "now" for both databases: they hold the same rows, to the microsecond.
    const base = new Date().toISOString();
    for (const [name, pool] of Object.entries(pools)) {
      await migrate(pool);
      // The schema as it was before this change: the inbox index of 0001 only.
      if (name === 'before') await pool.query('DROP INDEX tasks_inbox_county_order, tasks_inbox_order');
      const t0 = performance.now();
      await fill(pool, base);
      const count = await pool.query<{ n: string }>('SELECT count(*) AS n FROM tasks');
      log(`${name}: ${count.rows[0]!.n} tasks inserted and analysed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }

    // Each case's first page, and the page after it (its cursor: the last row shown).
    const runs: { name: string; filter: TaskFilter }[] = [];
    for (const k of cases) {
      const first = inboxFilter(k.p);
      const rows = await listTasks(pools.after, first);
      const open = rows.filter((r) => !['completed', 'returned', 'cancelled', 'reassigned'].includes(r.view.state)).length;
      log(`${k.name}: ${rows.length - 1 >= PAGE ? 'a full page' : `${rows.length} rows`} (${open} open on the first page)`);
      runs.push({ name: `${k.name}, first page`, filter: first });
      if (rows.length > PAGE) runs.push({ name: `${k.name}, cursor page`, filter: { ...first, after: rows[PAGE - 1]!.cursor } });
      // Every variant answers the same rows: the benchmark compares like with like.
      for (const v of variants) {
        const other = await listTasks(pools[v.db], { ...first, divisionAsLike: v.like });
        if (JSON.stringify(other.map((r) => r.cursor)) !== JSON.stringify(rows.map((r) => r.cursor))) throw new Error(`${k.name}: ${v.key} answers other rows`);
      }
    }

    const timings = new Map<string, number[]>();
    const call = (v: (typeof variants)[number], f: TaskFilter) => listTasks(pools[v.db], { ...f, divisionAsLike: v.like });
    // Warm-up, then N rounds, each running every case every way, the variants' order rotating.
    for (const r of runs) for (let i = 0; i < 5; i++) for (const v of variants) await call(v, r.filter);
    for (let i = 0; i < N; i++) {
      for (const r of runs) {
        for (let j = 0; j < variants.length; j++) {
          const v = variants[(i + j) % variants.length]!;
          const s = performance.now();
          await call(v, r.filter);
          const key = `${r.name}|${v.key}`;
          timings.set(key, [...(timings.get(key) ?? []), performance.now() - s]);
        }
      }
    }

    log(`\n${N} calls per case and variant, one at a time, interleaved; ${PAGE} rows a page; p50 / p99 in ms\n`);
    log(`| case | ${variants.map((v) => v.label).join(' | ')} | p99 after / before |`);
    log(`|---|${variants.map(() => '---|').join('')}---|`);
    for (const r of runs) {
      const sorted = variants.map((v) => [...timings.get(`${r.name}|${v.key}`)!].sort((a, b) => a - b));
      const cells = sorted.map((t) => `${quantile(t, 0.5).toFixed(2)} / ${quantile(t, 0.99).toFixed(2)}`);
      log(`| ${r.name} | ${cells.join(' | ')} | ${(quantile(sorted[2]!, 0.99) / quantile(sorted[0]!, 0.99)).toFixed(3)} |`);
    }
    for (const r of runs) {
      for (const v of variants) {
        log(`\n### ${r.name}: ${v.label}\n`);
        log(await explain(pools[v.db], { ...r.filter, divisionAsLike: v.like }));
      }
    }
  } finally {
    await Promise.all(Object.values(pools).map((p) => p.end()));
    await pgHandle.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
