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
import { matterLauncher, matterRecords, sleepPastTimer, timers } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { eventually } from '../helpers/eventually.js';

const wf = useWorkflowEnv({ queue: 'sbh' });
const { stages, recorded } = matterRecords(wf);
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

  test('grade D, legal: sealed without a demolition order', async () => {
    const d = await launch({});
    await survey(d);
    await d.complete('appraisal', 'D');
    await d.complete('emergency.evacuate', 'sealed');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('D-sealed');
    expect(v.tasks.map((t) => t.key)).not.toContain('demolition.order');
  });

  test('general hazard: rectification fails twice, then enforcement (the loop is bounded)', async () => {
    const d = await launch({});
    await survey(d);
    await d.complete('appraisal', 'C');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 10 });
    // The matter waits out the period set in the notice, then sends the re-inspection.
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    await sleepPastTimer(wf.env, d.handle, 1); // the event is written before the timer starts: wait on the timer
    await d.complete('reinspection', 'not-rectified');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 5 });
    await recorded(d.handle.workflowId, 'rectification.period', 2);
    await sleepPastTimer(wf.env, d.handle, 2);
    await d.complete('reinspection', 'not-rectified');
    await d.complete('enforcement', 'enforced');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('C-enforced');
    expect(v.findings).toMatchObject({ grade: 'C', rectification: 'enforced', rectificationRounds: 2 });
    expect(v.tasks.filter((t) => t.key === 'reinspection')).toHaveLength(2);
    const periods = await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'rectification.period' ORDER BY seq", [v.matterId]);
    expect(periods.rows.map((r) => r.data.days)).toEqual([10, 5]);
  });

  test('general hazard rectified on re-inspection; a business use brings its regulator into the survey', async () => {
    const d = await launch({ businessUse: { trade: 'catering' } });
    await survey(d);
    await d.complete('survey.business', 'violation');
    await d.complete('appraisal', 'B');
    await d.complete('rectification.notice', 'notice-issued');
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    await sleepPastTimer(wf.env, d.handle, 1); // default period of the catalogue: 30 days
    await d.complete('reinspection', 'rectified');
    await d.complete('closing.ledger', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('B-rectified');
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

  test('a returned task goes to a jurisdiction dispute; agreement reassigns it; its history stays', async () => {
    const d = await launch({});
    const returned = await d.giveBack('survey.planning', '宅基地审批属农业农村部门', 'agriculture');
    let disputeId: string | undefined;
    for (let i = 0; i < 100 && !disputeId; i++) {
      disputeId = (await d.view()).disputes?.[0]?.disputeId;
      if (!disputeId) await new Promise((r) => setTimeout(r, 100));
    }
    const dispute = wf.client.workflow.getHandle(disputeId!);
    await dispute.query(getDisputeQuery);
    await dispute.executeUpdate(statePositionUpdate, { args: [{ actor: d.officer('agriculture'), position: 'accept', reason: '宅基地审批属本部门' }] });
    const again = await d.waitFor('survey.planning');
    expect(again.department).toBe('agriculture');
    expect((await wf.client.workflow.getHandle(returned).query(getTaskQuery)).state).toBe('returned');
    const v = await d.view();
    expect(v.tasks.filter((t) => t.key === 'survey.planning').map((t) => [t.department, t.state])).toEqual([['natural-resources', 'returned'], ['agriculture', 'running']]);
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
    await wf.env.sleep(redCard - (await wf.env.currentTimeMs()) + 60_000);
    const task = await h.query(getTaskQuery);
    expect(task.overdue).toBe(true);
    expect(task.escalations.map((e) => e.rung).filter((r) => r !== 'reminder')).toEqual(['chase', 'yellow-card', 'red-card']);
    expect(task.escalationLevel).toBe(4);
    await eventually(async () => {
      const row = await wf.db.pool.query('SELECT escalation_level, last_seq FROM tasks WHERE task_id = $1', [t.taskId]);
      return row.rows[0]?.last_seq === task.lastEventSeq ? row.rows[0] : undefined;
    }, { message: 'the read model at the red card' }).then((row) => expect(row.escalation_level).toBe(4));
    await d.handle.cancel();
  });

  test('a step whose id a closed run already holds goes under the next id, with a record of its own', async () => {
    const matterId = `matter:610124:self-built-housing:taken-${randomUUID().slice(0, 8)}`;
    const taken = `${matterId}/task:township:610124100:1`;
    const old = await wf.client.workflow.start(departmentTask, {
      taskQueue: wf.taskQueue, workflowId: taken,
      args: [{ county: '610124', department: 'township:610124100', title: '手工启动的旧任务', instructions: '—' }],
    });
    await eventually(async () => (await wf.db.pool.query('SELECT 1 FROM tasks WHERE task_id = $1', [taken])).rows[0], { message: 'the old run\'s first event' });
    await old.terminate('closed by hand');
    const d = await start({ workflowId: matterId, subject: { name: '张某某', kind: 'house', address: '周至县某村某组' }, facts: { township: '610124100' } });
    const t = await d.waitFor('survey.locality');
    expect(t.taskId).not.toBe(taken);
    expect(t.taskId.startsWith(`${matterId}/task:township:610124100:`)).toBe(true);
    // The step's own record: its assignment is there under its own id, and the old run's is untouched.
    await eventually(async () => (await wf.db.pool.query("SELECT 1 FROM timeline_events WHERE workflow_id = $1 AND type = 'assigned'", [t.taskId])).rows[0], { message: 'the step\'s assignment' });
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
