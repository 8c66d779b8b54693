/** A county configures its dispute ladder: who coordinates and how long each rung has. */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { resolveDeadline } from '../../domain/calendar/index.js';
import type { MatterInput } from '../../domain/matter.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import { getDisputeQuery, jurisdictionDispute, statePositionUpdate } from '../../workflows/jurisdiction-dispute.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { settle } from '../helpers/history.js';
import { MatterDriver } from '../helpers/matter-driver.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { eventually } from '../helpers/eventually.js';

const w = useWorkflowEnv({ queue: 'dispute-settings' });
const county = '610124';

/** The dispute once its first rung has a deadline. */
async function started(h: WorkflowHandle<typeof jurisdictionDispute>) {
  return eventually(
    async () => {
      const v = await h.query(getDisputeQuery);
      return v.dueAt ? v : undefined;
    },
    { intervalMs: 100, message: 'the first rung to start' },
  );
}

describe('a county’s dispute ladder settings', () => {
  test('a shorter negotiation and another coordinating department', async () => {
    const h = await w.client.workflow.start(jurisdictionDispute, {
      taskQueue: w.taskQueue,
      workflowId: `dispute:${county}:s-${randomUUID().slice(0, 8)}`,
      args: [
        {
          county,
          taskKey: 'k',
          taskTitle: '核查',
          parties: ['natural-resources', 'agriculture'],
          returnedBy: 'natural-resources',
          reason: 'x',
          settings: { negotiation: { amount: 2, unit: 'working_day', startsFrom: 'previous-step' }, coordination: { dutiesArbiter: 'county-government' } },
        },
      ],
    });
    const startedAt = await w.env.currentTimeMs();
    const v = await started(h);
    expect(v.dueAt).toBe(resolveDeadline(startedAt, { amount: 2, unit: 'working_day' }).dueAt);
    await h.executeUpdate(statePositionUpdate, {
      args: [{ actor: { keyId: 'k', county, department: 'agriculture', roles: ['officer'] }, position: 'decline', reason: '不属本部门' }],
    });
    await settle(h);
    expect((await h.query(getDisputeQuery)).arbiter).toEqual({ county, department: 'county-government' });
    await h.terminate('done');
  });

  test('a matter takes the settings from the county’s catalogue override', async () => {
    const input: MatterInput = {
      county,
      subject: { name: '某房屋', kind: 'house' },
      facts: { township: '610124100' },
      definition: resolveScenario(catalogue['self-built-housing'], { disputes: { coordination: { dutiesArbiter: 'justice' } } }, 1),
      createdBy: 'k',
    };
    const handle = await w.client.workflow.start(selfBuiltHousingMatter, {
      taskQueue: w.taskQueue,
      workflowId: `matter:${county}:self-built-housing:s-${randomUUID().slice(0, 8)}`,
      args: [input],
    });
    const d = new MatterDriver(w.client, handle);
    await d.giveBack('survey.planning', '不属本部门', 'agriculture');
    const disputeId = await eventually(async () => (await d.view()).disputes?.[0]?.disputeId, { intervalMs: 100, message: 'the dispute to open' });
    const dispute = w.client.workflow.getHandle<typeof jurisdictionDispute>(disputeId);
    await started(dispute);
    await dispute.executeUpdate(statePositionUpdate, { args: [{ actor: d.officer('agriculture'), position: 'decline', reason: '不属本部门' }] });
    await settle(dispute);
    expect((await dispute.query(getDisputeQuery)).arbiter).toEqual({ county, department: 'justice' });
    await handle.cancel();
  });
});
