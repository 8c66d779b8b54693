/**
 * The worker process as deployed (`worker/main.ts`, a child process) runs the webhook dispatcher
 * beside the Temporal worker: a department task started on its queue notifies the housing
 * department, and the endpoint registered for it receives the signed notification. SIGTERM stops
 * both cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertEndpoint } from '../../db/webhooks.js';
import { freePort, startTemporalDevServer, type TemporalHandle } from '../../scripts/dev-stack.js';
import { departmentTask } from '../../workflows/department-task.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/eventually.js';
import { parsePayloadKeys, payloadDataConverter } from '../../worker/payload-codec.js';
import { testPayloadKeys } from '../helpers/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const taskQueue = `webhooks-e2e-${randomUUID()}`;
let db: TestDatabase;
let temporal: TemporalHandle;
let connection: Connection;
let worker: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  const [d, t] = await Promise.all([freshDatabase(), freePort().then((port) => startTemporalDevServer({ port }))]);
  db = d;
  temporal = t;
  connection = await Connection.connect({ address: temporal.address });
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await connection?.close();
  await temporal?.stop();
  await db?.drop();
});

test('the worker process delivers a workflow’s notification to the registered endpoint, signed, and stops on SIGTERM', async () => {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const secret = randomBytes(32).toString('base64url');
  await upsertEndpoint(
    db.pool,
    { county: '610124', kind: 'department', value: 'housing' },
    {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
      secret,
      active: true,
      keyId: 'e2e',
    },
  );

  worker = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      WORKFLOW_BUNDLE_PATH: '',
      PAYLOAD_KEYS: testPayloadKeys,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));

  try {
    // The deployed worker seals payloads with PAYLOAD_KEYS: the client needs the same codec.
    const client = new Client({ connection, dataConverter: payloadDataConverter(parsePayloadKeys(testPayloadKeys)) });
    const workflowId = `task:610124:housing:e2e-${randomUUID().slice(0, 8)}`;
    await client.workflow.start(departmentTask, {
      taskQueue,
      workflowId,
      args: [{ county: '610124', department: 'housing', title: '推送端到端测试', instructions: '' }],
    });

    const req = await eventually(() => received[0], { timeoutMs: 90_000, message: () => `the webhook; worker output: ${output.slice(-2000)}` });
    expect(req.headers['x-supervision-id']).toBe(`${workflowId}#1#0`);
    const ts = req.headers['x-supervision-timestamp'] as string;
    expect(req.headers['x-supervision-signature']).toBe(`sha256=${createHmac('sha256', secret).update(`${ts}.${req.body}`).digest('hex')}`);
    expect(JSON.parse(req.body)).toMatchObject({ kind: 'task.assigned', objectId: workflowId, to: { county: '610124', department: 'housing', role: null } });
    // The receiver answers before the dispatcher commits: wait for the row.
    const row = await eventually(
      async () => {
        const r = await db.pool.query('SELECT status, attempts FROM webhook_deliveries WHERE notification_id = $1', [`${workflowId}#1#0`]);
        return r.rows[0]?.status === 'delivered' ? r.rows[0] : undefined;
      },
      { message: 'the delivery row' },
    );
    expect(row).toEqual({ status: 'delivered', attempts: 1 });

    worker.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    expect(received).toHaveLength(1);
    expect(output).not.toContain(secret);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}, 150_000);
