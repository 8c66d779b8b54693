import { createRequire } from 'node:module';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import type { Tracing } from './tracing.js';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../domain/config.js';

const require = createRequire(import.meta.url);

/**
 * The worker's workflow code: every workflow type of `workflows/index.ts`, through an entry point
 * that loads each type's modules only when a run of that type starts (why: worker/workflow-entry.cjs).
 */
export const workflowsPath = require.resolve('./workflow-entry.cjs');

/**
 * The OpenTelemetry workflow interceptors (spans for a run, its activities' and children's starts,
 * signals and Updates), bundled into the workflow code when tracing is on. They run in the
 * sandbox: their tracer is the SDK's deterministic one, and their spans leave through the
 * `exporter` sink (replayed activations export nothing). They add no command: a history recorded
 * without them replays with them and the other way round (test/replay replays both bundles).
 */
export const tracingWorkflowInterceptors = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (production, tests that start many workers); otherwise bundled from source. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  identity?: string;
  /** The payload codec (worker/payload-codec.ts); the same as the clients' of this namespace. */
  dataConverter?: DataConverter;
  /**
   * Traces (worker/tracing.ts): activity spans under the workflow's, the workflows' spans exported.
   * With a prebuilt bundle, the bundle must have been made with `bundleWorkflows({ tracing: true })`.
   */
  tracing?: Tracing;
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
    ...tracingOptions(opts.tracing, !opts.workflowBundle),
    // Workflows wait on long timers; a bounded cache keeps a worker with thousands of open matters
    // from holding them all in memory (why this bound: WORKER_MAX_CACHED_WORKFLOWS in domain/config.ts).
    maxCachedWorkflows: opts.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    shutdownGraceTime: '10 seconds',
  });
}

/**
 * The worker's part of tracing: the workflow interceptors (taken into the bundle the worker makes
 * from source), the activities' span (a child of the workflow's `StartActivity`) and the sink the
 * workflows' spans leave by. Without tracing the sink is still there and drops what a bundle
 * made with the interceptors sends it, so such a bundle also runs untraced.
 */
function tracingOptions(tracing: Tracing | undefined, bundling: boolean) {
  const sinks = {
    exporter: tracing ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource) : { export: { fn: () => {}, callDuringReplay: false } },
  };
  if (!tracing) return { sinks };
  const options = { tracer: tracing.tracer };
  return {
    sinks,
    interceptors: {
      // A prebuilt bundle has them, or not, already (the SDK would ignore them with a warning).
      ...(bundling ? { workflowModules: [tracingWorkflowInterceptors] } : {}),
      activity: [
        (ctx: Context) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, options), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
      ],
    },
  };
}

/**
 * Bundles workflow code once (tests share it across workers; `npm run build:workflows` writes it);
 * with `tracing`, the OpenTelemetry workflow interceptors are in it. `entry` replaces the entry
 * point (benchmarks compare workflows/index.ts, the entry the worker had before, with today's).
 */
export function bundleWorkflows(opts: { tracing?: boolean; entry?: string } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: opts.entry ?? workflowsPath,
    ...(opts.tracing ? { workflowInterceptorModules: [tracingWorkflowInterceptors] } : {}),
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } as never,
  });
}
