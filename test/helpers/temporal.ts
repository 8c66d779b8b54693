import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { searchAttributeRegistrations } from '../../domain/search-attributes.js';
import { findTestServer } from '../../scripts/provision.js';
import { bundleWorkflows } from '../../worker/worker.js';

let runtimeInstalled = false;
/** Quiet SDK logs in tests: warnings and errors only. */
export function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** The time-skipping test server (Java), provided by scripts/provision.ts. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const path = await findTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
  await registerSearchAttributes(env);
  return env;
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
