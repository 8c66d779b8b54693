/**
 * The worker's sticky cache is bounded by WORKER_MAX_CACHED_WORKFLOWS (domain/config.ts): the
 * worker the service runs (worker/worker.ts createWorker, real activities and database) never
 * holds more runs than the configured bound, evicted runs still answer and act (replayed from
 * history), and a worker left at the default keeps them all at this small size.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_MAX_CACHED_WORKFLOWS, loadConfig } from '../../domain/config.js';
import type { Principal } from '../../domain/principal.js';
import { departmentTask, getTaskQuery, signUpdate } from '../../workflows/department-task.js';
import { createWorker } from '../../worker/worker.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/eventually.js';
import { steadyClient, timeSkippingEnv, workflowBundle } from '../helpers/temporal.js';

const county = '610124';
const housing: Principal = { keyId: 'k-housing', county, department: 'housing', roles: ['officer'] };
let env: TestWorkflowEnvironment;
let db: TestDatabase;

beforeAll(async () => {
  [env, db] = await Promise.all([timeSkippingEnv(), freshDatabase()]);
});
afterAll(async () => {
  await env?.teardown();
  await db?.drop();
});

/** Runs `fn` while a worker made the service's way, with `env`'s configuration, serves a fresh queue. */
async function withServiceWorker<T>(environment: Record<string, string>, fn: (worker: Worker, taskQueue: string) => Promise<T>): Promise<T> {
  const config = loadConfig(environment);
  const taskQueue = `cache-${randomUUID()}`;
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    pool: db.pool,
    workflowBundle: await workflowBundle(),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  return worker.runUntil(() => fn(worker, taskQueue));
}

/** Starts `n` department tasks and waits until each has recorded its assignment in the read model. */
async function assignTasks(taskQueue: string, n: number): Promise<string[]> {
  const client = steadyClient(env);
  const ids = Array.from({ length: n }, (_, i) => `task:${county}:housing:cache-${i}-${randomUUID().slice(0, 8)}`);
  for (const workflowId of ids) {
    await client.workflow.start(departmentTask, {
      taskQueue,
      workflowId,
      args: [{ county, department: 'housing', title: `任务${workflowId}`, instructions: '' }],
    });
  }
  await eventually(
    async () => {
      const res = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM timeline_events WHERE workflow_id = ANY($1) AND type = 'assigned'", [ids]);
      return res.rows[0]!.n === n;
    },
    { timeoutMs: 30_000, message: `${n} tasks to record their assignment` },
  );
  return ids;
}

describe('the worker cache bound', () => {
  test('WORKER_MAX_CACHED_WORKFLOWS=2: at most two runs cached, the evicted ones still answer and act', async () => {
    await withServiceWorker({ WORKER_MAX_CACHED_WORKFLOWS: '2' }, async (worker, taskQueue) => {
      expect(worker.options.maxCachedWorkflows).toBe(2);
      const seen: number[] = [];
      const sample = setInterval(() => seen.push(worker.getStatus().numCachedWorkflows), 5);
      try {
        const ids = await assignTasks(taskQueue, 6);
        const client = steadyClient(env);
        // The first task was evicted long ago: the worker replays it to answer and to sign.
        const signed = await client.workflow.getHandle(ids[0]!).executeUpdate(signUpdate, { args: [{ actor: housing }] });
        expect(signed.state).toBe('signed');
        for (const id of ids.slice(1)) expect((await client.workflow.getHandle(id).query(getTaskQuery)).state).toBe('assigned');
      } finally {
        clearInterval(sample);
      }
      seen.push(worker.getStatus().numCachedWorkflows);
      expect(Math.max(...seen)).toBe(2);
    });
  });

  test('unset: the documented default, which holds these few runs all', async () => {
    await withServiceWorker({}, async (worker, taskQueue) => {
      expect(worker.options.maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
      await assignTasks(taskQueue, 6);
      expect(worker.getStatus().numCachedWorkflows).toBe(6);
    });
  });
});
