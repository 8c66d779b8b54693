/**
 * A step terminated from outside (Temporal UI or CLI) on the real dev server, for each pilot: the
 * matter records it, tells the county supervisors, closes the dead task in the inbox and issues
 * the step again; the public result waits for the re-issued step's real outcome. (The Java
 * time-skipping server never reports a child's termination to its parent, so this tier is where
 * termination is tested; cancellation is tested in test/workflows/interrupted-steps.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import { eventually } from '../helpers/eventually.js';
import { MatterDriver } from '../helpers/matter-driver.js';
import { useStack } from '../helpers/stack.js';

const stack = useStack({
  queue: 'e2e-steps',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
    housing: { county: '610124', department: 'housing', roles: ['officer'] },
  },
});
const { call } = stack;

/** Launches through HTTP; the departments are then played with the same Updates the API sends. */
async function launch(body: Record<string, unknown>): Promise<MatterDriver> {
  const res = await call('operator', 'POST', '/v1/matters', { county: '610124', ...body }, { 'idempotency-key': `e2e-${randomUUID()}` });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return new MatterDriver(stack.client, stack.client.workflow.getHandle<(input: MatterInput) => Promise<MatterView>>(res.body.workflowId as string));
}

async function published(matterId: string) {
  const res = await stack.db.pool.query('SELECT result_code FROM public_results WHERE matter_id = $1', [matterId]);
  return res.rows.map((r) => r.result_code as string);
}

/** Terminates the running `key` step and checks what the matter, the inbox and the supervisors see. */
async function terminate(d: MatterDriver, key: string) {
  const t = await d.waitFor(key);
  await stack.client.workflow.getHandle(t.taskId).terminate('在 Temporal UI 中终止');
  const next = await eventually(async () => (await d.view()).tasks.find((x) => x.replaces === t.taskId && x.state === 'running'), {
    message: `${key} issued again`,
  });
  expect(next.department).toBe(t.department);

  const matterId = d.handle.workflowId;
  const detail = await call('supervisor', 'GET', `/v1/matters/${matterId.replaceAll('/', '~')}`);
  expect(detail.body.status).toBe('open');
  expect(detail.body.timeline.filter((e: { type: string }) => e.type === 'task.interrupted')).toHaveLength(1);
  // The dead task leaves the inbox (its row closed, or never written); the re-issued one is there
  // with a fresh sign-for clock.
  const fresh = await eventually(
    async () => {
      const r = await stack.db.pool.query('SELECT state, due_at FROM tasks WHERE task_id = $1', [next.taskId]);
      return r.rows[0] as { state: string; due_at: Date | null } | undefined;
    },
    { message: 'the re-issued task in the read model' },
  );
  expect(fresh.state).toBe('assigned');
  expect(fresh.due_at).not.toBeNull();
  const dead = await stack.db.pool.query('SELECT state FROM tasks WHERE task_id = $1', [t.taskId]);
  expect(dead.rows).toEqual([{ state: 'cancelled' }]);
  const inbox = await call('supervisor', 'GET', '/v1/tasks?state=assigned&limit=200');
  expect(inbox.body.items.map((x: { workflowId: string }) => x.workflowId)).not.toContain(t.taskId);
  const notices = await call('supervisor', 'GET', `/v1/notifications?objectId=${encodeURIComponent(matterId)}`);
  expect(notices.status).toBe(200);
  expect(notices.body.items.map((n: { kind: string }) => n.kind)).toContain('matter.task-interrupted');
  expect(await published(matterId)).toEqual([]);
}

describe('a step terminated from outside is issued again (real dev server)', () => {
  test('自建房: the appraisal terminated; re-issued; graded D, repaired, and published as such', async () => {
    const d = await launch({
      scenario: 'self-built-housing',
      subject: { name: '赵某某', kind: 'house' },
      facts: { township: '610124100', reportedHazard: true },
    });
    await d.complete('survey.locality', 'hazard-suspected');
    await d.complete('survey.housing', 'appraisal-needed');
    await d.complete('survey.planning', 'legal');
    await terminate(d, 'appraisal');
    await d.complete('appraisal', 'D');
    await d.complete('emergency.evacuate', 'sealed');
    await d.complete('emergency.follow-up', 'repaired');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    expect((await d.handle.result()).result?.code).toBe('D-repaired');
    expect(await published(d.handle.workflowId)).toEqual(['D-repaired']);
  });

  test('成品油: an inspection terminated; the verdict waits for the re-issued one', async () => {
    const d = await launch({
      scenario: 'refined-oil',
      subject: { name: '周至县某某石化有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
      facts: { township: '610124100', stationKind: 'licensed-station', participants: ['safety', 'quality'] },
    });
    await d.complete('inspection.lead', 'compliant');
    await d.complete('inspection.safety', 'compliant');
    await terminate(d, 'inspection.quality');
    expect((await d.view()).stage).toBe('inspection');
    await d.complete('inspection.quality', 'compliant');
    await d.complete('publication', 'published');
    expect((await d.handle.result()).result?.code).toBe('compliant');
  });

  test('预付卡: the transfer approval terminated; re-issued, not silently refused', async () => {
    const d = await launch({
      scenario: 'prepaid-card',
      subject: { name: '周至县某某健身服务有限公司', kind: 'enterprise', creditCode: '91610124MA6TH5678Y' },
      facts: { trade: 'sports', signal: 'complaint' },
    });
    await d.complete('triage', 'assigned');
    await d.complete('acceptance', 'accepted');
    await d.complete('reply.acceptance', 'replied');
    await d.complete('mediation', 'failed');
    await d.complete('verification', 'fraud');
    await d.step('transfer.report', 'reported');
    const dead = await d.waitForStep('transfer.approve');
    await stack.client.workflow.getHandle(dead.taskId).terminate('在 Temporal UI 中终止');
    const transferId = (await d.transfer()).transferId;
    // Through the API: the transfer shows the step interrupted and issued again.
    const shown = await eventually(
      async () => {
        const r = await call('supervisor', 'GET', `/v1/transfers/${transferId.replaceAll('/', '~')}`);
        return r.status === 200 && r.body.tasks.filter((t: { key: string }) => t.key === 'transfer.approve').length === 2 ? r.body : undefined;
      },
      { message: 'the approval issued again' },
    );
    expect(shown.tasks.map((t: { key: string; state: string }) => [t.key, t.state])).toEqual([
      ['transfer.report', 'completed'],
      ['transfer.approve', 'interrupted'],
      ['transfer.approve', 'running'],
    ]);
    expect(shown.timeline.map((e: { type: string }) => e.type)).toContain('transfer.task-interrupted');
    const row = await eventually(
      async () => (await stack.db.pool.query('SELECT state FROM tasks WHERE task_id = $1', [dead.taskId])).rows[0] as { state: string } | undefined,
      { message: 'the dead row' },
    );
    await eventually(
      async () => ((await stack.db.pool.query('SELECT state FROM tasks WHERE task_id = $1', [dead.taskId])).rows[0]?.state === 'cancelled' ? true : undefined),
      { message: `the dead task's row closed (was ${row.state})` },
    );
    await d.complete('disposal.sector', 'corrected');
    await d.complete('disposal.penalty', 'decided');
    await d.step('transfer.approve', 'approve');
    await d.step('transfer.handover', 'transferred');
    await d.step('transfer.police-decision', 'filed');
    await d.step('transfer.evidence', 'handed-over');
    await d.complete('publication', 'published');
    await d.complete('reply.outcome', 'replied');
    const v = await d.handle.result();
    expect(v).toMatchObject({ result: { code: 'transferred-to-police' }, findings: { criminalTransfer: 'filed' } });
  });
});
