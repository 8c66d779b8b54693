import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { searchAttributeRegistrations } from '../../domain/search-attributes.js';
import { findTestServer } from '../../scripts/provision.js';
import { bundleWorkflows } from '../../worker/worker.js';
import { workerRuntimeOptions } from '../../worker/telemetry.js';

let runtimeInstalled = false;
/** Quiet SDK logs in tests: warnings and errors only. */
export function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/**
 * The Runtime the worker process installs (worker/telemetry.ts) with its Prometheus exporter on
 * `bindAddress`, quiet like quietRuntime. Before anything else in the file (one per process).
 */
export function metricsRuntime(bindAddress: string) {
  if (runtimeInstalled) throw new Error('the Temporal Runtime is installed already: install the metrics exporter first');
  runtimeInstalled = true;
  Runtime.install(workerRuntimeOptions(bindAddress, 'WARN'));
}

/**
 * Every SDK log line of this process (the worker's, its activities', and the workflows' through
 * the worker's sink) kept in `lines`, from DEBUG up, for tests that check what reaches the logs.
 * Installs the Runtime, so it must come before anything else in the file does (one per process).
 */
export function captureRuntimeLogs(lines: string[]) {
  if (runtimeInstalled) throw new Error('the Temporal Runtime is installed already: capture its logs first');
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('DEBUG', (e) => void lines.push(`${e.level} ${e.message} ${JSON.stringify(e.meta ?? {})}`)) });
}

/**
 * A plain client on the test server, for tests and the API under test. Not the environment's own
 * client: its `result()` lets the server skip time while it waits, and with nothing else
 * scheduled the server jumps to the next timer it holds, which can be a run timeout ten years
 * away. Runs that time out that way can leave the server's time skipping locked for good (a
 * child ending after its parent), and every later `env.sleep` then waits in real time. So time
 * moves only where a test says so: `env.sleep`.
 */
export function steadyClient(env: TestWorkflowEnvironment): Client {
  return new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
}

/** The time-skipping test server (Java), provided by scripts/provision.ts. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const path = await findTestServer();
  const env = await startWithinWindow(() =>
    TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {}),
  );
  await registerSearchAttributes(env);
  return env;
}

/**
 * sdk-core gives the test server's JVM 5 seconds to accept connections (TOOLING.md), a window a
 * JVM can miss on a 2-core machine while another file's server and databases start beside it
 * (seen: "did not start within 5s" failing a whole file). Only that failure is tried again, on a
 * fresh port, at most three times in all; any other error, or a third miss, fails the file.
 */
export async function startWithinWindow<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts || !/did not start within/.test(String((err as Error)?.message ?? err))) throw err;
    }
  }
}

const indexedValueType = { Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6 } as const;

/** The test server starts empty: register the custom search attributes the workflows upsert. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment, namespace = 'default') {
  await env.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(searchAttributeRegistrations.map((sa) => [sa.name, indexedValueType[sa.type]])),
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundled once per test file and shared by its workers. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}
