import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, type Pool } from '../../db/pool.js';

export interface TestDatabase {
  /** The owner's connection (the run's admin role): what the tests use unless they say otherwise. */
  url: string;
  pool: Pool;
  /** The same database as the service's runtime role (db/roles.ts), which owns nothing. */
  runtimeUrl: string;
  drop(): Promise<void>;
}

/** A fresh database cloned from the run's migrated template (fast: a file copy on the server). */
export async function freshDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `isv_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool({ DATABASE_URL: url.toString(), PG_POOL_MAX: 5, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
  const runtime = new URL(url);
  const role = inject('pgRuntimeRole');
  runtime.username = encodeURIComponent(role.name);
  runtime.password = encodeURIComponent(role.password ?? '');
  return {
    url: url.toString(),
    pool,
    runtimeUrl: runtime.toString(),
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
