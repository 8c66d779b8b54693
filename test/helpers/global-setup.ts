import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool } from '../../db/pool.js';
import { migrate } from '../../db/migrate.js';
import type { RuntimeRole } from '../../db/roles.js';
import { freePort } from '../../scripts/dev-stack.js';
import { startPostgresProcess, type PostgresProcess } from './pg-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's PostgreSQL server. */
    pgAdminUrl: string;
    /** Name of the migrated template database every test database is cloned from. */
    pgTemplate: string;
    /** The runtime role the template's migration granted (db/roles.ts): tests connect as it to check its privileges. */
    pgRuntimeRole: RuntimeRole;
  }
}

let server: PostgresProcess | undefined;
let dir: string | undefined;

/**
 * The service's runtime role in test databases. Roles are cluster-wide, so every run on a server
 * shares it (the migration tolerates it existing); its privileges are per database, granted in the
 * template and so in every clone.
 */
const runtimeRole: RuntimeRole = { name: 'isv_test_runtime', password: 'isv_test_runtime' };

/**
 * Starts one real PostgreSQL for the run: `TEST_DATABASE_URL` or `DATABASE_URL` if set (its role
 * must be allowed to CREATE DATABASE and CREATE ROLE, e.g. a superuser), otherwise an embedded
 * server in a throwaway directory. Migrates a template database as that (owner) role, granting
 * the runtime role.
 */
export async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!adminUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'isv-pg-'));
    server = await startPostgresProcess(path.join(dir, 'data'), await freePort());
    adminUrl = server.url;
  }
  const template = `isv_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const pool = createPool({ DATABASE_URL: url.toString(), PG_POOL_MAX: 2, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
  await migrate(pool, { runtimeRole });
  await pool.end();
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgRuntimeRole', runtimeRole);
}

export async function teardown() {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
