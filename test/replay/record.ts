/**
 * Records workflow histories for the replay tests: `npm run record:histories`.
 * Run it when a workflow changes on purpose (and add a patched() branch for running workflows);
 * the replay test then proves the recorded runs still replay with the new code.
 * Activities here only resolve clocks (pure) and skip the database: history is all we want.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createActivities } from '../../activities/index.js';
import type { Principal } from '../../domain/principal.js';
import {
  cancelUpdate, decideExtensionUpdate, departmentTask, requestExtensionUpdate, returnUpdate, reviewUpdate, signUpdate, submitUpdate,
} from '../../workflows/department-task.js';
import { timeSkippingEnv, workflowBundle } from '../helpers/temporal.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const county = '610124';
const housing: Principal = { keyId: 'k-housing', county, department: 'housing', roles: ['officer'] };
const lead: Principal = { keyId: 'k-commerce', county, department: 'commerce', roles: ['officer'] };
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };
const DAY = 86_400_000;

const env = await timeSkippingEnv();
const real = createActivities({ pool: undefined as never });
const activities = { resolveClock: real.resolveClock, recordTaskEvent: async () => {} };
const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'record', workflowBundle: await workflowBundle(), activities });
const input = { county, department: 'housing', leadDepartment: 'commerce', title: '核查自建房安全隐患', instructions: '现场核查' };

await worker.runUntil(async () => {
  const scenarios: Record<string, () => Promise<string>> = {
    async 'department-task-completed-with-extension-and-rework'() {
      const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId: 'record-1', args: [input] });
      await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, workingDays: 3, reason: '需检测' }] });
      await h.executeUpdate(decideExtensionUpdate, { args: [{ actor: lead, extensionId: 'ext-1', approve: true }] });
      await env.sleep(2 * DAY);
      await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '初步核查' }] });
      await h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'rework', comment: '补充' }] });
      await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '补充完成' }] });
      await h.executeUpdate(reviewUpdate, { args: [{ actor: supervisor, decision: 'accept', comment: '同意' }] });
      await h.result();
      return h.workflowId;
    },
    async 'department-task-ladder-then-cancelled'() {
      const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId: 'record-2', args: [input] });
      await env.sleep(25 * DAY);
      await h.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '并单' }] });
      await h.result();
      return h.workflowId;
    },
    async 'department-task-returned'() {
      const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId: 'record-3', args: [input] });
      await h.executeUpdate(returnUpdate, { args: [{ actor: housing, reason: '属规划审批', suggestedDepartment: 'natural-resources' }] });
      await h.result();
      return h.workflowId;
    },
  };
  mkdirSync(dir, { recursive: true });
  for (const [name, run] of Object.entries(scenarios)) {
    const id = await run();
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    process.stdout.write(`recorded ${name}: ${history.events?.length} events\n`);
  }
});
await env.teardown();
