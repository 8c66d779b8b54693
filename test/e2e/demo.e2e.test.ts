/**
 * Issue 12 §5: `npm start -- --demo` (scripts/demo.ts) works its steps even when the worker is
 * still bundling: it waits for the rows, not a fixed time, and says what it did. Real parts: a
 * Temporal dev server, PostgreSQL and the API listening on a port; the worker is started only once
 * the demo has launched its matters, so the first steps are assigned late, as on a first start.
 */
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { testConfig } from '../helpers/config.js';
import { seedDemo } from '../../scripts/demo.js';
import { useStack } from '../helpers/stack.js';

const principals = {
  operator: { county: '610124', roles: ['operator' as const] },
  housing: { county: '610124', department: 'housing', roles: ['officer' as const] },
};
const stack = useStack({ queue: 'e2e-demo', api: false, keys: principals });

let app: FastifyInstance;
let base: string;
let worker: { worker: Worker; done: Promise<void> } | undefined;

beforeAll(async () => {
  app = await buildApp({
    config: { ...testConfig(), TEMPORAL_TASK_QUEUE: stack.taskQueue },
    pool: stack.db.pool,
    temporal: new Client({ connection: stack.connection, dataConverter: stack.dataConverter }),
    logger: false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await app?.close();
  worker?.worker.shutdown();
  await worker?.done;
});

describe('the demo seed', () => {
  test('with the worker still starting, it waits for the first steps, works the housing survey, and says so', async () => {
    const keys = Object.entries(principals).map(([name, p]) => ({ label: name, ...p, roles: [...p.roles], key: stack.keys[name]! }));
    const lines: string[] = [];
    let launched = 0;
    let starting: Promise<void> | undefined;
    const matters = await seedDemo(base, keys, (line) => {
      lines.push(line);
      // The six launches have answered (no worker has run anything yet): only now does one start.
      if (/^ {2}matter:/.test(line) && ++launched === 6) {
        starting = stack.startWorker().then((w) => {
          worker = w;
        });
      }
    });
    await starting;
    expect(matters).toHaveLength(6);

    const survey = await stack.db.pool.query(
      "SELECT task_id, state, view->'submission'->>'outcome' AS outcome FROM tasks WHERE matter_id = $1 AND department = 'housing'",
      [matters[0]!.replaceAll('~', '/')],
    );
    expect(survey.rows, JSON.stringify(lines)).toEqual([{ task_id: expect.any(String), state: 'submitted', outcome: 'appraisal-needed' }]);
    const taskUrlId = (survey.rows[0].task_id as string).replaceAll('/', '~');
    expect(
      lines.some((l) => l.includes(taskUrlId) && /signed for and submitted/.test(l)),
      JSON.stringify(lines),
    ).toBe(true);
  });
});
