/**
 * A cancelled step is not a result (issue: nothing false is published). For every scenario: the
 * API refuses to cancel a matter's step (409 matter_task), a supervisor reassigns a step and it
 * continues under the new department with fresh clocks, and a task terminated or cancelled from
 * outside (Temporal UI or CLI) is recorded, raised to the supervisors and issued again. Nothing is
 * published until the re-issued step has reported a real outcome.
 */
import { describe, expect, test } from 'vitest';
import { toUrlId } from '../../domain/ids.js';
import type { MatterTaskRef, MatterView } from '../../domain/matter.js';
import { getTaskQuery } from '../../workflows/department-task.js';
import { prepaidCardMatter } from '../../workflows/scenarios/prepaid-card.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { eventually } from '../helpers/eventually.js';
import type { MatterDriver } from '../helpers/matter-driver.js';
import { matterLauncher, matterRecords, sleepPastTimer } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({
  queue: 'steps',
  app: true,
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
    citySupervisor: { county: '610100', roles: ['supervisor'] },
    housing: { county: '610124', department: 'housing', roles: ['officer'] },
  },
});
type Caller = keyof typeof wf.keys;
const { recorded, publicRecord } = matterRecords(wf);

async function call(as: Caller, method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await wf.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${wf.keys[as]}` },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

async function publishedCount(matterId: string): Promise<number> {
  const res = await wf.db.pool.query('SELECT count(*)::int AS n FROM public_results WHERE matter_id = $1', [matterId]);
  return res.rows[0].n as number;
}

/** The step issued again in place of `taskId`, once the matter has started it. */
async function replacement(d: MatterDriver, taskId: string): Promise<MatterTaskRef> {
  return eventually(async () => (await d.view()).tasks.find((t) => t.replaces === taskId && t.state === 'running'), { message: `a task replacing ${taskId}` });
}

/** A matter's step cannot be cancelled through the API, by an operator or a supervisor. */
async function cancelRefused(matterId: string, taskId: string) {
  for (const as of ['operator', 'supervisor'] as const) {
    const res = await call(as, 'POST', `/v1/tasks/${toUrlId(taskId)}/cancel`, { reason: '误派' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('matter_task');
    expect(res.body.error.message).toContain(toUrlId(matterId));
  }
  expect((await wf.client.workflow.getHandle(taskId).query(getTaskQuery)).state).toBe('assigned');
}

/** A supervisor moves the step: the old task ends `reassigned`, the new one starts with its own clock. */
async function reassign(d: MatterDriver, key: string, to: string, as: Caller = 'supervisor') {
  const old = await d.waitFor(key);
  const res = await call(as, 'POST', `/v1/tasks/${toUrlId(old.taskId)}/reassign`, { department: to, reason: '属于本部门职责' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toMatchObject({ department: to, state: 'assigned', matterId: d.handle.workflowId });
  expect(res.body.currentDeadline.kind).toBe('sign-for');
  expect(res.body.workflowId).not.toBe(old.taskId);
  const before = await wf.client.workflow.getHandle(old.taskId).query(getTaskQuery);
  expect(before).toMatchObject({ state: 'reassigned', reassigned: { department: to, reason: '属于本部门职责' } });
  const refs = (await d.view()).tasks;
  expect(refs.find((t) => t.taskId === old.taskId)?.state).toBe('reassigned');
  expect(refs.find((t) => t.taskId === res.body.workflowId)).toMatchObject({ key, department: to, state: 'running', replaces: old.taskId });
  await recorded(d.handle.workflowId, 'task.reassigned', 1);
}

/**
 * Cancels a step outside the API (as from the Temporal UI); the matter must record it, tell the
 * supervisors and issue it again. Termination is tested on the real dev server
 * (test/e2e/interrupted-steps.e2e.test.ts): the Java time-skipping server never tells a parent
 * that its child was terminated.
 */
async function interruptFromOutside(d: MatterDriver, key: string): Promise<MatterTaskRef> {
  const t = await d.waitFor(key);
  await wf.client.workflow.getHandle(t.taskId).cancel();
  const next = await replacement(d, t.taskId);
  expect(next).toMatchObject({ key, department: t.department });
  const v = await d.view();
  expect(v.status).toBe('open');
  expect(v.tasks.find((x) => x.taskId === t.taskId)?.state).toBe('interrupted');
  await recorded(d.handle.workflowId, 'task.interrupted', 1);
  const notes = await wf.db.pool.query("SELECT county, role FROM notifications WHERE kind = 'matter.task-interrupted' AND object_id = $1", [
    d.handle.workflowId,
  ]);
  expect(notes.rows).toContainEqual({ county: '610124', role: 'supervisor' });
  expect(await publishedCount(d.handle.workflowId)).toBe(0);
  return next;
}

const ran = (v: MatterView) => v.tasks.map((t) => [t.key, t.department, t.state]);

describe('a matter never proceeds on a step that did not report', () => {
  const housingMatter = matterLauncher(wf, 'self-built-housing', selfBuiltHousingMatter);

  test('自建房: cancel refused; survey reassigned; the appraisal cancelled from outside is issued again; published as graded', async () => {
    const d = await housingMatter({ subject: { name: '张某某', kind: 'house' }, facts: { township: '610124100', reportedHazard: true } });
    const locality = await d.waitFor('survey.locality');
    await cancelRefused(d.handle.workflowId, locality.taskId);
    await reassign(d, 'survey.planning', 'agriculture');
    await d.complete('survey.locality', 'hazard-suspected');
    await d.complete('survey.housing', 'appraisal-needed');
    await d.complete('survey.planning', 'legal');

    // Before: a cancelled appraisal left the grade at 'A' and "A级：未发现安全隐患" was published.
    await interruptFromOutside(d, 'appraisal');
    await d.complete('appraisal', 'D');
    await d.complete('emergency.evacuate', 'sealed');
    await d.complete('emergency.follow-up', 'repaired');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v).toMatchObject({ status: 'closed', result: { code: 'D-repaired' }, findings: { grade: 'D', legality: 'legal' } });
    expect(ran(v).filter(([key]) => key === 'survey.planning' || key === 'appraisal')).toEqual([
      ['survey.planning', 'natural-resources', 'reassigned'],
      ['survey.planning', 'agriculture', 'completed'],
      ['appraisal', 'housing', 'interrupted'],
      ['appraisal', 'housing', 'completed'],
    ]);
    expect((await publicRecord(v.matterId)).result_code).toBe('D-repaired');
  });

  const oilMatter = matterLauncher(wf, 'refined-oil', refinedOilMatter);

  test('成品油: cancel refused; an inspection reassigned by the city; one cancelled from outside is issued again; the verdict waits for it', async () => {
    const d = await oilMatter({
      subject: { name: '周至县某某石化有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
      facts: { township: '610124100', stationKind: 'licensed-station', participants: ['safety', 'quality'] },
    });
    const lead = await d.waitFor('inspection.lead');
    await cancelRefused(d.handle.workflowId, lead.taskId);
    await reassign(d, 'inspection.safety', 'fire', 'citySupervisor');
    await d.complete('inspection.lead', 'compliant');
    await d.complete('inspection.safety', 'compliant');

    // Before: a cancelled inspection counted as 'unknown', i.e. compliant, and the matter published.
    await interruptFromOutside(d, 'inspection.quality');
    expect((await d.view()).stage).toBe('inspection');
    await d.complete('inspection.quality', 'violation');
    await d.complete('publication', 'published');
    await d.complete('penalty.quality', 'decided');
    // The catalogue's default correction period, waited out by the calendar rules (timer 1 is
    // the publication deadline of the check's result).
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    await sleepPastTimer(wf.env, d.handle, 2);
    await d.complete('reinspection', 'rectified');
    const v = await d.handle.result();
    expect(v).toMatchObject({ result: { code: 'violations-penalised-rectified' }, findings: { 'inspection.quality': 'violation', verdict: 'violation' } });
    expect(ran(v).filter(([key]) => key === 'inspection.safety' || key === 'inspection.quality')).toEqual([
      ['inspection.safety', 'emergency', 'reassigned'],
      ['inspection.quality', 'market', 'interrupted'],
      ['inspection.safety', 'fire', 'completed'],
      ['inspection.quality', 'market', 'completed'],
    ]);
  });

  const cardMatter = matterLauncher(wf, 'prepaid-card', prepaidCardMatter);

  test('预付卡: cancel refused; verification reassigned; the transfer approval cancelled from outside is issued again, not dropped', async () => {
    const d = await cardMatter({
      subject: { name: '周至县某某健身服务有限公司', kind: 'enterprise', creditCode: '91610124MA6TH5678Y' },
      facts: { trade: 'sports', signal: 'complaint' },
    });
    const triage = await d.waitFor('triage');
    await cancelRefused(d.handle.workflowId, triage.taskId);
    await d.complete('triage', 'assigned');
    await d.complete('acceptance', 'accepted');
    await d.complete('reply.acceptance', 'replied');
    await d.complete('mediation', 'failed');
    await reassign(d, 'verification', 'market');
    await d.complete('verification', 'fraud');

    // Before: a cancelled approval made the transfer 'refused' ("经审批不移送") without anyone deciding.
    await d.step('transfer.report', 'reported');
    const approval = await d.waitForStep('transfer.approve');
    await wf.client.workflow.getHandle(approval.taskId).cancel();
    await eventually(async () => ((await d.transfer()).tasks.filter((t) => t.key === 'transfer.approve').length === 2 ? true : undefined), {
      timeoutMs: 15_000,
      message: 'the approval issued again',
    });
    const transferId = (await d.transfer()).transferId;
    const notes = await wf.db.pool.query("SELECT county, role FROM notifications WHERE kind = 'transfer.task-interrupted' AND object_id = $1", [transferId]);
    expect(notes.rows).toContainEqual({ county: '610124', role: 'supervisor' });
    await d.complete('disposal.sector', 'corrected');
    await d.complete('disposal.penalty', 'decided');
    await d.step('transfer.approve', 'approve');
    await d.step('transfer.handover', 'transferred');
    await d.step('transfer.police-decision', 'filed');
    await d.step('transfer.evidence', 'handed-over');
    await d.complete('publication', 'published');
    await d.complete('reply.outcome', 'replied');
    const v = await d.handle.result();
    expect(v).toMatchObject({ result: { code: 'transferred-to-police' }, findings: { verification: 'fraud', criminalTransfer: 'filed' } });
    expect(ran(v).filter(([key]) => key === 'verification')).toEqual([
      ['verification', 'sports', 'reassigned'],
      ['verification', 'market', 'completed'],
    ]);
    expect((await d.transfer()).tasks.filter((t) => t.key === 'transfer.approve').map((t) => [t.department, t.state])).toEqual([
      ['sports', 'interrupted'],
      ['sports', 'completed'],
    ]);
  });

  test('reassign: only a supervisor, only a running step of a matter, only to another department', async () => {
    const d = await housingMatter({ subject: { name: '李某某', kind: 'house' }, facts: { township: '610124100' } });
    const t = await d.waitFor('survey.housing');
    const url = `/v1/tasks/${toUrlId(t.taskId)}/reassign`;
    expect((await call('operator', 'POST', url, { department: 'agriculture', reason: '改派' })).status).toBe(403);
    const same = await call('supervisor', 'POST', url, { department: 'housing', reason: '改派' });
    expect(same.status).toBe(400);
    expect(same.body.error.issues.map((i: { path: string }) => i.path)).toContain('body.department');
    const bad = await call('supervisor', 'POST', url, { department: 'Not a dept', reason: '' });
    expect(bad.status).toBe(400);
    expect((await wf.client.workflow.getHandle(t.taskId).query(getTaskQuery)).state).toBe('assigned');

    const standalone = await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '独立任务' });
    expect(standalone.status).toBe(201);
    const res = await call('supervisor', 'POST', `/v1/tasks/${standalone.body.taskId}/reassign`, { department: 'market', reason: '改派' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('not_matter_task');
    await wf.client.workflow.getHandle(d.handle.workflowId).cancel();
  });
});
