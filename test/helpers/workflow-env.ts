/**
 * The per-file setup of the workflow tests (and the API tests that need a live worker): the
 * time-skipping test server, a fresh database, and a Worker running the real workflows (shared
 * bundle) and activities on a queue of the file's own. Optionally the Fastify app (driven with
 * `inject`) and API keys.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { buildApp } from '../../api/app.js';
import { createKey, type NewKey } from '../../db/keys.js';
import { testConfig } from './config.js';
import { freshDatabase, type TestDatabase } from './db.js';
import { liveView, type Unset } from './live.js';
import { steadyClient, timeSkippingEnv, workflowBundle } from './temporal.js';

export interface WorkflowEnvOptions<K extends string = never> {
  /** Prefix of the task queue name (`<queue>-<uuid>`), so a queue in the server tells its file. */
  queue: string;
  /**
   * `file` (default): one Worker for the whole file, started in `beforeAll`.
   * `test`: no file worker; each test wraps its work in `withWorker`, which runs a Worker on a
   * fresh queue only for that call.
   */
  worker?: 'file' | 'test';
  /** Build the API (`buildApp`, no port) on the file's queue after the worker starts; closed first. */
  app?: boolean;
  /** API keys to issue once the app is built, by name, in this order. */
  keys?: Record<K, NewKey>;
}

/** Live view of the file's parts: read its properties inside hooks and tests, not at import time. */
export interface WorkflowEnv<K extends string = never> {
  readonly env: TestWorkflowEnvironment;
  readonly db: TestDatabase;
  /** The file worker's queue; with `worker: 'test'`, the queue of the latest `withWorker`. */
  readonly taskQueue: string;
  readonly client: Client;
  /** Only with `app: true`. */
  readonly app: FastifyInstance;
  /** The issued keys (`isk_…`), by name. */
  readonly keys: Record<K, string>;
  /** `worker: 'test'` only: runs `fn` while a Worker serves a fresh queue (`taskQueue`). */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
}

/** Registers the file's `beforeAll`/`afterAll`; call it at the top level of a test file. */
export function useWorkflowEnv<K extends string = never>(opts: WorkflowEnvOptions<K>): WorkflowEnv<K> {
  const mode = opts.worker ?? 'file';
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  const createWorker = async (taskQueue: string) =>
    Worker.create({
      connection: view.env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ pool: view.db.pool }),
    });

  const state: Unset<WorkflowEnv<K>> = {
    env: undefined,
    db: undefined,
    client: undefined,
    app: undefined,
    taskQueue: mode === 'file' ? `${opts.queue}-${randomUUID()}` : '',
    keys: {} as Record<K, string>,
    async withWorker(fn) {
      if (mode !== 'test') throw new Error("withWorker needs useWorkflowEnv({ worker: 'test' })");
      state.taskQueue = `${opts.queue}-${randomUUID()}`;
      const w = await createWorker(state.taskQueue);
      return w.runUntil(fn);
    },
  };
  const view = liveView(state, 'useWorkflowEnv');

  beforeAll(async () => {
    const [env, db] = await Promise.all([timeSkippingEnv(), freshDatabase()]);
    const client = steadyClient(env); // time moves only in env.sleep (see steadyClient)
    Object.assign(state, { env, db, client });
    if (mode === 'file') {
      worker = await createWorker(view.taskQueue);
      running = worker.run();
    }
    if (opts.app) {
      state.app = await buildApp({ config: { ...testConfig(), TEMPORAL_TASK_QUEUE: view.taskQueue }, pool: db.pool, temporal: client, logger: false });
    }
    for (const [name, k] of Object.entries(opts.keys ?? {}) as [K, NewKey][]) {
      view.keys[name] = (await createKey(db.pool, k)).key;
    }
  });
  // Reverse order of setup: the app stops taking requests, the worker drains, then the server
  // and the database go (dropping it earlier would fail activities still in flight).
  afterAll(async () => {
    await state.app?.close();
    worker?.shutdown();
    await running;
    await state.env?.teardown();
    await state.db?.drop();
  });

  return view;
}

/** The timeline entry types a workflow recorded, in order. */
export const timelineTypes = async (db: TestDatabase, id: string) =>
  (await db.pool.query<{ type: string }>('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [id])).rows.map((r) => r.type);

/** An Update's outcome as a word: `accepted`, or the type of the ApplicationFailure its validator or handler refused it with. */
export const updateRefusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as { type?: string }).type : String(e)),
  );
