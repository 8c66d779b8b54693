import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { shiftByWorkingDays } from '../../domain/calendar/index.js';
import type { DisputeInputDraft } from '../../domain/dispute.js';
import type { Principal } from '../../domain/principal.js';
import { getTaskQuery, returnUpdate, reviewUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { decideDisputeUpdate, getDisputeQuery, jurisdictionDispute, statePositionUpdate } from '../../workflows/jurisdiction-dispute.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { settle } from '../helpers/history.js';
import { listDisputes } from '../../db/disputes.js';
import type { MatterDriver } from '../helpers/matter-driver.js';
import { matterLauncher } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { eventually } from '../helpers/eventually.js';

const HOUR = 3_600_000;
const wf = useWorkflowEnv({ queue: 'dispute' });

const county = '610124';
const officer = (department: string, c = county): Principal => ({ keyId: `k-${department}`, county: c, department, roles: ['officer'] });
const arbiter = (department: string, c = county): Principal => ({ keyId: `k-${department}`, county: c, department, roles: ['arbiter'] });
const citySupervisor: Principal = { keyId: 'k-city', county: '610100', roles: ['supervisor'] };

async function open(overrides: Partial<DisputeInputDraft> = {}) {
  return wf.client.workflow.start(jurisdictionDispute, {
    taskQueue: wf.taskQueue,
    workflowId: `dispute:${county}:${randomUUID().slice(0, 8)}`,
    args: [
      {
        county,
        taskKey: 'survey.planning',
        taskTitle: '规划与用地合法性核查',
        parties: ['natural-resources', 'agriculture'],
        returnedBy: 'natural-resources',
        reason: '宅基地审批属农业农村部门',
        ...overrides,
      },
    ],
  });
}

/** The dispute's state once its current rung has started (its deadline is set). */
async function current(h: WorkflowHandle<typeof jurisdictionDispute>) {
  await settle(h);
  return eventually(
    async () => {
      const v = await h.query(getDisputeQuery);
      return v.dueAt && v.history.length > 0 ? v : undefined;
    },
    { intervalMs: 100, message: 'the dispute to start a rung' },
  );
}

/** Sleeps past the current rung's deadline (read from the dispute itself). */
async function pastDeadline(h: WorkflowHandle<typeof jurisdictionDispute>) {
  const v = await current(h);
  await wf.env.sleep(Date.parse(v.dueAt!) - (await wf.env.currentTimeMs()) + HOUR);
  await settle(h);
}

async function expectRefused(h: WorkflowHandle<typeof jurisdictionDispute>, run: () => Promise<unknown>, type: string) {
  await settle(h);
  const before = (await h.fetchHistory()).events!.filter((e) => ![5, 6, 7].includes(Number(e.eventType))).length;
  const state = await h.query(getDisputeQuery);
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type });
  await settle(h);
  expect((await h.fetchHistory()).events!.filter((e) => ![5, 6, 7].includes(Number(e.eventType))).length).toBe(before);
  expect(await h.query(getDisputeQuery)).toEqual(state);
}

describe('jurisdictionDispute', () => {
  test('agreement in negotiation: one party accepts, and that is the decision', async () => {
    const h = await open();
    await h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('natural-resources'), position: 'decline', reason: '不属规划职责' }] });
    const v = await h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture'), position: 'accept', reason: '宅基地审批属本部门' }] });
    expect(v).toMatchObject({ state: 'decided', decision: { department: 'agriculture', rung: 'negotiation' } });
    expect(await h.result()).toMatchObject({ department: 'agriculture', rung: 'negotiation' });
  });

  test('two accepts at once: the first decides, the second is refused (validators read state set at once)', async () => {
    const h = await open();
    await current(h);
    const [a, b] = await Promise.allSettled([
      h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture'), position: 'accept', reason: '宅基地审批属本部门' }] }),
      h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('natural-resources'), position: 'accept', reason: '规划许可属本部门' }] }),
    ]);
    const outcomes = [a, b].map((r) => r.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'WrongState' });
    const decided = await h.result();
    const winner = [a, b].findIndex((r) => r.status === 'fulfilled') === 0 ? 'agriculture' : 'natural-resources';
    expect(decided.department).toBe(winner);
  });

  test('when every party declines, negotiation ends at once and the arbiter takes over', async () => {
    const h = await open();
    await current(h);
    await h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture'), position: 'decline', reason: '不属本部门' }] });
    await settle(h);
    const v = await current(h);
    expect(v).toMatchObject({ rung: 'coordination', arbiter: { department: 'staffing-office' } });
    expect(v.history.map((x) => [x.rung, x.outcome])).toEqual([
      ['negotiation', 'no-agreement'],
      ['coordination', undefined],
    ]);
    await h.terminate('done');
  });

  test('silent parties → the staffing office decides within its clock', async () => {
    const h = await open();
    const started = await wf.env.currentTimeMs();
    let v = await current(h);
    expect(v.rung).toBe('negotiation');
    // 7 working days to negotiate, ending at the end of the 7th working day.
    expect(Math.abs(Date.parse(v.dueAt!) - Date.parse(new Date(started).toISOString()))).toBeGreaterThan(6 * 24 * HOUR);
    await pastDeadline(h);
    v = await h.query(getDisputeQuery);
    expect(v).toMatchObject({ rung: 'coordination', level: 1, arbiter: { county, department: 'staffing-office' } });
    // The justice bureau is not the arbiter of a duties dispute; a party cannot decide either.
    await expectRefused(
      h,
      () => h.executeUpdate(decideDisputeUpdate, { args: [{ actor: arbiter('justice'), department: 'agriculture', reasoning: 'x' }] }),
      'Forbidden',
    );
    await expectRefused(
      h,
      () => h.executeUpdate(decideDisputeUpdate, { args: [{ actor: officer('agriculture'), department: 'agriculture', reasoning: 'x' }] }),
      'Forbidden',
    );
    await expectRefused(
      h,
      () => h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture'), position: 'accept', reason: '晚了' }] }),
      'WrongState',
    );
    await h.executeUpdate(decideDisputeUpdate, {
      args: [
        {
          actor: arbiter('staffing-office'),
          department: 'agriculture',
          reasoning: '依三定方案，宅基地审批由农业农村部门负责',
          legalBasis: '县农业农村局三定方案',
        },
      ],
    });
    expect(await h.result()).toMatchObject({ department: 'agriculture', rung: 'coordination', legalBasis: '县农业农村局三定方案' });
    const notes = await wf.db.pool.query("SELECT kind, department FROM notifications WHERE object_id = $1 AND kind = 'dispute.escalated'", [h.workflowId]);
    expect(notes.rows).toEqual([{ kind: 'dispute.escalated', department: 'staffing-office' }]);
  });

  test('a silent arbiter hands the dispute to the county government, then the city; a law dispute goes to the justice bureau', async () => {
    const h = await open({ kind: 'law' });
    await pastDeadline(h);
    expect((await h.query(getDisputeQuery)).arbiter).toEqual({ county, department: 'justice' });
    await pastDeadline(h);
    expect(await h.query(getDisputeQuery)).toMatchObject({ rung: 'county-government', level: 2, arbiter: { county, department: 'county-government' } });
    await pastDeadline(h);
    const v = await h.query(getDisputeQuery);
    expect(v).toMatchObject({ rung: 'city', level: 3, arbiter: { county: '610100' } });
    expect(v.history.map((x) => [x.rung, x.outcome])).toEqual([
      ['negotiation', 'expired'],
      ['coordination', 'expired'],
      ['county-government', 'expired'],
      ['city', undefined],
    ]);
    await h.executeUpdate(decideDisputeUpdate, { args: [{ actor: citySupervisor, department: 'natural-resources', reasoning: '市政府指定管辖' }] });
    expect(await h.result()).toMatchObject({ department: 'natural-resources', rung: 'city' });
  });

  test('a cross-county dispute skips the county government and goes to the city', async () => {
    const h = await open({ otherCounty: '610122', parties: ['natural-resources', 'agriculture'] });
    await pastDeadline(h);
    await pastDeadline(h);
    expect(await h.query(getDisputeQuery)).toMatchObject({ rung: 'city', arbiter: { county: '610100' } });
    // A party of the other county may state a position during negotiation; here it is past that.
    await h.executeUpdate(decideDisputeUpdate, { args: [{ actor: citySupervisor, department: 'agriculture', reasoning: '跨区域争议，由市级指定' }] });
    expect((await h.result()).rung).toBe('city');
  });

  test('across counties a party is a department of its county: the same code of the other county cannot speak for it', async () => {
    const h = await open({ otherCounty: '610122', parties: ['natural-resources', 'agriculture'] });
    await current(h);
    // natural-resources is the returning side, of 610124; agriculture the other side, of 610122.
    await expectRefused(
      h,
      () => h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture'), position: 'accept', reason: '本县农业农村局' }] }),
      'Forbidden',
    );
    await expectRefused(
      h,
      () => h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('natural-resources', '610122'), position: 'accept', reason: '邻县自然资源局' }] }),
      'Forbidden',
    );
    const v = await h.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture', '610122'), position: 'accept', reason: '宅基地在本县' }] });
    expect(v).toMatchObject({ state: 'decided', decision: { department: 'agriculture', rung: 'negotiation' } });
    await h.result();
    const notes = await wf.db.pool.query(
      "SELECT county, department FROM notifications WHERE object_id = $1 AND kind = 'dispute.decided' AND department IS NOT NULL ORDER BY county, department",
      [h.workflowId],
    );
    // The parties' lists: the other county's agriculture bureau sees it, this county's does not.
    const listed = async (p: Principal) => (await listDisputes(wf.db.pool, p, { limit: 50 })).map((r) => r.view.disputeId);
    expect(await listed(officer('agriculture', '610122'))).toContain(h.workflowId);
    expect(await listed(officer('agriculture'))).not.toContain(h.workflowId);
    expect(await listed(officer('natural-resources'))).toContain(h.workflowId);
    expect(await listed(officer('natural-resources', '610122'))).not.toContain(h.workflowId);
    // Told: both parties, each in its own county (the designated one once), nobody of the wrong county.
    expect(notes.rows).toEqual([
      { county: '610122', department: 'agriculture' },
      { county: '610124', department: 'natural-resources' },
    ]);
  });

  test('when the county government is a party (the lead returned its own task), it does not arbitrate: the city decides', async () => {
    const h = await open({ parties: ['housing', 'county-government'], returnedBy: 'housing' });
    await pastDeadline(h);
    expect(await h.query(getDisputeQuery)).toMatchObject({ rung: 'coordination', arbiter: { county, department: 'staffing-office' } });
    await pastDeadline(h);
    expect(await h.query(getDisputeQuery)).toMatchObject({ rung: 'city', arbiter: { county: '610100' } });
    await expectRefused(
      h,
      () => h.executeUpdate(decideDisputeUpdate, { args: [{ actor: arbiter('county-government'), department: 'housing', reasoning: '由住建办理' }] }),
      'Forbidden',
    );
    await h.executeUpdate(decideDisputeUpdate, { args: [{ actor: citySupervisor, department: 'housing', reasoning: '牵头部门职责' }] });
    expect((await h.result()).rung).toBe('city');
  });

  test('the reminder fires one working day before the rung’s deadline', async () => {
    const h = await open();
    const v = await current(h);
    const reminderAt = shiftByWorkingDays(Date.parse(v.dueAt!), -1).dueAtMs;
    await wf.env.sleep(reminderAt - (await wf.env.currentTimeMs()) + HOUR);
    await settle(h);
    const notes = await wf.db.pool.query("SELECT kind FROM notifications WHERE object_id = $1 AND kind = 'dispute.reminder'", [h.workflowId]);
    expect(notes.rows.length).toBe(2); // both parties
    await h.terminate('done');
  });
});

describe('a returned task inside a matter', () => {
  const start = matterLauncher(wf, 'self-built-housing', selfBuiltHousingMatter, { county, createdBy: 'k', idTag: 'd' });
  async function launch() {
    return start({ subject: { name: '某房屋', kind: 'house' }, facts: { township: '610124100' } });
  }

  async function disputeOf(d: MatterDriver) {
    const id = await eventually(async () => (await d.view()).disputes?.[0]?.disputeId, { intervalMs: 100, message: 'the dispute to open' });
    const h = wf.client.workflow.getHandle<typeof jurisdictionDispute>(id);
    await h.query(getDisputeQuery);
    return h;
  }

  test('the returning department keeps working while the dispute runs; the decision moves the task with fresh clocks', async () => {
    const d = await launch();
    const returned = await d.giveBack('survey.planning', '宅基地审批属农业农村部门', 'agriculture');
    const dispute = await disputeOf(d);
    // 原职责划分: the task stays open with its clocks; the return is on its record.
    const kept = await wf.client.workflow.getHandle(returned).query(getTaskQuery);
    expect(kept).toMatchObject({ state: 'assigned', disputed: { reason: '宅基地审批属农业农村部门', suggestedDepartment: 'agriculture' } });
    expect(kept.currentDeadline).toBeDefined();
    expect((await d.view()).tasks.filter((x) => x.key === 'survey.planning').map((x) => [x.department, x.state])).toEqual([['natural-resources', 'running']]);
    // One dispute at a time: a second return while it runs is refused.
    const again = await wf.client.workflow
      .getHandle(returned)
      .executeUpdate(returnUpdate, { args: [{ actor: officer('natural-resources'), reason: '再退' }] })
      .catch((e: unknown) => e);
    expect((again as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'WrongState' });
    expect((await dispute.query(getDisputeQuery)).parties).toEqual(['natural-resources', 'agriculture']);
    await pastDeadline(dispute);
    const before = await wf.env.currentTimeMs();
    await dispute.executeUpdate(decideDisputeUpdate, { args: [{ actor: arbiter('staffing-office'), department: 'agriculture', reasoning: '宅基地审批职责' }] });
    const t = await d.waitFor('survey.planning');
    expect(t.department).toBe('agriculture');
    const task = await wf.client.workflow.getHandle(t.taskId).query(getTaskQuery);
    expect(Date.parse(task.assignedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect((await wf.client.workflow.getHandle(returned).query(getTaskQuery)).state).toBe('reassigned');
    expect((await d.view()).tasks.filter((x) => x.key === 'survey.planning').map((x) => [x.department, x.state])).toEqual([
      ['natural-resources', 'reassigned'],
      ['agriculture', 'running'],
    ]);
    // The designated department cannot send it back on the same grounds.
    expect(task.designated).toEqual({ disputeId: dispute.workflowId, basis: 'duties' });
    await d.handle.cancel();
  });

  test('the returning department finishes the step during the dispute: it stands, and the decision is only recorded', async () => {
    const d = await launch();
    const returned = await d.giveBack('survey.planning', '宅基地审批属农业农村部门', 'agriculture');
    const dispute = await disputeOf(d);
    const h = wf.client.workflow.getHandle(returned);
    const actor = officer('natural-resources');
    await h.executeUpdate(signUpdate, { args: [{ actor }] });
    const submitted = await h.executeUpdate(submitUpdate, { args: [{ actor, summary: '核查完毕', outcome: 'legal' }] });
    await h.executeUpdate(reviewUpdate, { args: [{ actor: d.reviewer(submitted), decision: 'accept', comment: '同意' }] });
    await pastDeadline(dispute);
    await dispute.executeUpdate(decideDisputeUpdate, { args: [{ actor: arbiter('staffing-office'), department: 'agriculture', reasoning: '宅基地审批职责' }] });
    await eventually(async () => ((await d.view()).disputes?.[0]?.state === 'decided' ? true : undefined), {
      timeoutMs: 10_000,
      message: 'the decision recorded',
    });
    const v = await d.view();
    expect(v.tasks.filter((x) => x.key === 'survey.planning').map((x) => [x.department, x.state, x.outcome])).toEqual([
      ['natural-resources', 'completed', 'legal'],
    ]);
    const decided = await wf.db.pool.query("SELECT summary FROM timeline_events WHERE workflow_id = $1 AND type = 'dispute.decided'", [v.matterId]);
    expect(decided.rows[0].summary).toBe('指定管辖：「规划与用地合法性核查」由农业农村局办理（该环节已办结，决定记录在案）');
    await d.handle.cancel();
  });

  test('an emergency temporary lead works the task at once; a final decision for another department reassigns it', async () => {
    const d = await launch();
    await d.giveBack('survey.planning', '不属本部门', 'agriculture');
    const dispute = await disputeOf(d);
    await dispute.executeUpdate(decideDisputeUpdate, {
      args: [{ actor: arbiter('staffing-office'), department: 'urban-management', reasoning: '紧急：先行处置', temporary: true }],
    });
    const interim = await d.waitFor('survey.planning');
    expect(interim.department).toBe('urban-management');
    await pastDeadline(dispute);
    await dispute.executeUpdate(decideDisputeUpdate, {
      args: [{ actor: arbiter('staffing-office'), department: 'agriculture', reasoning: '最终：宅基地审批职责' }],
    });
    await eventually(async () => (await d.view()).tasks.some((x) => x.department === 'agriculture'), {
      intervalMs: 100,
      message: 'the step issued to agriculture',
    });
    expect((await d.view()).tasks.filter((x) => x.key === 'survey.planning').map((x) => [x.department, x.state])).toEqual([
      ['natural-resources', 'reassigned'],
      ['urban-management', 'reassigned'],
      ['agriculture', 'running'],
    ]);
    await d.handle.cancel();
  });

  test('a designation binds: the designated department cannot return the task on the same grounds (409 designated)', async () => {
    const d = await launch();
    await d.giveBack('survey.planning', '宅基地审批属农业农村部门', 'agriculture');
    const dispute = await disputeOf(d);
    await dispute.executeUpdate(statePositionUpdate, { args: [{ actor: officer('agriculture'), position: 'accept', reason: '宅基地审批属本部门' }] });
    const t = await d.waitFor('survey.planning');
    expect(t.department).toBe('agriculture');
    const task = wf.client.workflow.getHandle(t.taskId);
    const err = await task.executeUpdate(returnUpdate, { args: [{ actor: officer('agriculture'), reason: '还是规划部门的事' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'Designated' });
    expect((await task.query(getTaskQuery)).state).toBe('assigned');
    // Other grounds (applying the law, which the justice bureau coordinates) may still be raised:
    // a second dispute, while agriculture keeps the task.
    await task.executeUpdate(returnUpdate, { args: [{ actor: officer('agriculture'), reason: '涉及法律适用', basis: 'law' }] });
    expect(await task.query(getTaskQuery)).toMatchObject({ state: 'assigned', disputed: { basis: 'law' } });
    await eventually(async () => ((await d.view()).disputes?.length === 2 ? true : undefined), { timeoutMs: 10_000, message: 'the second dispute' });
    await d.handle.cancel();
  });

  /** Close times of the matter and of every child it started (tasks, disputes), from the server. */
  async function closeTimes(d: MatterDriver) {
    const v = await d.view().catch(() => undefined);
    const ids = [...(v?.tasks ?? []).map((t) => t.taskId), ...(v?.disputes ?? []).map((x) => x.disputeId)];
    const closeOf = async (id: string) => {
      const desc = await wf.client.workflow.getHandle(id).describe();
      return { id, status: desc.status.name, closedAt: desc.closeTime?.getTime() };
    };
    return { matter: await closeOf(d.handle.workflowId), children: await Promise.all(ids.map(closeOf)) };
  }

  test('a matter cancelled while its dispute is open ends the dispute first, on the record, and no child outlives it', async () => {
    const d = await launch();
    await d.giveBack('survey.planning', '不属本部门', 'agriculture');
    const dispute = await disputeOf(d);
    await d.handle.cancel();
    await expect(d.handle.result()).rejects.toThrow();
    // The arbiters' list no longer shows it as open: the read model says it ended, and why.
    const row = await wf.db.pool.query('SELECT state, view FROM disputes WHERE dispute_id = $1', [dispute.workflowId]);
    expect(row.rows[0]).toMatchObject({ state: 'ended', view: { state: 'ended', ended: { reason: '所属事项已结束' } } });
    const events = await wf.db.pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [dispute.workflowId]);
    expect(events.rows.map((r) => r.type).at(-1)).toBe('dispute.ended');
    const { matter, children } = await closeTimes(d);
    expect(matter.status).toBe('CANCELLED');
    // The returned task was still being worked (原职责划分): cancelled with the rest.
    expect(children.map((c) => c.status).sort()).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);
    for (const c of children) expect(c.closedAt, c.id).toBeLessThanOrEqual(matter.closedAt!);
    const m = await wf.db.pool.query('SELECT view FROM matters WHERE matter_id = $1', [d.handle.workflowId]);
    expect(m.rows[0].view.disputes.map((x: { state: string }) => x.state)).toEqual(['ended']);
  });

  test('parallel steps of a cancelled matter all end before the matter does', async () => {
    const d = await launch();
    await Promise.all(['survey.locality', 'survey.housing', 'survey.planning'].map((k) => d.waitFor(k)));
    await d.handle.cancel();
    await expect(d.handle.result()).rejects.toThrow();
    const { matter, children } = await closeTimes(d);
    expect(children.map((c) => c.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    for (const c of children) expect(c.closedAt, c.id).toBeLessThanOrEqual(matter.closedAt!);
    // Each task recorded its own cancellation before the matter recorded its end (the audit log's
    // order is the order of the writes).
    const order = await wf.db.pool.query('SELECT object_id FROM audit_log WHERE object_id = ANY($1) AND action = $2 ORDER BY id', [
      [d.handle.workflowId, ...children.map((c) => c.id)],
      'cancelled',
    ]);
    expect(order.rows).toHaveLength(4);
    expect(order.rows.map((r) => r.object_id).at(-1)).toBe(d.handle.workflowId);
  });

  test('a matter that closes while its dispute is still open (the temporary lead did the work) ends the dispute first', async () => {
    const d = await launch();
    await d.giveBack('survey.planning', '不属本部门', 'agriculture');
    const dispute = await disputeOf(d);
    await dispute.executeUpdate(decideDisputeUpdate, {
      args: [{ actor: arbiter('staffing-office'), department: 'urban-management', reasoning: '紧急：先行处置', temporary: true }],
    });
    await d.complete('survey.locality', 'no-hazard');
    await d.complete('survey.housing', 'no-hazard');
    await d.complete('survey.planning', 'legal');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.status).toBe('closed');
    expect(v.disputes?.map((x) => x.state)).toEqual(['ended']);
    const row = await wf.db.pool.query('SELECT state FROM disputes WHERE dispute_id = $1', [dispute.workflowId]);
    expect(row.rows[0].state).toBe('ended');
    const { matter, children } = await closeTimes(d);
    for (const c of children) expect(c.closedAt, c.id).toBeLessThanOrEqual(matter.closedAt!);
  });
});
