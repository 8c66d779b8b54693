/**
 * The worker `bench:open-matters` measures, in a process of its own so its RSS is the worker's
 * alone: made like worker/main.ts makes it (configuration from the environment, the payload codec,
 * the prebuilt bundle at WORKFLOW_BUNDLE_PATH, the cache bound WORKER_MAX_CACHED_WORKFLOWS), without
 * the Schedules and the webhook dispatcher the time-skipping test server and the benchmark do not
 * need. Reports its cache size and heap to the parent every second; stops on the message `stop`.
 */
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createPool } from '../../db/pool.js';
import { loadConfig } from '../../domain/config.js';
import { payloadKeysFor } from '../../domain/payload-keys.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { createWorker } from '../../worker/worker.js';

export interface WorkerSample {
  cached: number;
  heapUsed: number;
  rss: number;
}

const config = loadConfig(process.env);
if (!config.DATABASE_URL || !config.WORKFLOW_BUNDLE_PATH) throw new Error('DATABASE_URL and WORKFLOW_BUNDLE_PATH are required');
// Warnings and errors only, like the tests' runtime: the benchmark's output is its figures.
Runtime.install({ logger: new DefaultLogger('WARN') });
const pool = createPool({ ...config, DATABASE_URL: config.DATABASE_URL });
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker: Worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  pool,
  dataConverter: payloadDataConverter(payloadKeysFor(config)),
  maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH },
});
const report = setInterval(() => {
  if (!process.connected) return;
  const m = process.memoryUsage();
  process.send?.({ cached: worker.getStatus().numCachedWorkflows, heapUsed: m.heapUsed, rss: m.rss } satisfies WorkerSample);
}, 1000);
process.on('message', (m) => {
  if (m === 'stop') worker.shutdown();
});
process.send?.('ready');
await worker.run();
clearInterval(report);
await connection.close();
await pool.end();
process.disconnect?.();
