import pg from 'pg';
import type { Config } from '../domain/config.js';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * One pool per process: at most 10 connections, a bounded wait for a free connection and a
 * statement timeout, so a stuck database turns into a 503 rather than a pile of hung requests.
 */
export function createPool(config: Pick<Config, 'PG_POOL_MAX' | 'PG_CONNECTION_TIMEOUT_MS' | 'PG_STATEMENT_TIMEOUT_MS'> & { DATABASE_URL: string }): Pool {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
    statement_timeout: config.PG_STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    application_name: 'integrated-supervision',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process. The next query reconnects.
  pool.on('error', () => {});
  return pool;
}

export async function inTransaction<T>(pool: Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
