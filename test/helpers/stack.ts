/**
 * The end-to-end stack of a test file, real parts only: a Temporal CLI dev server on a free port,
 * a fresh PostgreSQL database, the worker as deployed (`createWorker`), the API listening on
 * 127.0.0.1, a client connection, and API keys; driven through HTTP with `call`. Payloads are
 * encrypted as in production (the tests' keys): a client of the stack's server needs `dataConverter`.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createKey, type NewKey } from '../../db/keys.js';
import { testConfig } from './config.js';
import { freePort, startTemporalDevServer, type TemporalHandle } from '../../scripts/dev-stack.js';
import { bundleWorkflows, createWorker } from '../../worker/worker.js';
import type { Tracing } from '../../worker/tracing.js';
import { apiClientInterceptors } from '../../api/temporal.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { payloadKeysFor } from '../../domain/payload-keys.js';
import type { DataConverter } from '@temporalio/common';
import { freshDatabase, type TestDatabase } from './db.js';
import { liveView, type Unset } from './live.js';
import { captureRuntimeLogs, quietRuntime, workflowBundle } from './temporal.js';

export interface StackOptions {
  /** Prefix of the task queue name (`<queue>-<uuid>`). */
  queue: string;
  /** Extra `temporal server start-dev` arguments (e.g. dynamic config). */
  devServerArgs?: string[];
  /**
   * Start the API (listening) and a worker for the whole file (default). `false`: only the server,
   * the database and the connections; the file runs its own workers with `startWorker`.
   */
  api?: boolean;
  /**
   * Keep every log line of the API (at `trace`, as production would write it) and of the SDK (the
   * worker, activities, workflows; DEBUG up) in this array, for tests of what reaches the logs.
   */
  logs?: string[];
  /** API keys to issue once the API listens, by name, in this order. */
  keys?: Record<string, NewKey>;
  /**
   * Start the dev server's Web UI too, its codec endpoint the stack's API (`/v1/codec`, CORS open
   * to the UI's origin), as `npm start` does: `temporal.uiUrl` is its address.
   */
  ui?: boolean;
  /**
   * Trace as production does with an OTLP endpoint set (worker/tracing.ts): the API's request
   * spans and client interceptor, the worker's activity interceptor and sink, and a bundle with
   * the workflow interceptors. Read when the stack starts (a getter may return what beforeAll made).
   */
  tracing?: () => Tracing;
}

export interface StackResponse {
  status: number;
  body: Record<string, any>;
}

/** Live view of the stack: read its properties inside hooks and tests, not at import time. */
export interface Stack {
  readonly db: TestDatabase;
  readonly temporal: TemporalHandle;
  readonly connection: Connection;
  readonly nativeConnection: NativeConnection;
  /** A client of the stack's namespace, with the payload codec. */
  readonly client: Client;
  /** The payload codec every client and worker of the stack uses. */
  readonly dataConverter: DataConverter;
  readonly taskQueue: string;
  /** `http://127.0.0.1:<port>` of the API (`api` stacks only). */
  readonly base: string;
  /** The issued keys, by name; a test may add more. */
  readonly keys: Record<string, string>;
  /**
   * HTTP to the API as `who` (a name in `keys`; no Authorization header when undefined). JSON
   * in (when `body` is given) and out.
   */
  call(who: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<StackResponse>;
  /** A worker on the stack's queue, running until `worker.shutdown()`; await `done` after that. */
  startWorker(): Promise<{ worker: Worker; done: Promise<void> }>;
}

/** Registers the file's `beforeAll` (3 minutes: the dev server may be slow to start) and `afterAll`. */
export function useStack(opts: StackOptions): Stack {
  const api = opts.api ?? true;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let app: FastifyInstance | undefined;

  let tracedBundle: ReturnType<typeof bundleWorkflows> | undefined;
  const config = testConfig();
  const dataConverter = payloadDataConverter(payloadKeysFor(config));
  const newWorker = async () =>
    createWorker({
      connection: view.nativeConnection,
      namespace: 'default',
      taskQueue: view.taskQueue,
      pool: view.db.pool,
      workflowBundle: opts.tracing ? await (tracedBundle ??= bundleWorkflows({ tracing: true })) : await workflowBundle(),
      dataConverter,
      ...(opts.tracing ? { tracing: opts.tracing() } : {}),
    });

  const state: Unset<Stack> = {
    db: undefined,
    temporal: undefined,
    connection: undefined,
    nativeConnection: undefined,
    client: undefined,
    dataConverter,
    base: undefined,
    taskQueue: `${opts.queue}-${randomUUID()}`,
    keys: {},
    async call(who, method, path, body, headers = {}) {
      const res = await fetch(`${view.base}${path}`, {
        method,
        headers: { ...(who ? { authorization: `Bearer ${view.keys[who]}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },
    async startWorker() {
      const w = await newWorker();
      return { worker: w, done: w.run() };
    },
  };
  const view = liveView(state, 'useStack');

  beforeAll(async () => {
    if (opts.logs) captureRuntimeLogs(opts.logs);
    quietRuntime();
    // With the UI, the API's port is chosen first: the dev server is told its codec endpoint.
    const [uiPort, apiPort] = opts.ui ? [await freePort(), await freePort()] : [undefined, 0];
    if (uiPort) config.CODEC_CORS_ORIGINS = [`http://localhost:${uiPort}`];
    const [db, temporal] = await Promise.all([
      freshDatabase(),
      freePort().then((port) =>
        startTemporalDevServer({
          port,
          ...(opts.devServerArgs ? { extraArgs: opts.devServerArgs } : {}),
          ...(uiPort ? { uiPort, uiCodecEndpoint: `http://127.0.0.1:${apiPort}/v1/codec` } : {}),
        }),
      ),
    ]);
    Object.assign(state, { db, temporal });
    state.nativeConnection = await NativeConnection.connect({ address: temporal.address });
    if (api) {
      worker = await newWorker();
      workerRun = worker.run();
    }
    const connection = await Connection.connect({ address: temporal.address });
    Object.assign(state, { connection, client: new Client({ connection, dataConverter }) });
    if (api) {
      app = await buildApp({
        config: { ...config, TEMPORAL_TASK_QUEUE: view.taskQueue, ...(opts.logs ? { LOG_LEVEL: 'trace' as const } : {}) },
        pool: db.pool,
        temporal: new Client({ connection, dataConverter, ...apiClientInterceptors(opts.tracing?.()) }),
        ...(opts.tracing ? { tracer: opts.tracing().tracer } : {}),
        ...(opts.logs ? { logStream: { write: (line: string) => void opts.logs!.push(line) } } : { logger: false }),
      });
      await app.listen({ host: '127.0.0.1', port: apiPort });
      state.base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    }
    for (const [name, k] of Object.entries(opts.keys ?? {})) {
      view.keys[name] = (await createKey(db.pool, k)).key;
    }
  }, 180_000);

  // Reverse order of setup: stop taking requests, drain the worker, close the connections, then
  // stop the server and drop the database.
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await workerRun;
    await state.nativeConnection?.close();
    await state.connection?.close();
    await state.temporal?.stop();
    await state.db?.drop();
  });

  return view;
}
