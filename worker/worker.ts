import { createRequire } from 'node:module';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../domain/config.js';

const require = createRequire(import.meta.url);

/** The worker's workflow code: `workflows/index.ts`, re-exporting every workflow type. */
export const workflowsPath = require.resolve('../workflows/index.ts');

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (production, tests that start many workers); otherwise bundled from source. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  identity?: string;
  /** The payload codec (worker/payload-codec.ts); the same as the clients' of this namespace. */
  dataConverter?: DataConverter;
  /** The sticky cache's bound (WORKER_MAX_CACHED_WORKFLOWS in domain/config.ts, whose default it is). */
  maxCachedWorkflows?: number;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities(opts),
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    // Workflows wait on long timers; a bounded cache keeps a worker with thousands of open matters
    // from holding them all in memory (why this bound: WORKER_MAX_CACHED_WORKFLOWS in domain/config.ts).
    maxCachedWorkflows: opts.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    shutdownGraceTime: '10 seconds',
  });
}

/** Bundles workflow code once (tests share it across workers; `npm run build:workflows` writes it). */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } as never });
}
