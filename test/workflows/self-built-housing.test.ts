import { randomUUID } from 'node:crypto';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { addWorkingDays } from '../../domain/calendar/index.js';
import type { ScenarioOverride } from '../../domain/scenarios/schema.js';
import { cancelMatterUpdate } from '../../workflows/matter-kit.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { departmentTask, getTaskQuery } from '../../workflows/department-task.js';
import { getDisputeQuery, statePositionUpdate } from '../../workflows/jurisdiction-dispute.js';
import type { MatterDriver } from '../helpers/matter-driver.js';
import { matterLauncher, matterRecords, skipTime, sleepPastTimer, timers } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { eventually } from '../helpers/eventually.js';

const wf = useWorkflowEnv({ queue: 'sbh' });
const { stages, recorded, publicRecord, resultVersions } = matterRecords(wf);
const start = matterLauncher(wf, 'self-built-housing', selfBuiltHousingMatter);

async function launch(facts: Record<string, unknown>, override?: ScenarioOverride) {
  return start({ subject: { name: '张某某', kind: 'house', address: '周至县某村某组' }, facts: { township: '610124100', ...facts }, override });
}

async function survey(d: MatterDriver, o: { locality?: string; housing?: string; planning?: string } = {}) {
  await d.complete('survey.locality', o.locality ?? 'hazard-suspected');
  await d.complete('survey.housing', o.housing ?? 'appraisal-needed');
  await d.complete('survey.planning', o.planning ?? 'legal');
}

describe('selfBuiltHousingMatter', () => {
  test('no hazard: survey → closing → published, with no personal data in the public record', async () => {
    const d = await launch({});
    await survey(d, { locality: 'no-hazard', housing: 'no-hazard' });
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v).toMatchObject({ status: 'closed', stage: 'closed', result: { code: 'A-safe' }, findings: { grade: 'A', legality: 'legal' } });
    expect(await stages(v.matterId)).toEqual(['survey', 'closing', 'publication']);
    const pub = await wf.db.pool.query('SELECT subject_label, result_code, inspected_by FROM public_results WHERE matter_id = $1', [v.matterId]);
    expect(pub.rows).toHaveLength(1);
    expect(pub.rows[0].result_code).toBe('A-safe');
    expect(JSON.stringify(pub.rows[0])).not.toContain('张某某');
    expect(pub.rows[0].inspected_by.sort()).toEqual(['housing', 'natural-resources', 'township:610124100']);
  });

  test('grade D and illegal: evacuate and seal within hours, demolition order, then close and publish', async () => {
    const d = await launch({ reportedHazard: true });
    await survey(d, { planning: 'illegal' });
    await d.complete('appraisal', 'D');
    const evac = await d.waitFor('emergency.evacuate');
    const evacView = await wf.client.workflow.getHandle(evac.taskId).query(getTaskQuery);
    // Hours, not days: sign within 1 hour of assignment.
    expect(Date.parse(evacView.currentDeadline!.dueAt) - Date.parse(evacView.assignedAt)).toBeLessThanOrEqual(3_600_000 + 1000);
    expect(evac.department).toBe('township:610124100');
    await d.complete('emergency.evacuate', 'sealed');
    await d.complete('demolition.order', 'demolished');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result).toEqual({ code: 'D-demolished', summary: expect.stringContaining('D级危房') });
    expect(await stages(v.matterId)).toEqual(['survey', 'appraisal', 'emergency', 'demolition', 'closing', 'publication']);
  });

  test('grade D, legal: sealed, then repaired and the seal lifted before the ledger closes (no demolition order)', async () => {
    const d = await launch({});
    await survey(d);
    await d.complete('appraisal', 'D');
    await d.complete('emergency.evacuate', 'sealed');
    await d.complete('emergency.follow-up', 'repaired');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result).toEqual({ code: 'D-repaired', summary: 'D级危房：已撤离封控；加固维修并复核后解除封控' });
    expect(v.tasks.map((t) => t.key)).not.toContain('demolition.order');
    const keys = v.tasks.map((t) => t.key);
    expect(keys.indexOf('emergency.follow-up')).toBeLessThan(keys.indexOf('closing.ledger'));
  });

  test('a reported hazard starts evacuation at once, on its hour clock, while the survey goes on', async () => {
    const d = await launch({ reportedHazard: true });
    const evac = await d.waitFor('emergency.evacuate');
    const v = await d.view();
    // Nothing of the survey has been done yet, and the evacuation already runs.
    expect(v.tasks.filter((t) => t.key.startsWith('survey.')).map((t) => t.state)).toEqual(['running', 'running', 'running']);
    const task = await eventually(
      async () =>
        (await wf.client.workflow.getHandle(evac.taskId).query(getTaskQuery)).currentDeadline
          ? wf.client.workflow.getHandle(evac.taskId).query(getTaskQuery)
          : undefined,
      { message: 'the evacuation clock' },
    );
    expect(Date.parse(task.currentDeadline!.dueAt) - Date.parse(task.assignedAt)).toBe(3_600_000);
    await d.complete('emergency.evacuate', 'sealed');
    await survey(d, { locality: 'no-hazard', housing: 'no-hazard' });
    await d.complete('appraisal', 'A');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const done = await d.handle.result();
    expect(done.result).toEqual({ code: 'A-safe', summary: 'A级：经鉴定房屋安全，已解除临时撤离' });
    expect(done.tasks.filter((t) => t.key === 'emergency.evacuate')).toHaveLength(1);
  });

  test('a hazard found by the township survey starts evacuation before the other surveys report', async () => {
    const d = await launch({});
    await d.complete('survey.locality', 'hazard-found');
    await d.waitFor('emergency.evacuate');
    expect((await d.view()).tasks.filter((t) => t.key === 'survey.housing' || t.key === 'survey.planning').map((t) => t.state)).toEqual(['running', 'running']);
    await d.complete('emergency.evacuate', 'sealed');
    await d.complete('survey.housing', 'no-hazard');
    await d.complete('survey.planning', 'legal');
    await d.complete('appraisal', 'D');
    await d.complete('emergency.follow-up', 'demolished');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('D-demolished');
    expect(v.tasks.filter((t) => t.key === 'emergency.evacuate')).toHaveLength(1);
  });

  test('illegal but structurally safe: the township orders correction (乡村规划区, art. 65), and the public record says so', async () => {
    const d = await launch({});
    await survey(d, { locality: 'no-hazard', housing: 'no-hazard', planning: 'illegal' });
    const order = await d.waitFor('correction.order');
    expect(order.department).toBe('township:610124100');
    await d.complete('correction.order', 'corrected');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result).toEqual({ code: 'A-safe/illegal-corrected', summary: 'A级：房屋结构安全；违法建设已责令改正并改正到位' });
    const pub = await wf.db.pool.query('SELECT summary FROM public_results WHERE matter_id = $1', [v.matterId]);
    expect(pub.rows[0].summary).not.toContain('未发现安全隐患');
  });

  test('in a 城市、镇规划区 the planning authority orders it (art. 64); not corrected → enforcement', async () => {
    const d = await launch({ planningArea: 'urban' });
    await survey(d, { locality: 'no-hazard', housing: 'no-hazard', planning: 'illegal' });
    expect((await d.waitFor('correction.order')).department).toBe('natural-resources');
    await d.complete('correction.order', 'not-corrected');
    await d.complete('enforcement', 'enforced');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    expect((await d.handle.result()).result?.code).toBe('A-safe/illegal-enforced');
  });

  test('grade C gets partial stop-use before rectification', async () => {
    const d = await launch({});
    await survey(d);
    await d.complete('appraisal', 'C');
    const stop = await d.waitFor('emergency.partial-stop-use');
    expect(stop.department).toBe('township:610124100');
    expect((await d.view()).tasks.map((t) => t.key)).not.toContain('rectification.notice');
    await d.complete('emergency.partial-stop-use', 'restricted');
    // The appraisal ended the check: the lead publishes its result (20 working days from it).
    await d.complete('publication', 'published');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 3 });
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    await sleepPastTimer(wf.env, d.handle, 2); // timer 1: the publication deadline
    await d.complete('reinspection', 'rectified');
    await d.complete('closing.ledger', 'closed');
    const v = await d.handle.result();
    expect(v.result).toEqual({ code: 'C-rectified', summary: 'C级（局部危房）：危险部位已停止使用，整改到位' });
    // The check's result first, then the final one in its place.
    expect(await resultVersions(v.matterId)).toEqual([
      ['C-appraised', 'published', 'lead'],
      ['C-rectified', 'updated', 'system'],
    ]);
    expect(await publicRecord(v.matterId)).toMatchObject({ result_code: 'C-rectified', version: 2 });
  });

  test('an A-grade house with a business-safety violation is published as that, not as a structural hazard', async () => {
    const d = await launch({ businessUse: { trade: 'catering' } });
    await survey(d, { locality: 'no-hazard', housing: 'no-hazard' });
    await d.complete('survey.business', 'violation');
    await d.complete('publication', 'published');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 3 });
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    await sleepPastTimer(wf.env, d.handle, 2);
    await d.complete('reinspection', 'rectified');
    await d.complete('closing.ledger', 'closed');
    const v = await d.handle.result();
    // The check's result said a problem was being handled, never "no hazard" alone.
    expect(await resultVersions(v.matterId)).toEqual([
      ['A-appraised', 'published', 'lead'],
      ['A-safe/business-rectified', 'updated', 'system'],
    ]);
    const first = await wf.db.pool.query('SELECT summary FROM public_result_versions WHERE result_id = $1 AND version = 1', [`${v.matterId}/result`]);
    expect(first.rows[0].summary).toBe('A级：房屋结构安全；发现的问题正在依法处理');
    expect(v.result).toEqual({ code: 'A-safe/business-rectified', summary: 'A级：房屋结构安全；经营安全问题已整改到位' });
    expect(v.result?.summary).not.toContain('一般隐患');
  });

  test('general hazard: rectification fails twice, then enforcement (the loop is bounded)', async () => {
    const d = await launch({});
    await survey(d);
    await d.complete('appraisal', 'C');
    await d.complete('emergency.partial-stop-use', 'restricted');
    await d.complete('publication', 'published');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 10 });
    // The matter waits out the period set in the notice, then sends the re-inspection.
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    await sleepPastTimer(wf.env, d.handle, 2); // the event is written before the timer starts: wait on the timer
    await d.complete('reinspection', 'not-rectified');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 5 });
    await recorded(d.handle.workflowId, 'rectification.period', 2);
    await sleepPastTimer(wf.env, d.handle, 3);
    await d.complete('reinspection', 'not-rectified');
    await d.complete('enforcement', 'enforced');
    await d.complete('closing.ledger', 'closed');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('C-enforced');
    expect(v.findings).toMatchObject({ grade: 'C', rectification: 'enforced', rectificationRounds: 2 });
    expect(v.tasks.filter((t) => t.key === 'reinspection')).toHaveLength(2);
    const periods = await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'rectification.period' ORDER BY seq", [
      v.matterId,
    ]);
    expect(periods.rows.map((r) => r.data.days)).toEqual([10, 5]);
  });

  test('general hazard rectified on re-inspection; a business use brings its regulator into the survey', async () => {
    const d = await launch({ businessUse: { trade: 'catering' } });
    await survey(d);
    await d.complete('survey.business', 'violation');
    await d.complete('appraisal', 'B');
    await d.complete('rectification.notice', 'notice-issued');
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    // The lead does not publish the check's result: 30 days (the catalogue's default period) pass
    // its 20-working-day deadline, and the system publishes the standard result then.
    const pubTask = (await d.view()).tasks.find((t) => t.key === 'publication')!;
    // One skip per timer, each waited out: skipping through the publication's expiry and the
    // period in one go can leave the test server's time locked (a child cancelled mid-skip).
    await sleepPastTimer(wf.env, d.handle, 1);
    await recorded(d.handle.workflowId, 'published.by-system', 1);
    await sleepPastTimer(wf.env, d.handle, 2);
    await d.complete('reinspection', 'rectified');
    await d.complete('closing.ledger', 'closed');
    const v = await d.handle.result();
    expect(v.tasks.find((t) => t.taskId === pubTask.taskId)?.state).toBe('cancelled');
    expect(await resultVersions(v.matterId)).toEqual([
      ['B-appraised', 'published', 'system'],
      ['B-rectified/business-rectified', 'updated', 'system'],
    ]);
    const bySystem = await wf.db.pool.query("SELECT summary FROM timeline_events WHERE workflow_id = $1 AND type = 'published.by-system'", [v.matterId]);
    expect(bySystem.rows[0].summary).toBe('公开期限届满牵头部门未公开，系统已按标准结果公开：B级：存在一般隐患，正在整改；发现的问题正在依法处理');
    // The business-safety violation was rectified with the house and is said as such.
    expect(v.result).toEqual({ code: 'B-rectified/business-rectified', summary: 'B级：一般隐患已整改到位；经营安全问题已整改到位' });
    expect(v.tasks.find((t) => t.key === 'survey.business')?.department).toBe('market');
    expect(v.findings).toMatchObject({ businessSafety: 'violation' });
  });

  test('a county override changes who leads, and the running matter keeps its definition', async () => {
    const d = await launch({}, { roles: { lead: 'urban-management' } });
    const t = await d.waitFor('survey.housing');
    expect(t.department).toBe('urban-management');
    expect((await d.view()).leadDepartment).toBe('urban-management');
    await d.handle.cancel();
  });

  test('a returned task goes to a jurisdiction dispute; the department keeps it until agreement moves it; its history stays', async () => {
    const d = await launch({});
    const returned = await d.giveBack('survey.planning', '宅基地审批属农业农村部门', 'agriculture');
    const disputeId = await eventually(async () => (await d.view()).disputes?.[0]?.disputeId, { intervalMs: 100, message: 'the dispute to open' });
    const dispute = wf.client.workflow.getHandle(disputeId);
    await dispute.query(getDisputeQuery);
    await dispute.executeUpdate(statePositionUpdate, { args: [{ actor: d.officer('agriculture'), position: 'accept', reason: '宅基地审批属本部门' }] });
    const again = await d.waitFor('survey.planning');
    expect(again.department).toBe('agriculture');
    // The returning department kept the task until the agreement moved it (原职责划分).
    expect((await wf.client.workflow.getHandle(returned).query(getTaskQuery)).state).toBe('reassigned');
    const v = await d.view();
    expect(v.tasks.filter((t) => t.key === 'survey.planning').map((t) => [t.department, t.state])).toEqual([
      ['natural-resources', 'reassigned'],
      ['agriculture', 'running'],
    ]);
    await d.handle.cancel();
  });

  test('overdue survey tasks climb the ladder while the matter waits', async () => {
    const d = await launch({});
    const t = await d.waitFor('survey.locality');
    const h = wf.client.workflow.getHandle(t.taskId);
    const due = (await eventually(async () => (await h.query(getTaskQuery)).currentDeadline, { message: 'the sign-for deadline' })).dueAt;
    // Up to the red card (5 working days after the deadline's day, 09:00) and no further: the
    // time skipped is the work the server and the worker must do, for every task of the file.
    const redCard = Date.parse(`${addWorkingDays(due.slice(0, 10), 5)}T09:00:00.000+08:00`);
    await skipTime(wf.env, redCard - (await wf.env.currentTimeMs()) + 60_000);
    const task = await h.query(getTaskQuery);
    expect(task.overdue).toBe(true);
    expect(task.escalations.map((e) => e.rung).filter((r) => r !== 'reminder')).toEqual(['chase', 'yellow-card', 'red-card']);
    expect(task.escalationLevel).toBe(4);
    await eventually(
      async () => {
        const row = await wf.db.pool.query('SELECT escalation_level, last_seq FROM tasks WHERE task_id = $1', [t.taskId]);
        return row.rows[0]?.last_seq === task.lastEventSeq ? row.rows[0] : undefined;
      },
      { message: 'the read model at the red card' },
    ).then((row) => expect(row.escalation_level).toBe(4));
    await d.handle.cancel();
  });

  test('a step whose id a closed run already holds goes under the next id, with a record of its own', async () => {
    const matterId = `matter:610124:self-built-housing:taken-${randomUUID().slice(0, 8)}`;
    const taken = `${matterId}/task:township:610124100:1`;
    const old = await wf.client.workflow.start(departmentTask, {
      taskQueue: wf.taskQueue,
      workflowId: taken,
      args: [{ county: '610124', department: 'township:610124100', title: '手工启动的旧任务', instructions: '—' }],
    });
    await eventually(async () => (await wf.db.pool.query('SELECT 1 FROM tasks WHERE task_id = $1', [taken])).rows[0], { message: "the old run's first event" });
    await old.terminate('closed by hand');
    const d = await start({ workflowId: matterId, subject: { name: '张某某', kind: 'house', address: '周至县某村某组' }, facts: { township: '610124100' } });
    const t = await d.waitFor('survey.locality');
    expect(t.taskId).not.toBe(taken);
    expect(t.taskId.startsWith(`${matterId}/task:township:610124100:`)).toBe(true);
    // The step's own record: its assignment is there under its own id, and the old run's is untouched.
    await eventually(async () => (await wf.db.pool.query("SELECT 1 FROM timeline_events WHERE workflow_id = $1 AND type = 'assigned'", [t.taskId])).rows[0], {
      message: "the step's assignment",
    });
    const oldRow = await wf.db.pool.query('SELECT view FROM tasks WHERE task_id = $1', [taken]);
    expect(oldRow.rows[0].view.title).toBe('手工启动的旧任务');
    const newRow = await wf.db.pool.query('SELECT view FROM tasks WHERE task_id = $1', [t.taskId]);
    expect(newRow.rows[0].view.title).toBe('属地排查：房屋基本情况与安全隐患');
    await d.handle.cancel();
  });

  test('cancellation by an operator ends the matter and its open tasks', async () => {
    const d = await launch({});
    const t = await d.waitFor('survey.housing');
    await d.handle.executeUpdate(cancelMatterUpdate, { args: [{ actor: { keyId: 'k-op', county: '610124', roles: ['operator'] }, reason: '重复立案' }] });
    const v = await d.handle.result();
    expect(v).toMatchObject({ status: 'cancelled', cancelled: { reason: '重复立案' } });
    const child = wf.client.workflow.getHandle(t.taskId);
    const err = await child.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const row = await wf.db.pool.query('SELECT status FROM matters WHERE matter_id = $1', [v.matterId]);
    expect(row.rows[0].status).toBe('cancelled');
  });
});
