/**
 * The cluster tier (`npm run test:cluster`, README "The production topology"): the topology of
 * docker-compose.yml on this machine (scripts/cluster.ts: the real Temporal server, two nodes in
 * one cluster on PostgreSQL, two workers, two API replicas). 200 prepaid-card matters are launched
 * through the two replicas alternately and the first task of each (分办, commerce) is signed,
 * submitted and accepted, while one Temporal server process, one worker and one API replica are
 * killed with SIGKILL and restarted. A request refused because a replica or its node died is
 * retried by the client with the same Idempotency-Key on the other replica (the API's contract).
 * Afterwards: every accepted action is applied, all 200 matters moved on to their next step, and
 * PostgreSQL holds no duplicated timeline row, audit entry or notification.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKey } from '../../db/keys.js';
import { createPool, type Pool } from '../../db/pool.js';
import { freeBasePort, startCluster, type Cluster, type ClusterProcess } from '../../scripts/cluster.js';
import { eventually } from '../helpers/eventually.js';

const N = 200;
/** Requests in flight: a county's operators and officers at work, on a 2-core machine. */
const C = 8;
const county = '610124';

const say = (m: string) => process.stdout.write(`[cluster] ${m}\n`);
// The request-rate buckets are out of reach: the test measures survival, not the limiter.
const unlimited = Object.fromEntries(
  ['IP', 'KEY', 'PUBLIC', 'START'].flatMap((k) => [
    [`RATE_LIMIT_${k}_BURST`, '1000000'],
    [`RATE_LIMIT_${k}_PER_MINUTE`, '10000000'],
  ]),
);

let cluster: Cluster;
let pool: Pool;
let dir: string;
let passed = false;
const keys: Record<string, string> = {};
const t0 = Date.now();

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'isv-cluster-'));
  cluster = await startCluster({ dir, basePort: await freeBasePort(), persistent: false, appEnv: { ...unlimited, LOG_LEVEL: 'warn' }, log: say });
  say(`cluster up in ${Math.round((Date.now() - t0) / 1000)} s; logs in ${cluster.logDir}`);
  pool = createPool({ DATABASE_URL: cluster.ownerUrl, PG_POOL_MAX: 2, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
  keys.operator = (await createKey(pool, { county, roles: ['operator'] })).key;
  keys.supervisor = (await createKey(pool, { county, roles: ['supervisor'] })).key;
  keys.commerce = (await createKey(pool, { county, department: 'commerce', roles: ['officer'] })).key;
}, 30 * 60_000);

afterAll(async () => {
  await pool?.end();
  await cluster?.stop();
  // A failed run keeps every process's log for the post-mortem.
  if (passed) rmSync(dir, { recursive: true, force: true });
  else if (dir) say(`kept ${dir} (logs of every process)`);
});

interface Answer {
  status: number;
  body: Record<string, any>;
}

/** Requests that had to be sent again, by why. */
const retried: Record<string, number> = {};

/**
 * A client of the two replicas: sends to replica `prefer`; when the replica does not answer or
 * answers 5xx (it died, or its Temporal node did), sends the same request with the same
 * Idempotency-Key to the next replica, for up to three minutes. A 4xx is an answer.
 */
async function send(who: string, method: string, route: string, prefer: number, opts: { body?: unknown; idempotencyKey?: string } = {}): Promise<Answer> {
  const deadline = Date.now() + 180_000;
  let last = '';
  for (let attempt = 0; ; attempt++) {
    const base = cluster.apiUrls[(prefer + attempt) % cluster.apiUrls.length]!;
    try {
      const res = await fetch(`${base}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${keys[who]}`,
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
          ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
        },
        ...(opts.body ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, any>;
      if (res.status < 500) return { status: res.status, body };
      last = `${res.status} ${body.code ?? ''}`;
    } catch (err) {
      last = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    }
    retried[last] = (retried[last] ?? 0) + 1;
    if (Date.now() > deadline) throw new Error(`${method} ${route}: no replica answered within 3 minutes (last: ${last})`);
    // A client's back-off before the next replica; a refusal right after a crash is expected.
    await new Promise((r) => setTimeout(r, 250));
  }
}

const progress = { launched: 0, worked: 0 };
/** Every 2xx answer to an action, by matter: what must be applied. */
const accepted: { matterId: string; taskId: string; action: string }[] = [];
const crashes: { process: string; at: string; pidBefore: number | undefined; pidAfter: number | undefined; downMs: number }[] = [];

async function oneMatter(i: number): Promise<string> {
  const prefer = i % 2;
  const launched = await send('operator', 'POST', '/v1/matters', prefer, {
    idempotencyKey: `cluster-launch-${i}`,
    body: {
      scenario: 'prepaid-card',
      county,
      subject: { name: `某健身房${i}号店`, kind: 'enterprise' },
      facts: { trade: 'sports', signal: 'complaint', amountYuan: 1000 + i },
    },
  });
  expect([200, 201], JSON.stringify(launched.body)).toContain(launched.status);
  const matterId = launched.body.matterId as string;
  progress.launched++;
  const triage = await eventually(
    async () => {
      const detail = await send('supervisor', 'GET', `/v1/matters/${matterId}`, prefer);
      expect(detail.status, JSON.stringify(detail.body)).toBe(200);
      return (detail.body.tasks as { taskId: string; key: string; state: string }[]).find((t) => t.key === 'triage' && t.state === 'assigned');
    },
    { timeoutMs: 180_000, intervalMs: 250, message: `the triage task of ${matterId}` },
  );
  // The actions go to the other replica than the launch did.
  const act = async (who: string, action: string, body?: unknown) => {
    const answer = await send(who, 'POST', `/v1/tasks/${triage.taskId}/${action}`, prefer + 1, { idempotencyKey: `cluster-${action}-${i}`, body });
    expect(answer.status, `${action} ${triage.taskId}: ${JSON.stringify(answer.body)}`).toBe(200);
    accepted.push({ matterId, taskId: triage.taskId, action });
    return answer.body;
  };
  await act('commerce', 'sign');
  await act('commerce', 'submit', { summary: '分办：转体育局', outcome: 'assigned' });
  expect((await act('supervisor', 'review', { decision: 'accept', comment: '同意' })).state).toBe('completed');
  progress.worked++;
  return matterId;
}

/** Kills `p` once `when` holds, restarts it once `back` holds (both on the run's progress). */
async function crash(p: ClusterProcess, when: () => boolean, back: () => boolean, at: string) {
  await eventually(when, { timeoutMs: 20 * 60_000, intervalMs: 50, message: `the moment to kill ${p.name} (${at})` });
  const pidBefore = p.pid;
  const down = Date.now();
  await p.kill9();
  say(`kill -9 ${p.name} (pid ${pidBefore}) at ${at}: ${JSON.stringify(progress)}`);
  await eventually(back, { timeoutMs: 20 * 60_000, intervalMs: 50, message: `the moment to restart ${p.name}` });
  await p.restart();
  crashes.push({ process: p.name, at, pidBefore, pidAfter: p.pid, downMs: Date.now() - down });
  say(`restarted ${p.name} (pid ${p.pid}) after ${Date.now() - down} ms: ${JSON.stringify(progress)}`);
}

describe('the production topology under crashes', () => {
  test(
    `${N} matters launched and their first task worked through two API replicas while a Temporal node, a worker and an API replica are killed -9 and restarted`,
    async () => {
      const started = Date.now();
      const matterIds: string[] = [];
      let next = 0;
      const load = Promise.all(
        Array.from({ length: C }, async () => {
          for (let i = next++; i < N; i = next++) matterIds.push(await oneMatter(i));
        }),
      );
      const [node, worker, api] = [cluster.temporalNodes[1]!, cluster.workers[0]!, cluster.apis[0]!];
      // One after another, each while the load runs: a node (its shards move to the other one),
      // a worker (its workflow and activity tasks go to the other one), an API replica.
      const chaos = (async () => {
        await crash(
          node,
          () => progress.launched >= 25,
          () => progress.launched >= 60,
          '25 launched',
        );
        await crash(
          worker,
          () => progress.worked >= 70,
          () => progress.worked >= 95,
          '70 worked',
        );
        await crash(
          api,
          () => progress.worked >= 120,
          () => progress.worked >= 140,
          '120 worked',
        );
      })();
      await Promise.all([load, chaos]);
      const loadSeconds = (Date.now() - started) / 1000;
      say(`${N} matters launched and worked in ${loadSeconds.toFixed(0)} s; retried requests by cause: ${JSON.stringify(retried)}`);
      say(`crashes: ${JSON.stringify(crashes)}`);

      // Each process really crashed while work was going on, and came back as a new process.
      expect(crashes.map((c) => c.process)).toEqual([node.name, worker.name, api.name]);
      for (const c of crashes) expect(c.pidAfter).not.toBe(c.pidBefore);

      // 200 matters, one each: a launch retried with its key never started a second one.
      expect(new Set(matterIds).size).toBe(N);
      const matters = await pool.query<{ n: string }>('SELECT count(*) AS n FROM matters');
      expect(Number(matters.rows[0]!.n)).toBe(N);

      // Every accepted action is applied, once: each triage task's timeline is exactly its four events.
      expect(accepted).toHaveLength(3 * N);
      // The API's task ids are the workflow ids with `/` written `~` (domain/ids.ts).
      const taskIds = [...new Set(accepted.map((a) => a.taskId.replaceAll('~', '/')))];
      expect(taskIds).toHaveLength(N);
      const timelines = await pool.query<{ workflow_id: string; types: string[] }>(
        'SELECT workflow_id, array_agg(type ORDER BY seq) AS types FROM timeline_events WHERE workflow_id = ANY($1) GROUP BY 1',
        [taskIds],
      );
      expect(timelines.rows).toHaveLength(N);
      const shapes = new Set(timelines.rows.map((r) => r.types.join(',')));
      expect([...shapes]).toEqual(['assigned,signed,submitted,completed']);

      // All 200 matters moved on: commerce's triage completed, the sports bureau's acceptance assigned.
      const expected = { 'stage acceptance': N, 'commerce completed': N, 'sports assigned': N };
      let counts: Record<string, number> = {};
      await eventually(
        async () => {
          const stages = await pool.query<{ stage: string; n: string }>('SELECT stage, count(*) AS n FROM matters GROUP BY 1');
          const tasks = await pool.query<{ department: string; state: string; n: string }>('SELECT department, state, count(*) AS n FROM tasks GROUP BY 1, 2');
          counts = {
            ...Object.fromEntries(stages.rows.map((x) => [`stage ${x.stage}`, Number(x.n)])),
            ...Object.fromEntries(tasks.rows.map((x) => [`${x.department} ${x.state}`, Number(x.n)])),
          };
          return isDeepStrictEqual(counts, expected);
        },
        { timeoutMs: 180_000, intervalMs: 500, message: () => `${JSON.stringify(expected)}; last ${JSON.stringify(counts)}` },
      );

      // No duplicated timeline row, audit entry or notification, counted by what identifies them.
      const duplicates = async (sql: string) => (await pool.query(sql)).rows;
      expect(
        await duplicates(
          `SELECT workflow_id, type, count(*) FROM timeline_events WHERE workflow_id IN (SELECT task_id FROM tasks) GROUP BY 1, 2 HAVING count(*) > 1`,
        ),
      ).toEqual([]);
      expect(await duplicates(`SELECT workflow_id, data, count(*) FROM timeline_events GROUP BY 1, 2, type HAVING count(*) > 1`)).toEqual([]);
      expect(await duplicates(`SELECT object_id, action, details, count(*) FROM audit_log GROUP BY 1, 2, 3 HAVING count(*) > 1`)).toEqual([]);
      expect(await duplicates(`SELECT object_id, kind, department, role, count(*) FROM notifications GROUP BY 1, 2, 3, 4 HAVING count(*) > 1`)).toEqual([]);
      // And the counts are what the work produced: one audit entry per accepted action.
      const audited = await pool.query<{ action: string; n: string }>(
        `SELECT action, count(*) AS n FROM audit_log WHERE object_id = ANY($1) GROUP BY 1 ORDER BY 1`,
        [taskIds],
      );
      say(`audit entries of the triage tasks by action: ${JSON.stringify(Object.fromEntries(audited.rows.map((r) => [r.action, Number(r.n)])))}`);
      for (const r of audited.rows) expect(Number(r.n), r.action).toBe(N);
      say(`the whole tier took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      passed = true;
    },
    40 * 60_000,
  );
});
