/**
 * 审管衔接 (DOMAIN §6) on the time-skipping server: an approval event becomes the competent
 * department's check, its handling clock N working days from the approval (not from the sign-for);
 * a finding touching the licence is pushed back to the approval bureau and recorded; an overdue
 * check climbs its task's ladder; a revoked licence's check has its own outcomes; refusals leave
 * the follow-up as it was; the read model lists what each may see; no subject name in what is told.
 * Any department task whose finding is marked as touching a licence tells the approval bureau too
 * (the reverse push beyond the follow-up's check, `patched('licence-push')`).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { getApprovalRow, listApprovals } from '../../db/approvals.js';
import type { ApprovalInputDraft } from '../../domain/approval.js';
import { defaultCalendar, resolveDeadline, toShanghaiIso } from '../../domain/calendar/index.js';
import type { Principal } from '../../domain/principal.js';
import { approvalFollowUp, getApprovalFollowUpQuery } from '../../workflows/approval-follow-up.js';
import { departmentTask, getTaskQuery, reviewUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { eventually } from '../helpers/eventually.js';
import { useWorkflowEnv, timelineTypes, updateRefusal } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'approval-follow-up' });
const county = '610124';
const DAY = 86_400_000;
const HOLDER = '周至县某某餐饮店';
const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
const bureau: Principal = { keyId: 'k-approval', county, department: 'approval', roles: ['officer'], kind: 'system', name: '审批系统' };

async function start(over: Partial<ApprovalInputDraft> = {}) {
  const now = await wf.env.currentTimeMs();
  return wf.client.workflow.start(approvalFollowUp, {
    taskQueue: wf.taskQueue,
    workflowId: `approval:${county}:2026-${randomUUID().slice(0, 8)}`,
    args: [
      {
        county,
        event: 'licence-granted',
        licence: { type: 'food-business', typeName: '食品经营许可', number: 'JY16101240000123' },
        subject: { name: HOLDER, kind: 'individual-business', address: '二曲街道中心路12号' },
        department: 'market',
        routedBy: 'county-rules',
        firstCheckWorkingDays: 30,
        // Decided two days before it reached the platform: the clock counts from the decision.
        decidedAt: now - 2 * DAY,
        receivedAt: now,
        receivedBy: bureau,
        ...over,
      },
    ],
  });
}

type FollowUp = WorkflowHandle<typeof approvalFollowUp>;
/** The follow-up's open check task, once it is assigned. */
async function check(h: FollowUp) {
  const ref = await eventually(async () => (await h.query(getApprovalFollowUpQuery)).tasks.find((t) => t.state === 'running'), {
    message: `check task of ${h.workflowId}`,
  });
  const t = wf.client.workflow.getHandle(ref.taskId);
  await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
  return { ...ref, handle: t };
}
const types = (id: string) => timelineTypes(wf.db, id);
const recipients = async (id: string, kind: string) =>
  (
    await wf.db.pool.query<{ department: string | null; role: string | null }>(
      'SELECT department, role FROM notifications WHERE object_id = $1 AND kind = $2 ORDER BY department NULLS LAST, role',
      [id, kind],
    )
  ).rows.map((r) => r.department ?? r.role);
const refusal = updateRefusal;

describe('an approval event to its first check', () => {
  test('granted: the market bureau checks within 30 working days of the approval, finds an issue touching the licence; the approval bureau is told; closed', async () => {
    const h = await start();
    const t = await check(h);
    const task = await t.handle.query(getTaskQuery);
    const { decidedAt } = await h.query(getApprovalFollowUpQuery);
    expect(t.department).toBe('market');
    expect(t.taskId).toBe(`${h.workflowId}/task:market:1`);
    expect(task.title).toBe(`许可后首次检查：食品经营许可 准予许可 ${h.workflowId.split(':').at(-1)}`);
    expect(task.instructions).toContain(HOLDER);
    expect(task.instructions).toContain('JY16101240000123');
    expect(task.outcomes).toEqual(['compliant', 'rectification', 'licence-issue']);
    // Sign-for: 1 working day from the assignment.
    expect(task.currentDeadline).toMatchObject({ kind: 'sign-for', countsFrom: { event: 'assignment' } });

    await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    const signed = await eventually(async () => {
      const v = await t.handle.query(getTaskQuery);
      return v.currentDeadline?.kind === 'handle' && v;
    });
    // Handling: 30 working days counted from the approval (two days before the task), not from the sign-for.
    const due = resolveDeadline(Date.parse(decidedAt), { amount: 30, unit: 'working_day' }, defaultCalendar);
    expect(signed.currentDeadline).toMatchObject({ kind: 'handle', dueAt: due.dueAt, countsFrom: { event: 'matter-opened', at: decidedAt } });

    // An outcome the check does not have is refused by the task, and nothing moves.
    expect(await refusal(t.handle.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '已检查', outcome: 'ceased' }] }))).toBe(
      'InvalidInput',
    );
    expect(await refusal(t.handle.executeUpdate(submitUpdate, { args: [{ actor: officer('health'), summary: '已检查', outcome: 'compliant' }] }))).toBe(
      'Forbidden',
    );
    expect((await h.query(getApprovalFollowUpQuery)).state).toBe('checking');

    await t.handle.executeUpdate(submitUpdate, {
      args: [{ actor: officer('market'), summary: '现场检查', findings: '实际经营场所与许可地址不符', outcome: 'licence-issue' }],
    });
    const closed = await h.result();
    expect(closed).toMatchObject({
      state: 'closed',
      department: 'market',
      check: { taskId: t.taskId, outcome: 'licence-issue', summary: '现场检查', findings: '实际经营场所与许可地址不符' },
      licenceIssue: { taskId: t.taskId },
    });
    expect((await t.handle.query(getTaskQuery)).state).toBe('completed');

    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual(['received', 'task.assigned', 'checked', 'licence-issue.reported', 'closed']);
    // The reverse push: the approval bureau's inbox, and the follow-up's timeline, which it reads.
    expect(await recipients(h.workflowId, 'approval.licence-issue')).toEqual(['approval']);
    const told = await wf.db.pool.query<{ title: string; body: string }>(
      "SELECT title, body FROM notifications WHERE object_id = $1 AND kind = 'approval.licence-issue'",
      [h.workflowId],
    );
    expect(told.rows[0]!.title).toBe('涉及许可的监管发现：食品经营许可 JY16101240000123');
    expect(told.rows[0]!.body).toContain(h.workflowId);
    // The event's record names who sent it.
    const received = await wf.db.pool.query("SELECT actor_department, actor_name FROM timeline_events WHERE workflow_id = $1 AND type = 'received'", [
      h.workflowId,
    ]);
    expect(received.rows).toEqual([{ actor_department: 'approval', actor_name: '审批系统' }]);
    const row = await wf.db.pool.query('SELECT state, event, licence_type, department, departments, licence_issue FROM approvals WHERE follow_up_id = $1', [
      h.workflowId,
    ]);
    expect(row.rows).toEqual([
      { state: 'closed', event: 'licence-granted', licence_type: 'food-business', department: 'market', departments: ['market'], licence_issue: true },
    ]);
    // The task was told to the market bureau (its assignment); the holder's name is only in the task's instructions.
    expect(await recipients(t.taskId, 'task.assigned')).toEqual(['market']);
    const notices = await wf.db.pool.query<{ text: string }>(
      "SELECT title || ' ' || body AS text FROM notifications WHERE object_id = $1 OR object_id LIKE $2",
      [h.workflowId, `${h.workflowId}/%`],
    );
    expect(notices.rows.filter((r) => r.text.includes(HOLDER))).toEqual([]);
    expect(JSON.stringify((await getApprovalRow(wf.db.pool, h.workflowId))!)).not.toContain(HOLDER);
    const audit = await wf.db.pool.query('SELECT 1 FROM audit_log WHERE object_id = $1 AND details::text LIKE $2', [h.workflowId, `%${HOLDER}%`]);
    expect(audit.rows).toEqual([]);
    const d = await t.handle.describe();
    expect(await d.staticSummary()).not.toContain(HOLDER);
    expect(JSON.stringify(d.searchAttributes)).not.toContain(HOLDER);
  });

  test('an overdue check climbs its task’s ladder while the follow-up waits for it', async () => {
    const h = await start({ firstCheckWorkingDays: 2, decidedAt: await wf.env.currentTimeMs() });
    const t = await check(h);
    for (let i = 0; i < 30; i++) {
      await wf.env.sleep(DAY);
      if ((await t.handle.query(getTaskQuery)).escalations.some((e) => e.rung === 'red-card')) break;
    }
    const v = await t.handle.query(getTaskQuery);
    expect(v.overdue).toBe(true);
    expect(v.escalations.map((e) => e.rung)).toEqual(expect.arrayContaining(['chase', 'yellow-card', 'red-card']));
    await eventually(async () => (await recipients(t.taskId, 'ladder.red-card')).length === 2, { message: 'red card recorded' });
    expect(await recipients(t.taskId, 'ladder.chase')).toEqual(['market']);
    expect(await recipients(t.taskId, 'ladder.red-card')).toEqual(['county-government', 'supervisor']);
    const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };
    const overdue = await listApprovals(wf.db.pool, supervisor, { limit: 50, overdue: true });
    expect(overdue.map((r) => r.view.followUpId)).toContain(h.workflowId);
    expect((await h.query(getApprovalFollowUpQuery)).state).toBe('checking');
    await h.cancel();
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'cancelled', { message: 'cancelled recorded' });
    expect((await getApprovalRow(wf.db.pool, h.workflowId))?.state).toBe('cancelled');
    expect((await t.handle.describe()).status.name).toBe('CANCELLED');
  });

  test('revoked: the check is that the licensed activity stopped; `ceased` closes it with nothing pushed back', async () => {
    const h = await start({ event: 'licence-revoked', department: 'emergency', licence: { type: 'hazardous-chemicals', number: 'WH-2026-01' } });
    const t = await check(h);
    const task = await t.handle.query(getTaskQuery);
    expect(task.title).toBe(`许可注销后核查：hazardous-chemicals 许可注销/撤销 ${h.workflowId.split(':').at(-1)}`);
    expect(task.outcomes).toEqual(['ceased', 'licence-issue']);
    expect(task.instructions).toContain('是否已停止许可事项的经营活动');
    await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer('emergency') }] });
    await t.handle.executeUpdate(submitUpdate, { args: [{ actor: officer('emergency'), summary: '已停业，库存已清运', outcome: 'ceased' }] });
    expect(await h.result()).toMatchObject({ state: 'closed', check: { outcome: 'ceased', outcomeName: '已停止许可事项活动' } });
    expect((await h.result()).licenceIssue).toBeUndefined();
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual(['received', 'task.assigned', 'checked', 'closed']);
    expect(await recipients(h.workflowId, 'approval.licence-issue')).toEqual([]);
  });

  test('a check ended outside the API is issued again to the same department, its clock still from the approval', async () => {
    const h = await start();
    const first = await check(h);
    await first.handle.cancel();
    const second = await eventually(
      async () => (await h.query(getApprovalFollowUpQuery)).tasks.find((x) => x.state === 'running' && x.taskId !== first.taskId),
      { message: 'issued again' },
    );
    expect(second.taskId).toBe(`${h.workflowId}/task:market:2`);
    const t2 = wf.client.workflow.getHandle(second.taskId);
    await eventually(async () => (await t2.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: 'second assigned' });
    await t2.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    const { decidedAt } = await h.query(getApprovalFollowUpQuery);
    const v = await eventually(async () => {
      const x = await t2.query(getTaskQuery);
      return x.currentDeadline?.kind === 'handle' && x;
    });
    expect(v.currentDeadline?.countsFrom).toEqual({ event: 'matter-opened', at: decidedAt });
    await eventually(async () => (await types(h.workflowId)).includes('task.interrupted'), { message: 'interruption recorded' });
    await h.cancel();
  });

  test('the read model: who sees which follow-up, by state and department, in keyset pages', async () => {
    const started: FollowUp[] = [];
    for (const department of ['education', 'education', 'health'] as const) {
      const h = await start({ department });
      await eventually(async () => getApprovalRow(wf.db.pool, h.workflowId), { message: `${h.workflowId} recorded` });
      started.push(h);
      await wf.env.sleep(60_000); // distinct receipt times
    }
    const ids = started.map((h) => h.workflowId);
    const mine = (rows: { view: { followUpId: string } }[]) => rows.map((r) => r.view.followUpId).filter((id) => ids.includes(id));
    // The competent department sees its own; another department none; the approval bureau and supervisors (county, city) all.
    expect(mine(await listApprovals(wf.db.pool, officer('education'), { limit: 50 }))).toEqual([ids[1], ids[0]]);
    expect(mine(await listApprovals(wf.db.pool, officer('housing'), { limit: 50 }))).toEqual([]);
    expect(mine(await listApprovals(wf.db.pool, officer('approval'), { limit: 50 }))).toEqual([...ids].reverse());
    expect(mine(await listApprovals(wf.db.pool, { keyId: 'k-city', county: '610100', roles: ['supervisor'] }, { limit: 50 }))).toEqual([...ids].reverse());
    expect(mine(await listApprovals(wf.db.pool, { keyId: 'k-other', county: '610122', roles: ['supervisor'] }, { limit: 50 }))).toEqual([]);
    // The approval bureau of another county sees none.
    expect(mine(await listApprovals(wf.db.pool, { keyId: 'k-x', county: '610122', department: 'approval', roles: ['officer'] }, { limit: 50 }))).toEqual([]);
    expect(mine(await listApprovals(wf.db.pool, officer('approval'), { limit: 50, department: 'health' }))).toEqual([ids[2]]);
    expect(mine(await listApprovals(wf.db.pool, officer('approval'), { limit: 50, state: 'closed' }))).toEqual([]);
    const first = await listApprovals(wf.db.pool, officer('education'), { limit: 1 });
    const second = await listApprovals(wf.db.pool, officer('education'), { limit: 1, before: first[0]!.cursor });
    expect([...mine(first), ...mine(second)]).toEqual([ids[1], ids[0]]);
    expect(first[0]!.cursor.receivedAt).toBe(new Date(Date.parse((await getApprovalRow(wf.db.pool, ids[1]!))!.receivedAt)).toISOString());
    expect(toShanghaiIso(Date.parse(first[0]!.cursor.receivedAt))).toBe((await getApprovalRow(wf.db.pool, ids[1]!))!.receivedAt);
    await Promise.all(started.map((h) => h.cancel()));
  });

  test('any task completed with a finding marked as touching a licence tells the approval bureau: at the lead’s acceptance, not before', async () => {
    const h = await wf.client.workflow.start(departmentTask, {
      taskQueue: wf.taskQueue,
      workflowId: `task:${county}:market:2026-${randomUUID().slice(0, 8)}`,
      args: [{ county, department: 'market', leadDepartment: 'commerce', title: '成品油经营场所检查', instructions: '现场检查' }],
    });
    await eventually(async () => (await h.query(getTaskQuery)).currentDeadline, { message: 'assigned' });
    await h.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    // A licence of another shape is refused with its field, and nothing is told.
    expect(
      await refusal(
        h.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '检查', touchesLicence: { type: 'Refined Oil', number: 'X' } }] }),
      ),
    ).toBe('InvalidInput');
    const licence = { type: 'refined-oil-retail', number: '油零售证书第610124001号' };
    const submitted = await h.executeUpdate(submitUpdate, {
      args: [{ actor: officer('market'), summary: '检查发现超范围经营', findings: '储罐容量超出许可', touchesLicence: licence }],
    });
    expect(submitted.submission?.touchesLicence).toEqual(licence);
    await eventually(async () => (await types(h.workflowId)).includes('submitted'), { message: 'submitted recorded' });
    expect(await recipients(h.workflowId, 'approval.licence-issue')).toEqual([]);
    await h.executeUpdate(reviewUpdate, { args: [{ actor: officer('commerce'), decision: 'accept', comment: '同意' }] });
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'licence-issue.reported', { message: 'the push recorded' });
    expect((await types(h.workflowId)).slice(-2)).toEqual(['completed', 'licence-issue.reported']);
    expect(await recipients(h.workflowId, 'approval.licence-issue')).toEqual(['approval']);
    const told = await wf.db.pool.query<{ title: string; body: string }>(
      "SELECT title, body FROM notifications WHERE object_id = $1 AND kind = 'approval.licence-issue'",
      [h.workflowId],
    );
    expect(told.rows[0]!.title).toBe('涉及许可的监管发现：refined-oil-retail 油零售证书第610124001号');
    expect(told.rows[0]!.body).toContain(h.workflowId);
    const marker = (await h.fetchHistory()).events?.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(marker).toBe(true);
  });

  test('a check whose submission marks the licence itself is told once, by its task; the follow-up records it', async () => {
    const h = await start();
    const t = await check(h);
    await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    await t.handle.executeUpdate(submitUpdate, {
      args: [{ actor: officer('market'), summary: '检查', outcome: 'rectification', touchesLicence: { type: 'food-business', number: 'JY16101240000123' } }],
    });
    expect(await h.result()).toMatchObject({ state: 'closed', check: { outcome: 'rectification' }, licenceIssue: { taskId: t.taskId } });
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual(['received', 'task.assigned', 'checked', 'licence-issue.reported', 'closed']);
    expect(await recipients(h.workflowId, 'approval.licence-issue')).toEqual([]);
    expect(await recipients(t.taskId, 'approval.licence-issue')).toEqual(['approval']);
  });
});
