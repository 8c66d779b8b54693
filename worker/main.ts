/**
 * Worker process: connects to Temporal and PostgreSQL, runs workflows and activities on the task
 * queue until SIGINT/SIGTERM, then drains (in-flight activities finish) and exits.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, ConfigError } from '../domain/config.js';
import { createPool } from '../db/pool.js';
import { migrateDatabase } from '../db/migrate.js';
import { createWorker } from './worker.js';
import { withWebhookDispatcher } from './webhook-dispatcher.js';
import { AddressGuard } from './webhook-guard.js';
import { ensureSchedules } from './schedules.js';
import { payloadDataConverter } from './payload-codec.js';
import { payloadKeysFor, PayloadKeyError } from '../domain/payload-keys.js';
import { installWorkerRuntime } from './telemetry.js';
import { startTracing } from './tracing.js';

async function main() {
  const config = loadConfig(process.env);
  if (!config.DATABASE_URL) throw new ConfigError(['DATABASE_URL: required for the worker']);
  const dataConverter = payloadDataConverter(payloadKeysFor(config));
  if (!dataConverter.payloadCodecs) process.stdout.write('worker: PAYLOAD_KEYS unset: payloads go to Temporal unencrypted (never in production)\n');
  const pool = createPool({ ...config, DATABASE_URL: config.DATABASE_URL });
  // As the owner when DATABASE_OWNER_URL is set (granting DATABASE_URL's role), else as DATABASE_URL's role.
  if (config.MIGRATE_ON_START) await migrateDatabase({ ...config, DATABASE_URL: config.DATABASE_URL });
  // Before the first connection: the Runtime (and its metrics exporter) is made once per process.
  installWorkerRuntime(config.WORKER_METRICS_ADDRESS);
  if (config.WORKER_METRICS_ADDRESS) process.stdout.write(`worker: Temporal SDK metrics on http://${config.WORKER_METRICS_ADDRESS}/metrics\n`);
  // Off unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. A prebuilt bundle traces workflows only
  // if it was built with the interceptors (`npm run build:workflows -- <out> --tracing`).
  const tracing = startTracing(process.env, 'worker');
  if (tracing) process.stdout.write('worker: OpenTelemetry traces on (OTEL_EXPORTER_OTLP_ENDPOINT)\n');
  const auth = config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {};
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, ...auth });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, ...auth });
  await ensureSchedules(new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter }), {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    auditVerifyAt: config.AUDIT_VERIFY_AT,
  });
  await clientConnection.close();
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    pool,
    dataConverter,
    ...(tracing ? { tracing } : {}),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
  });
  // Worker.runUntil / run() installs SIGINT/SIGTERM handlers that call shutdown().
  process.stdout.write(`worker: task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}\n`);
  await withWebhookDispatcher(
    {
      pool,
      pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
      requestTimeoutMs: config.WEBHOOK_REQUEST_TIMEOUT_MS,
      guard: new AddressGuard(config.WEBHOOK_ALLOWED_HOSTS),
    },
    () => worker.run(),
  ); // webhooks run beside the worker, outside workflows
  await connection.close();
  await pool.end();
  await tracing?.shutdown(); // exports the spans still buffered
}

main().catch((err: unknown) => {
  process.stderr.write(`worker: ${err instanceof ConfigError || err instanceof PayloadKeyError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
