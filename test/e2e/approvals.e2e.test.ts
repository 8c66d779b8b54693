/**
 * 审管衔接 end to end through HTTP with real parts: Temporal dev server, PostgreSQL, the worker and
 * the API. The approval bureau's system sends a licence granted; the county's approval rules send
 * it to the market bureau, which finds the check in its inbox, signs and submits with a finding
 * touching the licence; the approval bureau gets the notice; the follow-up closes. Any other
 * department task whose finding is marked as touching a licence reaches the bureau the same way.
 */
import { describe, expect, test } from 'vitest';
import { defaultCalendar, resolveDeadline, toShanghaiIso } from '../../domain/calendar/index.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-approvals',
  keys: {
    approvalSystem: { county, department: 'approval', roles: ['officer'], kind: 'system', name: '行政审批系统' },
    operator: { county, roles: ['operator'] },
    admin: { county, roles: ['admin'] },
    supervisor: { county, roles: ['supervisor'] },
    market: { county, department: 'market', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
    housing: { county, department: 'housing', roles: ['officer'] },
    otherBureau: { county: '610122', department: 'approval', roles: ['officer'] },
  },
});
const { call } = stack;

const HOLDER = '周至县某某小吃店';
let n = 0;
/** An approval event as the bureau's system sends it; its id is the Idempotency-Key. */
function approvalEvent(o: Record<string, unknown> = {}) {
  const eventId = `SP${Date.now()}${String(++n).padStart(3, '0')}`;
  return {
    eventId,
    body: {
      event: 'licence-granted',
      licence: { type: 'food-business', number: `JY1610124${String(n).padStart(7, '0')}` },
      subject: { name: HOLDER, kind: 'individual-business', address: '二曲街道中心路8号' },
      county,
      ...o,
    },
  };
}
type FollowUp = { state: string; tasks: { taskId: string; department: string; state: string }[]; [k: string]: any };
const followUpOf = async (who: string, id: string) => (await call(who, 'GET', `/v1/approvals/${id}`)).body as FollowUp;
const counts = async () =>
  (
    await stack.db.pool.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM approvals) || '/' || (SELECT count(*) FROM tasks) || '/' || (SELECT count(*) FROM idempotency_keys) || '/' || (SELECT count(*) FROM approval_rules) AS n`,
    )
  ).rows[0]!.n;

describe('approval events through HTTP', () => {
  test('a licence granted to its first check: intake 201, retry 200; the market bureau’s inbox; licence-issue; the approval bureau told; closed', async () => {
    const rules = await call('admin', 'PUT', `/v1/counties/${county}/approval-rules`, {
      licences: [{ type: 'food-business', name: '食品经营许可', department: 'market', firstCheckWorkingDays: 20 }],
      baseVersion: 0,
    });
    expect(rules.status, JSON.stringify(rules.body)).toBe(200);
    expect(rules.body).toMatchObject({ version: 1, effectiveSettings: { firstCheckWorkingDays: 30, signForWorkingDays: 1 } });
    expect((await call('approvalSystem', 'GET', `/v1/counties/${county}/approval-rules`)).body.licences).toEqual([
      { type: 'food-business', name: '食品经营许可', department: 'market', firstCheckWorkingDays: 20 },
    ]);
    // An edit of an old version is refused, and so is anyone but the county's admin.
    const stale = await call('admin', 'PUT', `/v1/counties/${county}/approval-rules`, { licences: [], baseVersion: 0 });
    expect([stale.status, stale.body.error.code]).toEqual([409, 'stale_version']);
    expect((await call('market', 'PUT', `/v1/counties/${county}/approval-rules`, { licences: [] })).status).toBe(403);
    expect((await call('housing', 'GET', `/v1/counties/${county}/approval-rules`)).status).toBe(403);
    const audited = await stack.db.pool.query('SELECT action FROM audit_log WHERE object_id = $1', [`approval-rules:${county}`]);
    expect(audited.rows).toEqual([{ action: 'approval-rules.replaced' }]);

    // Decided five days before it reaches the platform: the clock counts from the decision.
    const decidedAt = toShanghaiIso(Date.now() - 5 * 86_400_000);
    const e = approvalEvent({ decidedAt });
    const first = await call('approvalSystem', 'POST', '/v1/approvals', e.body, { 'idempotency-key': e.eventId });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const followUpId = first.body.followUpId as string;
    expect(followUpId).toMatch(/^approval:610124:\d{4}-\d{4}$/);
    expect(first.body).toEqual({
      followUpId,
      state: 'checking',
      stateName: '事后监管检查中',
      department: 'market',
      departmentName: '市场监督管理局',
      routedBy: 'county-rules',
      firstCheckWorkingDays: 20,
    });
    // The bureau's system sends the same event again: the same follow-up, 200.
    const retry = await call('approvalSystem', 'POST', '/v1/approvals', e.body, { 'idempotency-key': e.eventId });
    expect(retry.status).toBe(200);
    expect(retry.body.followUpId).toBe(followUpId);
    // The same event id with another body is refused.
    const reused = await call('approvalSystem', 'POST', '/v1/approvals', { ...e.body, event: 'filing' }, { 'idempotency-key': e.eventId });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'idempotency_key_reused']);

    // The market bureau finds the check in its inbox, with the holder and the clock from the decision.
    const inboxed = await eventually(
      async () =>
        ((await call('market', 'GET', '/v1/tasks?state=assigned')).body.items as { taskId: string; title: string }[]).find((t) =>
          t.taskId.startsWith(`${followUpId}~task:market:`),
        ),
      { message: 'the check in the market bureau’s inbox' },
    );
    expect(inboxed.title).toContain('许可后首次检查：食品经营许可');
    const task = (await call('market', 'GET', `/v1/tasks/${inboxed.taskId}`)).body;
    expect(task.instructions).toContain(HOLDER);
    expect(task.outcomes).toEqual(['compliant', 'rectification', 'licence-issue']);
    // Another department sees neither the check nor the follow-up; another county's bureau neither.
    expect((await call('housing', 'GET', `/v1/tasks/${inboxed.taskId}`)).status).toBe(404);
    expect((await call('housing', 'GET', `/v1/approvals/${followUpId}`)).status).toBe(404);
    expect((await call('otherBureau', 'GET', `/v1/approvals/${followUpId}`)).status).toBe(404);
    expect((await call('housing', 'GET', '/v1/approvals')).body.items).toEqual([]);
    // The approval bureau, the market bureau and the supervisors list it.
    for (const who of ['approvalSystem', 'market', 'supervisor']) {
      const listed = await call(who, 'GET', '/v1/approvals?state=checking&department=market');
      expect(
        listed.body.items.map((a: FollowUp) => a.followUpId),
        who,
      ).toContain(followUpId);
    }

    expect((await call('market', 'POST', `/v1/tasks/${inboxed.taskId}/sign`)).status).toBe(200);
    const signed = (await call('market', 'GET', `/v1/tasks/${inboxed.taskId}`)).body;
    expect(signed.currentDeadline).toMatchObject({ kind: 'handle', countsFrom: { event: 'matter-opened', at: decidedAt } });
    // 20 working days (the county's rule for the licence type) from the decision, by the calendar.
    expect(signed.currentDeadline.dueAt).toBe(resolveDeadline(Date.parse(decidedAt), { amount: 20, unit: 'working_day' }, defaultCalendar).dueAt);
    // An outcome the check does not have: 400 on the field, nothing done.
    const wrong = await call('market', 'POST', `/v1/tasks/${inboxed.taskId}/submit`, { summary: '已检查', outcome: 'ceased' });
    expect(wrong.status).toBe(400);
    const submitted = await call('market', 'POST', `/v1/tasks/${inboxed.taskId}/submit`, {
      summary: '首次检查：现场检查后厨与许可不符',
      findings: '实际经营项目超出许可范围（含冷食类）',
      outcome: 'licence-issue',
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);

    const closed = await eventually(
      async () => {
        const f = await followUpOf('approvalSystem', followUpId);
        return f.state === 'closed' ? f : undefined;
      },
      { message: 'the follow-up closed' },
    );
    expect(closed).toMatchObject({
      event: 'licence-granted',
      licence: { type: 'food-business', typeName: '食品经营许可', number: e.body.licence.number },
      subject: { kind: 'individual-business' },
      department: 'market',
      check: { outcome: 'licence-issue', findings: '实际经营项目超出许可范围（含冷食类）', taskId: inboxed.taskId },
      licenceIssue: { taskId: inboxed.taskId },
    });
    expect(closed.timeline.map((t: { type: string }) => t.type)).toEqual(['received', 'task.assigned', 'checked', 'licence-issue.reported', 'closed']);
    expect(closed.timeline[0].actorDepartment).toBe('approval');
    expect(closed.departmentTasks.map((t: { state: string }) => t.state)).toEqual(['completed']);
    // The holder is named only in the check's instructions (the task, which the bureau and the department read).
    const { departmentTasks, ...own } = closed;
    expect(JSON.stringify(own)).not.toContain(HOLDER);
    expect(departmentTasks[0].instructions).toContain(HOLDER);

    // The reverse push in the approval bureau's inbox, naming the licence and the follow-up, not the holder.
    const told = await eventually(
      async () =>
        (
          (await call('approvalSystem', 'GET', `/v1/notifications?objectId=${encodeURIComponent(followUpId)}`)).body.items as {
            kind: string;
            title: string;
            body: string;
          }[]
        ).find((x) => x.kind === 'approval.licence-issue'),
      { message: 'the approval bureau told' },
    );
    expect(told.title).toBe(`涉及许可的监管发现：食品经营许可 ${e.body.licence.number}`);
    expect(told.body).toContain(followUpId);
    expect(JSON.stringify(told)).not.toContain(HOLDER);
    // Only the bureau got it; the holder's name is in no notice, the read model, the timeline or the audit trail.
    const recipients = await stack.db.pool.query("SELECT department FROM notifications WHERE kind = 'approval.licence-issue' AND object_id = $1", [followUpId]);
    expect(recipients.rows).toEqual([{ department: 'approval' }]);
    for (const table of ['approvals', 'timeline_events', 'audit_log', 'audit_texts', 'notifications']) {
      const dump = (await stack.db.pool.query(`SELECT coalesce(string_agg(t::text, ' '), '') AS all FROM ${table} t`)).rows[0].all as string;
      expect(dump, table).not.toContain(HOLDER);
    }
    // A closed follow-up's retry still answers 200 with it.
    const late = await call('approvalSystem', 'POST', '/v1/approvals', e.body, { 'idempotency-key': e.eventId });
    expect([late.status, late.body.followUpId, late.body.state]).toEqual([200, followUpId, 'closed']);
  });

  test('the event’s competent department wins; an operator may send it; nothing names a department: 422 and nothing recorded', async () => {
    const e = approvalEvent({ event: 'filing', licence: { type: 'pharmacy-retail', number: 'YD-001' }, competentDepartment: 'health' });
    const sent = await call('operator', 'POST', '/v1/approvals', e.body, { 'idempotency-key': e.eventId });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toMatchObject({ department: 'health', routedBy: 'event', firstCheckWorkingDays: 30 });
    // Its workflow writes its row and its check task's after the 201: count once both are in.
    const id = (sent.body.followUpId as string).replaceAll('~', '/');
    await eventually(
      async () =>
        Number(
          (
            await stack.db.pool.query(
              `SELECT (SELECT count(*) FROM approvals WHERE follow_up_id = $1) + (SELECT count(*) FROM tasks WHERE task_id LIKE $1 || '/%') AS n`,
              [id],
            )
          ).rows[0].n,
        ) === 2 || undefined,
      { message: 'the follow-up and its check recorded' },
    );

    const before = await counts();
    const orphan = approvalEvent({ licence: { type: 'pharmacy-retail', number: 'YD-002' } });
    const refused = await call('approvalSystem', 'POST', '/v1/approvals', orphan.body, { 'idempotency-key': orphan.eventId });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('no_competent_department');
    expect(await counts()).toBe(before);
  });

  test('bad input and callers who may not send: 400 with the field, 403; nothing changes', async () => {
    const before = await counts();
    const workflows = (await stack.client.workflow.count()).count;
    const e = approvalEvent();
    const bad = await call('approvalSystem', 'POST', '/v1/approvals', { ...e.body, event: 'licence-suspended', licence: { type: 'Food', number: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.event', 'body.licence.number', 'body.licence.type']);
    expect(JSON.stringify(bad.body)).not.toContain(HOLDER);
    const future = await call('approvalSystem', 'POST', '/v1/approvals', { ...e.body, decidedAt: '2099-01-01T00:00:00+08:00' });
    expect([future.status, future.body.error.issues[0].path]).toEqual([400, 'body.decidedAt']);
    const stale = await call('approvalSystem', 'POST', '/v1/approvals', { ...e.body, decidedAt: new Date(Date.now() - 31 * 86_400_000).toISOString() });
    expect([stale.status, stale.body.error.issues[0].path]).toEqual([400, 'body.decidedAt']);
    const elsewhere = await call('approvalSystem', 'POST', '/v1/approvals', { ...e.body, competentDepartment: 'township:610122100' });
    expect([elsewhere.status, elsewhere.body.error.issues[0].path]).toEqual([400, 'body.competentDepartment']);
    // A department officer other than the approval bureau's, a supervisor, another county's bureau: 403.
    expect((await call('market', 'POST', '/v1/approvals', e.body)).status).toBe(403);
    expect((await call('supervisor', 'POST', '/v1/approvals', e.body)).status).toBe(403);
    expect((await call('otherBureau', 'POST', '/v1/approvals', e.body)).status).toBe(403);
    expect((await call('otherBureau', 'POST', '/v1/approvals', { ...e.body, county: '610122' })).status).toBe(422);
    // Rules naming a township of another county: 400 on the row.
    const township = await call('admin', 'PUT', `/v1/counties/${county}/approval-rules`, { licences: [{ type: 'x-y', department: 'township:610122100' }] });
    expect([township.status, township.body.error.issues[0].path]).toEqual([400, 'body.licences.0.department']);
    expect(await counts()).toBe(before);
    expect((await stack.client.workflow.count()).count).toBe(workflows);
  });

  test('any department task: a finding marked as touching a licence reaches the approval bureau once the lead accepts it', async () => {
    const created = await call(
      'operator',
      'POST',
      '/v1/tasks',
      { department: 'market', leadDepartment: 'commerce', title: '成品油零售点检查', instructions: '现场检查' },
      { 'idempotency-key': `e2e-licence-${Date.now()}` },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const taskId = created.body.taskId as string;
    expect((await call('market', 'POST', `/v1/tasks/${taskId}/sign`)).status).toBe(200);
    const licence = { type: 'refined-oil-retail', number: '油零售证书第610124009号' };
    const bad = await call('market', 'POST', `/v1/tasks/${taskId}/submit`, { summary: '检查', touchesLicence: { type: 'Oil', number: '' } });
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.touchesLicence.number', 'body.touchesLicence.type']);
    const submitted = await call('market', 'POST', `/v1/tasks/${taskId}/submit`, { summary: '储罐容量超出许可', touchesLicence: licence });
    expect(submitted.body.submission.touchesLicence).toEqual(licence);
    expect((await call('commerce', 'POST', `/v1/tasks/${taskId}/review`, { decision: 'accept', comment: '同意' })).status).toBe(200);
    const told = await eventually(
      async () =>
        (
          (await call('approvalSystem', 'GET', `/v1/notifications?objectId=${encodeURIComponent(taskId.replaceAll('~', '/'))}`)).body.items as {
            kind: string;
            title: string;
          }[]
        ).find((x) => x.kind === 'approval.licence-issue'),
      { message: 'the approval bureau told' },
    );
    expect(told.title).toBe('涉及许可的监管发现：refined-oil-retail 油零售证书第610124009号');
    const timeline = (await call('market', 'GET', `/v1/tasks/${taskId}`)).body.timeline as { type: string }[];
    expect(timeline.map((e) => e.type).slice(-2)).toEqual(['completed', 'licence-issue.reported']);
  });
});
