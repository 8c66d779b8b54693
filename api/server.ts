/**
 * API process: Fastify on API_HOST:API_PORT. Closes gracefully on SIGINT/SIGTERM (in-flight
 * requests finish, then the Temporal connection and the pool close).
 */
import { Client } from '@temporalio/client';
import { apiClientInterceptors, apiTemporalConnection } from './temporal.js';
import { startTracing } from '../worker/tracing.js';
import { createPool } from '../db/pool.js';
import { migrateDatabase } from '../db/migrate.js';
import { ConfigError, loadConfig } from '../domain/config.js';
import { buildApp } from './app.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { payloadKeysFor, PayloadKeyError } from '../domain/payload-keys.js';
import { logFormat, prettyLogStream } from './pretty-log.js';

async function main() {
  const config = loadConfig(process.env);
  if (!config.DATABASE_URL) throw new ConfigError(['DATABASE_URL: required for the API']);
  const pool = createPool({ ...config, DATABASE_URL: config.DATABASE_URL });
  // As the owner when DATABASE_OWNER_URL is set (granting DATABASE_URL's role), else as DATABASE_URL's role.
  if (config.MIGRATE_ON_START) await migrateDatabase({ ...config, DATABASE_URL: config.DATABASE_URL });
  // Off unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set (worker/tracing.ts).
  const tracing = startTracing(process.env, 'api');
  const connection = apiTemporalConnection(config.TEMPORAL_ADDRESS, config.TEMPORAL_API_KEY);
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: payloadDataConverter(payloadKeysFor(config)),
    ...apiClientInterceptors(tracing),
  });
  // JSON lines for a log collector; readable ones at a terminal and under `npm start`.
  const pretty = logFormat(config, process.stdout.isTTY) === 'pretty';
  const app = await buildApp({
    config,
    pool,
    temporal,
    ...(pretty ? { logStream: prettyLogStream(process.stdout) } : {}),
    ...(tracing ? { tracer: tracing.tracer } : {}),
  });
  if (tracing) process.stdout.write('api: OpenTelemetry traces on (OTEL_EXPORTER_OTLP_ENDPOINT)\n');
  await app.listen({ host: config.API_HOST, port: config.API_PORT });

  const close = async () => {
    await app.close();
    await connection.close();
    await pool.end();
    await tracing?.shutdown(); // exports the spans still buffered
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof ConfigError || err instanceof PayloadKeyError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
