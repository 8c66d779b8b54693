/**
 * `npm run bench:matters [-- ROUNDS [BATCH [C]]]`: self-built-housing matters started through the
 * HTTP API (`POST /v1/matters`, Bearer key, Idempotency-Key) and straight through the Temporal
 * client, interleaved (test/bench/harness.ts): each round a batch of BATCH calls per path with C in
 * flight, the paths' order rotating. Prints throughput, p50/p90/p99 and the API/client ratios,
 * then where an API call's time goes: each step of the route measured alone, interleaved the same
 * way. A measurement, not a test: it asserts nothing.
 *
 * Paths:
 *   api             POST /v1/matters
 *   client          `workflow.start` with a workflow id, the task queue and the input (what the
 *                   benchmark compared against before)
 *   client+options  `workflow.start` with the very options the route sends (search attributes,
 *                   UI summary and details, conflict and reuse policies): the API's own cost is
 *                   api − client+options, the options' is client+options − client
 */
import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { reserveMatter } from '../../api/matter-launch.js';
import { authenticate, createKey } from '../../db/keys.js';
import { matterStartOptions, type MatterInput } from '../../domain/matter.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { interleaved, log, machine, printRatio, printTable, startBenchStack } from './harness.js';

const [ROUNDS = 10, BATCH = 20, C = 10] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
// --api-process: the API in its own process, as deployed (test/bench/harness.ts).
const API_PROCESS = process.argv.includes('--api-process');
const PHASES = !process.argv.includes('--no-phases');

// --split: the load generator and the API on core 1, Temporal, PostgreSQL and the worker on core 0
// (test/bench/harness.ts): each path charged only what it costs the shared back end.
const SPLIT = process.argv.includes('--split');
// --no-worker: no worker on the queue, so a batch measures the starts alone, not also the work the
// matters started by earlier batches give the worker (the noise between runs; BENCHMARKS.md).
const WORKER = !process.argv.includes('--no-worker');
const stack = await startBenchStack('matters', { apiProcess: API_PROCESS || SPLIT, split: SPLIT, worker: WORKER });
const { pool, client, api, taskQueue } = stack;
const { key } = await createKey(pool, { county: '610124', roles: ['operator'] });
const principal = (await authenticate(pool, key))!;

const body = {
  scenario: 'self-built-housing',
  county: '610124',
  subject: { name: '某自建房', kind: 'house' },
  facts: { township: '610124100' },
  source: { channel: 'inspection-plan' },
};
const input: MatterInput = {
  county: '610124',
  subject: body.subject as MatterInput['subject'],
  facts: { township: '610124100', reportedHazard: false },
  definition: resolveScenario(catalogue['self-built-housing'], undefined),
  createdBy: principal.keyId,
  launchedBy: principal,
};
const run = randomUUID().slice(0, 8);

const viaApi = async (i: number) => {
  const res = await fetch(`${api}/v1/matters`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `bench-${run}-${i}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /v1/matters: ${res.status} ${await res.text()}`);
};
const viaClient = async (i: number) => {
  await client.workflow.start(selfBuiltHousingMatter, {
    taskQueue,
    workflowId: `matter:610124:self-built-housing:bench-${run}-${i}`,
    args: [input],
  });
};
const viaClientWithOptions = async (i: number) => {
  const { workflowType, ...options } = matterStartOptions(`matter:610124:self-built-housing:bench-${run}-${i}`, input);
  await client.workflow.start(workflowType, {
    ...options,
    taskQueue,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
};

// Warm up every path (bundle caches, connections, prepared plans, JIT) before measuring.
await interleaved({ api: viaApi, client: viaClient, 'client+options': viaClientWithOptions }, { rounds: 1, batch: 10, concurrency: C });

log(
  `bench:matters  ${WORKER ? '' : 'no worker, '}${SPLIT ? 'split (load generator and API on core 1; Temporal, PostgreSQL, worker on core 0), ' : API_PROCESS ? 'API in its own process, ' : ''}${ROUNDS} rounds × ${BATCH} calls per path, ${C} in flight, interleaved  (${machine()})`,
);
const main = await interleaved(
  { 'HTTP API  POST /v1/matters': viaApi, 'Temporal client  workflow.start': viaClient, 'client  start with the route options': viaClientWithOptions },
  { rounds: ROUNDS, batch: BATCH, concurrency: C },
);
printTable(main);
const [a, b, o] = Object.values(main) as [NonNullable<(typeof main)[string]>, NonNullable<(typeof main)[string]>, NonNullable<(typeof main)[string]>];
printRatio('API / client', a, b);
printRatio('API / client with the route options', a, o);
printRatio('client with the route options / client', o, b);

if (PHASES) {
  // Each step of the route alone, with the same concurrency, interleaved: where an API call's time goes.
  log(`\nwhere the time goes: each step of POST /v1/matters alone, ${ROUNDS} rounds × ${BATCH} calls, ${C} in flight  (${machine()})`);
  const phases = await interleaved(
    {
      'HTTP round trip  GET /healthz (no key)': async () => {
        const res = await fetch(`${api}/healthz`);
        await res.arrayBuffer();
      },
      'key lookup  authenticate': async () => {
        await authenticate(pool, key);
      },
      'reserveMatter  id, key claim, scenario (one statement)': async (i) => {
        await reserveMatter(pool, { county: '610124', scenario: 'self-built-housing', key: `phase-${run}-${i}`, body });
      },
      'payload codec  encode the input': async () => {
        await client.options.loadedDataConverter.payloadCodecs[0]!.encode([client.options.loadedDataConverter.payloadConverter.toPayload(input)], {
          workflowId: 'matter:610124:self-built-housing:2026-1',
        } as never);
      },
      'workflow.start with the route options': async (i) => viaClientWithOptions(1_000_000 + i),
    },
    { rounds: ROUNDS, batch: BATCH, concurrency: C },
  );
  printTable(phases);
}

await stack.stop();
