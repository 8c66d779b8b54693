/**
 * `npm run bench:update [-- ROUNDS [BATCH [C]]]`: a department action through the HTTP API (an
 * officer signs for a task: `POST /v1/tasks/{taskId}/sign`, an Update on the task's workflow)
 * against the same Update sent straight through the Temporal client (`executeUpdate(signUpdate)`),
 * interleaved (test/bench/harness.ts): each round a batch of BATCH signings per path with C in
 * flight, the order rotating. Every signing takes a fresh task (a task is signed for once), so
 * 2 × ROUNDS × BATCH standalone tasks are assigned first through `POST /v1/tasks`. Prints p50,
 * p90, p99 and the ratios. A measurement, not a test: it asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { authenticate, createKey } from '../../db/keys.js';
import { fromUrlId } from '../../domain/ids.js';
import { signUpdate } from '../../workflows/department-task/messages.js';
import { interleaved, log, machine, printRatio, printTable, startBenchStack } from './harness.js';

const [ROUNDS = 10, BATCH = 20, C = 10] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
// --api-process: the API in its own process, as deployed (test/bench/harness.ts).
const API_PROCESS = process.argv.includes('--api-process');
const WARM = 10;

// --split: the load generator and the API on core 1, Temporal, PostgreSQL and the worker on core 0
// (test/bench/harness.ts): each path charged only what it costs the shared back end.
const SPLIT = process.argv.includes('--split');
const stack = await startBenchStack('updates', { apiProcess: API_PROCESS || SPLIT, split: SPLIT });
const { pool, client, api } = stack;
const operator = (await createKey(pool, { county: '610124', roles: ['operator'] })).key;
const officerKey = (await createKey(pool, { county: '610124', department: 'housing', roles: ['officer'] })).key;
const officer = (await authenticate(pool, officerKey))!;
const run = randomUUID().slice(0, 8);

// The tasks to sign for, assigned through the API (which answers once the read model has the row).
const wanted = WARM * 2 + ROUNDS * BATCH * 2;
const tasks: string[] = [];
const assignStarted = performance.now();
let issued = 0;
await Promise.all(
  Array.from({ length: C }, async () => {
    while (issued++ < wanted) {
      const res = await fetch(`${api}/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json', 'idempotency-key': `bench-${run}-${randomUUID()}` },
        body: JSON.stringify({ department: 'housing', title: '自建房安全排查（基准测试）' }),
      });
      if (res.status !== 201) throw new Error(`POST /v1/tasks: ${res.status} ${await res.text()}`);
      tasks.push(((await res.json()) as { taskId: string }).taskId);
    }
  }),
);
log(`assigned ${tasks.length} tasks in ${((performance.now() - assignStarted) / 1000).toFixed(1)} s`);

let nextTask = 0;
const take = () => tasks[nextTask++]!;
const viaApi = async () => {
  const res = await fetch(`${api}/v1/tasks/${take()}/sign`, {
    method: 'POST',
    headers: { authorization: `Bearer ${officerKey}`, 'idempotency-key': `bench-${run}-${randomUUID()}` },
  });
  if (res.status !== 200) throw new Error(`POST /v1/tasks/{id}/sign: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};
const viaClient = async () => {
  await client.workflow.getHandle(fromUrlId(take())!).executeUpdate(signUpdate, { args: [{ actor: officer }] });
};

await interleaved({ api: viaApi, client: viaClient }, { rounds: 1, batch: WARM, concurrency: C });
log(
  `bench:update  ${SPLIT ? 'split (load generator and API on core 1; Temporal, PostgreSQL, worker on core 0), ' : API_PROCESS ? 'API in its own process, ' : ''}${ROUNDS} rounds × ${BATCH} signings per path, ${C} in flight, interleaved  (${machine()})`,
);
const results = await interleaved(
  { 'HTTP API  POST /v1/tasks/{id}/sign': viaApi, 'Temporal client  executeUpdate(sign)': viaClient },
  { rounds: ROUNDS, batch: BATCH, concurrency: C },
);
printTable(results);
const [a, b] = Object.values(results) as [NonNullable<(typeof results)[string]>, NonNullable<(typeof results)[string]>];
printRatio('API / client', a, b);

await stack.stop();
