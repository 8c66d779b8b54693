/**
 * The database `npm start` uses when DATABASE_URL is unset: an embedded PostgreSQL whose files
 * live in <DATA_DIR>/pg, with the application database `supervision`. Two roles, as in
 * production: the migrations run as the embedded server's own `postgres` (it owns the tables);
 * the worker and the API connect as the runtime role `supervision_app`, which the migration creates
 * and grants what the service needs (db/roles.ts). Local-only passwords, like the server's.
 */
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../domain/config.js';
import { startEmbeddedPostgres, type PostgresHandle } from './dev-stack.js';

export const appDatabase = 'supervision';

/** The runtime role of the local stack (DATABASE_URL of its worker and API). */
export const localRuntimeRole = { name: 'supervision_app', password: 'supervision_app' };

/** The owner's connection (migrations, API keys). */
export function localDatabaseUrl(config: Pick<Config, 'PG_PORT'>): string {
  return `postgres://postgres:postgres@127.0.0.1:${config.PG_PORT}/${appDatabase}`;
}

/** The runtime role's connection. */
export function localRuntimeUrl(config: Pick<Config, 'PG_PORT'>): string {
  return `postgres://${localRuntimeRole.name}:${localRuntimeRole.password}@127.0.0.1:${config.PG_PORT}/${appDatabase}`;
}

export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the embedded server on <DATA_DIR>/pg and makes sure the application database exists:
 * `appUrl` is the owner's connection to it, `runtimeUrl` the runtime role's (valid once migrated).
 */
export async function startLocalPostgres(
  config: Pick<Config, 'PG_PORT' | 'DATA_DIR'>,
  log?: (m: string) => void,
): Promise<PostgresHandle & { appUrl: string; runtimeUrl: string }> {
  const handle = await startEmbeddedPostgres({
    dir: path.join(config.DATA_DIR, 'pg'),
    port: config.PG_PORT,
    persistent: true,
    ...(log ? { log } : {}),
  });
  const admin = new pg.Client({ connectionString: handle.url });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [appDatabase]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE ${appDatabase}`);
  await admin.end();
  return { ...handle, appUrl: handle.urlFor(appDatabase), runtimeUrl: localRuntimeUrl(config) };
}
