/**
 * Real parts for API tests: the Fastify app (driven with `inject`, no port), a fresh PostgreSQL
 * database, the Temporal time-skipping test server and a Worker running the real workflows and
 * activities on a queue of its own. Nothing is mocked.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort, startTemporalDevServer } from '../../scripts/dev-stack.js';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities/index.js';
import { buildApp } from '../../api/app.js';
import { createKey } from '../../db/keys.js';
import type { Config } from '../../domain/config.js';
import { testConfig } from './config.js';
import type { Role } from '../../domain/principal.js';
import { freshDatabase, type TestDatabase } from './db.js';
import { timeSkippingEnv, workflowBundle } from './temporal.js';

/** The callers every API test needs, by name. */
export const principals = {
  operator: { county: '610124', roles: ['operator'] },
  supervisor: { county: '610124', roles: ['supervisor'] },
  housing: { county: '610124', department: 'housing', roles: ['officer'] },
  market: { county: '610124', department: 'market', roles: ['officer'] },
  commerce: { county: '610124', department: 'commerce', roles: ['officer'] },
  otherCountyHousing: { county: '610122', department: 'housing', roles: ['officer'] },
  citySupervisor: { county: '610100', roles: ['supervisor'] },
} as const satisfies Record<string, { county: string; department?: string; roles: readonly Role[] }>;
export type Caller = keyof typeof principals;

/** Well-formed (`isk_<id>_<secret>`) but never issued. */
export const unknownKey = 'isk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: T;
  text: string;
}

export interface CallOptions {
  /** Who calls: a named principal, a raw `Authorization` value (`{ authorization }`), or null for none. */
  as?: Caller | { authorization: string } | null;
  body?: unknown;
  /** Sent as is (e.g. malformed JSON); wins over `body`. */
  payload?: string;
  headers?: Record<string, string>;
}

export interface ApiHarness {
  app: FastifyInstance;
  db: TestDatabase;
  env: TestWorkflowEnvironment;
  config: Config;
  keys: Record<Caller, string>;
  /** Every error body (status >= 400) any call produced, as text: checked for leaked internals. */
  errorBodies: string[];
  call<T = any>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts?: CallOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/**
 * The one way tests send a request to the app in process: `authorization` as given (none when
 * undefined), a body sent as JSON (JSON.stringify writes NUL as \u0000 and a lone surrogate as
 * \ud800: the server parses them back) or a raw payload, and the answer parsed when it is JSON.
 */
export async function inject<T = any>(
  app: FastifyInstance,
  authorization: string | undefined,
  method: string,
  url: string,
  opts: Omit<CallOptions, 'as'> = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(authorization ? { authorization } : {}), ...opts.headers };
  let payload: string | undefined = opts.payload;
  if (payload === undefined && opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
  let body: unknown;
  try {
    body = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: body as T, text: res.body };
}

/** A `call(who, method, url, body?, headers?)` for a test file's own principals and keys. */
export const callerOf =
  <W extends string>(app: () => FastifyInstance, keys: () => Record<W, string>) =>
  (who: W | null, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    inject(app(), who === null ? undefined : `Bearer ${keys()[who]}`, method, url, { ...(body !== undefined ? { body } : {}), headers });

/**
 * `server: 'dev'` runs the app against a Temporal CLI dev server instead of the time-skipping test
 * server, for routes that use what the test server lacks (Schedules: a plan's rounds).
 */
export async function startApiHarness(opts: { server?: 'time-skipping' | 'dev' } = {}): Promise<ApiHarness> {
  const devServer = opts.server === 'dev' ? await startTemporalDevServer({ port: await freePort() }) : undefined;
  const [env, db] = await Promise.all([
    devServer ? TestWorkflowEnvironment.createFromExistingServer({ address: devServer.address, namespace: devServer.namespace }) : timeSkippingEnv(),
    freshDatabase(),
  ]);
  const config = testConfig({ TEMPORAL_TASK_QUEUE: `api-${randomUUID()}` });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ pool: db.pool }),
  });
  const workerRun = worker.run();
  const app = await buildApp({ config, pool: db.pool, temporal: env.client, logger: false });
  await app.ready();

  const keys = {} as Record<Caller, string>;
  for (const [name, p] of Object.entries(principals) as [Caller, (typeof principals)[Caller]][]) {
    keys[name] = (await createKey(db.pool, { ...p, roles: [...p.roles], label: `test ${name}` })).key;
  }

  const errorBodies: string[] = [];
  const harness: ApiHarness = {
    app,
    db,
    env,
    config,
    keys,
    errorBodies,
    async call(method, url, opts = {}) {
      const as = opts.as === undefined ? 'operator' : opts.as;
      const authorization = typeof as === 'string' ? `Bearer ${keys[as]}` : (as?.authorization ?? undefined);
      const res = await inject(app, authorization, method, url, opts);
      if (res.status >= 400) errorBodies.push(res.text);
      return res;
    },
    async close() {
      await app.close();
      worker.shutdown();
      await workerRun;
      await env.teardown();
      await devServer?.stop();
      await db.drop();
    },
  };
  return harness;
}
