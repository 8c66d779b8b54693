import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool } from '../../db/pool.js';
import { migrate } from '../../db/migrate.js';
import { freePort } from '../../scripts/dev-stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's PostgreSQL server. */
    pgAdminUrl: string;
    /** Name of the migrated template database every test database is cloned from. */
    pgTemplate: string;
  }
}

let server: ChildProcess | undefined;
let dir: string | undefined;

/**
 * Starts scripts/pg-server.ts as a child process (see there why not in this process) and waits
 * for its `ready <url>` line.
 */
async function startPostgresProcess(dataDir: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../../scripts/pg-server.ts'), dataDir, String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  server = child;
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /^ready (\S+)$/m.exec(output);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
}

/**
 * Starts one real PostgreSQL for the run: `DATABASE_URL` if set (its server must allow CREATE
 * DATABASE), otherwise an embedded server in a throwaway directory. Migrates a template database.
 */
export async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!adminUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'isv-pg-'));
    adminUrl = await startPostgresProcess(path.join(dir, 'data'));
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
  await migrate(pool);
  await pool.end();
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
}

export async function teardown() {
  if (server && server.exitCode === null) {
    const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
