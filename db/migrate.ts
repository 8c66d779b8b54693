import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createPool, type Pool, type PoolSettings } from './pool.js';
import { grantRuntimeRole, runtimeRoleOf, type RuntimeRole } from './roles.js';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrateOptions {
  /**
   * The service's runtime role (db/roles.ts): created if missing and left exactly the privileges
   * of `runtimePrivileges` in this database, after the migrations, at every run.
   */
  runtimeRole?: RuntimeRole;
}

/**
 * Applies forward-only numbered migrations (db/migrations/NNNN_name.sql), each in its own
 * transaction that first records itself. A session-level advisory lock serialises concurrent
 * starters (API and worker may both migrate), so running it twice, or twice at once, is harmless.
 * Run it as the owner of the tables; with `runtimeRole`, the grants of the service's role follow.
 * A database already up to date needs no DDL, so the runtime role itself may run it as a check.
 */
export async function migrate(pool: Pool, opts: MigrateOptions = {}): Promise<string[]> {
  const files = (await readdir(migrationsDir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(7233001)');
    const known = await client.query<{ table: string | null }>("SELECT to_regclass('schema_migrations')::text AS table");
    if (!known.rows[0]?.table) {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
    }
    const done = new Set((await client.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    for (const file of files) {
      const id = Number(file.slice(0, 4));
      if (done.has(id)) continue;
      const sql = await readFile(path.join(migrationsDir, file), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [id, file]);
        await client.query(sql);
        await client.query('COMMIT');
        applied.push(file);
      } catch (err) {
        await client.query('ROLLBACK');
        const hint =
          (err as { code?: string }).code === '42501' ? ' (the role migrating may not change the schema: migrate as the owner, DATABASE_OWNER_URL)' : '';
        throw new Error(`migration ${file} failed: ${(err as Error).message}${hint}`);
      }
    }
    if (opts.runtimeRole) {
      try {
        await client.query('BEGIN');
        await grantRuntimeRole(client, opts.runtimeRole);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`runtime role ${opts.runtimeRole.name}: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(7233001)').catch(() => {});
    client.release();
  }
  return applied;
}

/**
 * Migrates the service's database as configured: as the owner (DATABASE_OWNER_URL), granting
 * DATABASE_URL's role the runtime privileges; without DATABASE_OWNER_URL, as DATABASE_URL's role
 * alone (one role owns and uses the tables). Uses a pool of its own, closed before it returns.
 */
export async function migrateDatabase(config: PoolSettings & { DATABASE_OWNER_URL?: string | undefined }): Promise<string[]> {
  const owner = config.DATABASE_OWNER_URL;
  const pool = createPool({ ...config, DATABASE_URL: owner ?? config.DATABASE_URL, PG_POOL_MAX: 1 });
  try {
    return await migrate(pool, owner ? { runtimeRole: runtimeRoleOf(config.DATABASE_URL) } : {});
  } finally {
    await pool.end();
  }
}
