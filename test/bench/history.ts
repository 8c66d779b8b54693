/**
 * `npm run bench:history [-- DAYS] [--plain]`: how big a long matter's histories get. A refined-oil
 * matter (DOMAIN §3.1) with the lead and two cooperating departments on its joint visit; nobody
 * signs for anything for DAYS days (default 365), so each of the three tasks runs its ladder and is
 * then chased every working morning (DOMAIN §10) for the rest of the year. Time-skipping test
 * server, the real workflows, the production payload codec (`--plain`: none), the real clock
 * activities; the recording activities write nothing (their input is what history holds, and it is
 * the same whatever the database does). Prints every run's events and bytes against Temporal's
 * limits (kit.ts HISTORY_LIMITS). A measurement, not a test: it asserts nothing.
 */
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { defaultCalendar } from '../../domain/calendar/index.js';
import { getTaskQuery } from '../../workflows/department-task.js';
import { getMatterQuery } from '../../workflows/matter-kit.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import { eventually } from '../helpers/eventually.js';
import { timeSkippingEnv, workflowBundle } from '../helpers/temporal.js';
import { HISTORY_LIMITS, log, machine, mib, productionCodec, refinedOilInput, runSizes, type RunSize } from './kit.js';

const args = process.argv.slice(2);
const DAYS = Number(args.find((a) => /^\d+$/.test(a)) ?? 365);
const plain = args.includes('--plain');
const DAY = 86_400_000;

log(`bench:history  ${DAYS} days, ${plain ? 'no codec' : 'payload codec on (production)'}`);
log(machine());
const t0 = performance.now();
const env = await timeSkippingEnv();
const dataConverter = plain ? {} : productionCodec();
const client = new Client({ connection: env.connection, dataConverter });
const real = createActivities({ pool: undefined as never, calendar: async () => defaultCalendar });
const nothing = async () => {};
const activities = {
  resolveClock: real.resolveClock,
  resolveDue: real.resolveDue,
  nextDailyChases: real.nextDailyChases,
  recordTaskEvent: nothing,
  recordMatterEvent: nothing,
  recordDisputeEvent: nothing,
  recordTransferEvent: nothing,
  publishResult: nothing,
};
const taskQueue = 'bench-history';
const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities, dataConverter });

const sizes: RunSize[] = [];
let chases: number[] = [];
await worker.runUntil(async () => {
  const h = await client.workflow.start(refinedOilMatter, {
    taskQueue,
    workflowId: `matter:610124:refined-oil:history-${Date.now()}`,
    args: [refinedOilInput(['safety', 'quality'], '甲')],
  });
  const tasks = await eventually(
    async () => {
      const v = await h.query(getMatterQuery);
      return v.tasks.length === 3 ? v.tasks.map((t) => t.taskId) : undefined;
    },
    { timeoutMs: 60_000, message: 'the joint visit to assign three tasks' },
  );
  for (const id of tasks)
    await eventually(
      () =>
        client.workflow
          .getHandle(id)
          .query(getTaskQuery)
          .then((v) => v.lastEventSeq > 0),
      { timeoutMs: 60_000 },
    );
  const s = performance.now();
  // Time moves only here: every timer of the year fires in order, each worked by the worker.
  await env.sleep(DAYS * DAY);
  log(`a skipped year took ${((performance.now() - s) / 1000).toFixed(1)} s of real time`);
  chases = await Promise.all(tasks.map(async (id) => (await client.workflow.getHandle(id).query(getTaskQuery)).escalations.length));
  sizes.push(...(await runSizes(client, h.workflowId)));
  for (const id of tasks) sizes.push(...(await runSizes(client, id)));
});
await env.teardown();

log(`rungs and daily chases fired per task: ${chases.join(', ')}`);
log('');
log(
  `| workflow | run | events | % of ${HISTORY_LIMITS.events.toLocaleString('en')} | bytes | % of ${mib(HISTORY_LIMITS.bytes)} MiB | largest event | ended by continue-as-new |`,
);
log('|---|---|---|---|---|---|---|---|');
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(2)}%`;
for (const r of sizes) {
  log(
    `| ${r.workflowId.replace(/^matter:610124:refined-oil:history-\d+/, 'matter')} | ${r.runId === '(latest)' ? 'latest' : r.runId.slice(0, 8)} | ${r.events.toLocaleString('en')} | ${pct(r.events, HISTORY_LIMITS.events)} | ${r.bytes.toLocaleString('en')} | ${pct(r.bytes, HISTORY_LIMITS.bytes)} | ${r.largestEvent.toLocaleString('en')} | ${r.continuedAsNew ? 'yes' : 'no'} |`,
  );
}
const worst = sizes.reduce((w, r) => (r.events / HISTORY_LIMITS.events > w.events / HISTORY_LIMITS.events ? r : w), sizes[0]!);
const worstBytes = sizes.reduce((w, r) => (r.bytes > w.bytes ? r : w), sizes[0]!);
log('');
log(
  `largest run: ${worst.events} events (${pct(worst.events, HISTORY_LIMITS.events)} of the limit), ${worstBytes.bytes.toLocaleString('en')} bytes (${pct(worstBytes.bytes, HISTORY_LIMITS.bytes)}); budget 20%`,
);
log(`wall ${((performance.now() - t0) / 1000).toFixed(1)} s`);
