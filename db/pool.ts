import pg from 'pg';
import type { Config } from '../domain/config.js';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

export type PoolSettings = Pick<Config, 'PG_POOL_MAX' | 'PG_CONNECTION_TIMEOUT_MS' | 'PG_STATEMENT_TIMEOUT_MS'> &
  Partial<Pick<Config, 'PG_QUERY_TIMEOUT_MS'>> & { DATABASE_URL: string };

/**
 * One pool per process, bounded so that a database in trouble turns into a 503 rather than a pile
 * of hung requests:
 *
 * - `connectionTimeoutMillis`: waiting for a free connection, or for a new one's handshake (a frozen
 *   server accepts the TCP connection and then says nothing);
 * - `statement_timeout`: PostgreSQL cancels a statement that runs too long (SQLSTATE 57014);
 * - `query_timeout`: the client gives up on a query the server never answers (a frozen server
 *   cancels nothing), and the pool drops that connection. Longer than the statement timeout (by a
 *   second when not given), so a server that still answers cancels first.
 */
export function createPool(config: PoolSettings): Pool {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    connectionTimeoutMillis: config.PG_CONNECTION_TIMEOUT_MS,
    statement_timeout: config.PG_STATEMENT_TIMEOUT_MS,
    query_timeout: config.PG_QUERY_TIMEOUT_MS ?? config.PG_STATEMENT_TIMEOUT_MS + 1000,
    idleTimeoutMillis: 30_000,
    application_name: 'integrated-supervision',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process. The next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Transactions: one helper for every caller (db/sql.ts). */
export { inTransaction } from './sql.js';

/** A trivial query: the readiness check's "is PostgreSQL answering". */
export async function ping(pool: Pool): Promise<void> {
  await pool.query('SELECT 1');
}
