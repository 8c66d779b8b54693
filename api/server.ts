/**
 * API process: Fastify on API_HOST:API_PORT. Closes gracefully on SIGINT/SIGTERM (in-flight
 * requests finish, then the Temporal connection and the pool close).
 */
import { Client } from '@temporalio/client';
import { apiTemporalConnection } from './temporal.js';
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
  const connection = apiTemporalConnection(config.TEMPORAL_ADDRESS, config.TEMPORAL_API_KEY);
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(payloadKeysFor(config)) });
  // JSON lines for a log collector; readable ones at a terminal and under `npm start`.
  const pretty = logFormat(config, process.stdout.isTTY) === 'pretty';
  const app = await buildApp({ config, pool, temporal, ...(pretty ? { logStream: prettyLogStream(process.stdout) } : {}) });
  await app.listen({ host: config.API_HOST, port: config.API_PORT });

  const close = async () => {
    await app.close();
    await connection.close();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof ConfigError || err instanceof PayloadKeyError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
