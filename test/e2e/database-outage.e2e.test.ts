/**
 * Clocks survive database trouble (issue: nothing waits without a clock, part 2). PostgreSQL of
 * this file's own (so the rest of the run keeps its database) stops for 60 seconds while one task
 * is being assigned and another is being signed. Afterwards every task has its clocks, every
 * accepted action is on the timeline exactly once, and no workflow failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../db/migrate.js';
import { createPool, type Pool } from '../../db/pool.js';
import { freePort } from '../../scripts/dev-stack.js';
import { createWorker } from '../../worker/worker.js';
import { departmentTask, getTaskQuery, signUpdate } from '../../workflows/department-task.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';
import { workflowBundle } from '../helpers/temporal.js';
import { startPostgresProcess, type PostgresProcess } from '../helpers/pg-process.js';

const stack = useStack({ queue: 'e2e-outage', api: false });
const housing = { keyId: 'k-housing', county: '610124', department: 'housing', roles: ['officer' as const] };

let dir: string;
let port: number;
let server: PostgresProcess | undefined;
let pool: Pool;
let worker: Worker;
let running: Promise<void>;

/** This file's PostgreSQL, on the same directory and port each time (its data kept across stops). */
async function startPostgres(): Promise<string> {
  server = await startPostgresProcess(path.join(dir, 'data'), port, { persistent: true });
  return server.url;
}
const stopPostgres = () => server!.stop();

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'isv-outage-'));
  port = await freePort();
  const url = await startPostgres();
  pool = createPool({ DATABASE_URL: url, PG_POOL_MAX: 5, PG_CONNECTION_TIMEOUT_MS: 2000, PG_STATEMENT_TIMEOUT_MS: 5000 });
  await migrate(pool);
  worker = await createWorker({
    connection: stack.nativeConnection,
    namespace: 'default',
    taskQueue: stack.taskQueue,
    pool,
    workflowBundle: await workflowBundle(),
    dataConverter: stack.dataConverter,
  });
  running = worker.run();
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await pool?.end();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = (title: string) =>
  stack.client.workflow.start(departmentTask, {
    taskQueue: stack.taskQueue,
    workflowId: `task:610124:housing:outage-${randomUUID().slice(0, 8)}`,
    args: [{ county: '610124', department: 'housing', title, instructions: '' }],
  });
const timeline = async (id: string) =>
  (await pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [id])).rows.map((r) => r.type as string);

describe('PostgreSQL stops for 60 seconds', () => {
  test(
    'during an assignment and a sign: afterwards both tasks have their clocks, each action is recorded once, nothing failed',
    { timeout: 300_000 },
    async () => {
      const signing = await start('停库时签收');
      await eventually(async () => (await timeline(signing.workflowId)).length === 1, { message: 'the first task recorded' });

      await stopPostgres();
      const assigning = await start('停库时派单');
      const signed = signing.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      // The outage itself is the point: it lasts long enough for every capped retry to give up.
      await new Promise((r) => setTimeout(r, 60_000));
      for (const h of [signing, assigning]) expect((await h.describe()).status.name).toBe('RUNNING');
      await startPostgres();

      const view = await signed;
      expect(view).toMatchObject({ state: 'signed', currentDeadline: { kind: 'handle' } });
      const assigned = await eventually(
        async () => {
          const v = await assigning.query(getTaskQuery);
          return v.currentDeadline ? v : undefined;
        },
        { timeoutMs: 60_000, message: 'the task assigned during the outage to have its sign-for clock' },
      );
      expect(assigned).toMatchObject({ state: 'assigned', currentDeadline: { kind: 'sign-for' } });
      await eventually(async () => (await timeline(signing.workflowId)).length === 2 && (await timeline(assigning.workflowId)).length === 1, {
        timeoutMs: 60_000,
        message: 'both timelines written',
      });
      expect(await timeline(signing.workflowId)).toEqual(['assigned', 'signed']);
      expect(await timeline(assigning.workflowId)).toEqual(['assigned']);
      const rows = await pool.query('SELECT task_id, state, due_at IS NOT NULL AS has_deadline FROM tasks WHERE task_id = ANY($1) ORDER BY state', [
        [signing.workflowId, assigning.workflowId],
      ]);
      expect(rows.rows).toEqual([
        { task_id: assigning.workflowId, state: 'assigned', has_deadline: true },
        { task_id: signing.workflowId, state: 'signed', has_deadline: true },
      ]);
      for (const h of [signing, assigning]) expect((await h.describe()).status.name).toBe('RUNNING');
    },
  );
});
