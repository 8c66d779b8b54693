/**
 * The risk-warning loop (DOMAIN §6, 晋政办发〔2023〕39号 item 13) on the time-skipping server:
 * pushed to the departments → each verifies on its task (the level's clock from the push) → a
 * red warning's joint review → disposal by the department that confirmed it → feedback to the
 * issuer → closed; an overdue verification climbing its task's ladder; refusals that leave
 * nothing in history; no closing without feedback; and no subject name in what is told.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { getRiskWarningRow, listRiskWarnings, recentWarningsByTradeAndTownship } from '../../db/risk-warnings.js';
import type { Principal } from '../../domain/principal.js';
import { campaignSuggestion, type RiskWarningInputDraft, type RiskWarningStep } from '../../domain/risk-warning.js';
import { getTaskQuery, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import {
  disposalSubmission,
  feedbackRiskWarningUpdate,
  getRiskWarningQuery,
  reviewRiskWarningUpdate,
  riskWarning,
  verificationSubmission,
} from '../../workflows/risk-warning.js';
import { eventually } from '../helpers/eventually.js';
import { settle } from '../helpers/history.js';
import { useWorkflowEnv, timelineTypes, updateRefusal } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'risk-warning' });
const county = '610124';
const DAY = 86_400_000;
const SUBJECT = '某某健身会所';
const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
const operator: Principal = { keyId: 'k-model', county, roles: ['operator'], kind: 'system', name: '预警模型' };
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };

async function start(over: Partial<RiskWarningInputDraft> = {}) {
  return wf.client.workflow.start(riskWarning, {
    taskQueue: wf.taskQueue,
    workflowId: `warning:${county}:2026-${randomUUID().slice(0, 8)}`,
    args: [
      {
        county,
        source: 'model',
        model: 'prepaid-risk v2',
        level: 'red',
        subject: { name: SUBJECT, kind: 'enterprise', creditCode: '91610124MA6U1234X5', address: '二曲街道中心路12号' },
        trade: 'sports',
        township: '610124100',
        indicators: [{ name: '退费投诉数', value: 12, threshold: 5 }],
        summary: '预付卡门店疑似停业跑路',
        departments: ['sports', 'market'],
        ruleId: 'gym-card',
        ...over,
      },
    ],
  });
}

type Warning = WorkflowHandle<typeof riskWarning>;
/** The warning's open task of `step` for `department`, once it is assigned. */
async function task(h: Warning, step: RiskWarningStep, department: string) {
  const ref = await eventually(
    async () => (await h.query(getRiskWarningQuery)).tasks.find((t) => t.step === step && t.department === department && t.state === 'running'),
    {
      message: `${step} task of ${department} in ${h.workflowId}`,
    },
  );
  const t = wf.client.workflow.getHandle(ref.taskId);
  await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
  return { ...ref, handle: t };
}
/** Signs for the task and submits on it, as the department does through the tasks API. */
async function submit(t: { department: string; handle: WorkflowHandle }, submission: ReturnType<typeof verificationSubmission>) {
  await t.handle.executeUpdate(signUpdate, { args: [{ actor: officer(t.department) }] });
  await t.handle.executeUpdate(submitUpdate, { args: [{ actor: officer(t.department), ...submission }] });
}
const untilState = (h: Warning, state: string) =>
  eventually(async () => ((await h.query(getRiskWarningQuery)).state === state ? true : undefined), { message: `${h.workflowId} ${state}` });
const types = (id: string) => timelineTypes(wf.db, id);
const refusal = updateRefusal;
/**
 * History events other than workflow-task bookkeeping. The Java test server, unlike a real
 * server, persists the speculative workflow task that carried a rejected update; what matters is
 * that the update left nothing of its own (no UpdateAccepted, no activity, no timer change).
 */
async function meaningfulEvents(h: WorkflowHandle): Promise<string[]> {
  const events = (await h.fetchHistory()).events ?? [];
  return events.map((e) => String(e.eventType)).filter((t) => !/WORKFLOW_TASK_(SCHEDULED|STARTED|COMPLETED)|^(5|6|7)$/.test(t));
}
const recipients = async (id: string, kind: string) =>
  (
    await wf.db.pool.query<{ department: string | null; role: string | null }>(
      'SELECT department, role FROM notifications WHERE object_id = $1 AND kind = $2 ORDER BY department NULLS LAST, role',
      [id, kind],
    )
  ).rows.map((r) => r.department ?? r.role);

describe('a risk warning from push to feedback', () => {
  test('red: verified by both departments → joint review → disposal by the one that confirmed it → feedback → closed', async () => {
    const h = await start();
    const sports = await task(h, 'verification', 'sports');
    const market = await task(h, 'verification', 'market');
    const v = await sports.handle.query(getTaskQuery);
    // Red: 1 working day, counted from the push (not the sign-for); final on submission; not returnable.
    expect(v.title).toBe(`核查风险预警：红色预警 ${h.workflowId.split(':').at(-1)}`);
    expect(v.instructions).toContain(SUBJECT);
    expect(v.outcomes).toEqual(['confirmed', 'unfounded']);
    await sports.handle.executeUpdate(signUpdate, { args: [{ actor: officer('sports') }] });
    const signed = await eventually(async () => {
      const now = await sports.handle.query(getTaskQuery);
      return now.currentDeadline?.kind === 'handle' && now;
    });
    const { issuedAt } = await h.query(getRiskWarningQuery);
    expect(signed.currentDeadline).toMatchObject({ kind: 'handle', countsFrom: { event: 'matter-opened', at: issuedAt } });
    await sports.handle.executeUpdate(submitUpdate, {
      args: [{ actor: officer('sports'), ...verificationSubmission({ department: 'sports', findings: '门店已停业，会员无法退费', confirmed: true }) }],
    });
    await submit(market, verificationSubmission({ department: 'market', findings: '未发现质量问题', confirmed: false }));

    await untilState(h, 'reviewing');
    const reviewing = await h.query(getRiskWarningQuery);
    expect(reviewing.verifications.map((x) => [x.department, x.confirmed]).sort()).toEqual([
      ['market', false],
      ['sports', true],
    ]);
    expect(reviewing.reviewDueAt).toMatch(/T23:59:59\.999\+08:00$/);
    expect(await refusal(h.executeUpdate(reviewRiskWarningUpdate, { args: [{ actor: officer('sports'), conclusion: '由体育局处置' }] }))).toBe('Forbidden');
    await h.executeUpdate(reviewRiskWarningUpdate, { args: [{ actor: supervisor, conclusion: '属实，由体育局依法处置' }] });

    const disposal = await task(h, 'disposal', 'sports');
    expect((await h.query(getRiskWarningQuery)).jointReview).toMatchObject({ disposers: ['sports'], jointInspection: false });
    expect((await h.query(getRiskWarningQuery)).tasks.filter((t) => t.step === 'disposal').map((t) => t.department)).toEqual(['sports']);
    expect((await disposal.handle.query(getTaskQuery)).instructions).toContain('综合研判结论：属实，由体育局依法处置');

    // Feedback before disposal ends: refused, and nothing reaches history.
    await settle(h);
    const before = { events: await meaningfulEvents(h), view: await h.query(getRiskWarningQuery) };
    expect(await refusal(h.executeUpdate(feedbackRiskWarningUpdate, { args: [{ actor: operator, summary: '已知悉' }] }))).toBe('WrongState');
    expect(await refusal(h.executeUpdate(feedbackRiskWarningUpdate, { args: [{ actor: officer('market'), summary: '已知悉' }] }))).toBe('Forbidden');
    expect(await refusal(h.executeUpdate(feedbackRiskWarningUpdate, { args: [{ actor: operator, summary: '' }] }))).toBe('InvalidInput');
    await settle(h);
    expect({ events: await meaningfulEvents(h), view: await h.query(getRiskWarningQuery) }).toEqual(before);
    expect((await h.query(getRiskWarningQuery)).state).toBe('disposing');

    await submit(disposal, disposalSubmission({ department: 'sports', measures: '责令退费，冻结预付资金', openMatter: true }));
    await untilState(h, 'awaiting-feedback');
    const awaiting = await h.query(getRiskWarningQuery);
    expect(awaiting.disposals).toMatchObject([{ department: 'sports', measures: '责令退费，冻结预付资金', openMatter: true, jointInspection: false }]);
    expect(awaiting.feedbackDueAt).toMatch(/T23:59:59\.999\+08:00$/);
    const closed = await h.executeUpdate(feedbackRiskWarningUpdate, { args: [{ actor: operator, summary: '预警属实，模型阈值保持' }] });
    expect(closed).toMatchObject({ state: 'closed', feedback: { summary: '预警属实，模型阈值保持' } });
    expect((await h.result()).state).toBe('closed');

    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual([
      'pushed',
      'task.assigned',
      'task.assigned',
      'verified',
      'verified',
      'review.awaited',
      'reviewed',
      'task.assigned',
      'disposed',
      'feedback.awaited',
      'fed-back',
      'closed',
    ]);
    const row = await wf.db.pool.query('SELECT state, level, trade, township, departments, campaign_suggested FROM risk_warnings WHERE warning_id = $1', [
      h.workflowId,
    ]);
    expect(row.rows).toEqual([
      { state: 'closed', level: 'red', trade: 'sports', township: '610124100', departments: ['sports', 'market'], campaign_suggested: false },
    ]);
    // Red is told to the supervisors and the county government at the push; the review to them and the departments.
    expect(await recipients(h.workflowId, 'risk-warning.pushed')).toEqual(['county-government', 'supervisor']);
    expect(await recipients(h.workflowId, 'risk-warning.review')).toEqual(['market', 'sports', 'supervisor']);
    expect(await recipients(h.workflowId, 'risk-warning.matter-requested')).toEqual(['operator', 'supervisor']);
    expect(await recipients(h.workflowId, 'risk-warning.feedback')).toEqual(['operator']);

    // The subject's name is in the departments' instructions only: never in what is told, the
    // read model's view, the audit trail, the Temporal UI's summary or search attributes.
    const told = await wf.db.pool.query<{ text: string }>("SELECT title || ' ' || body AS text FROM notifications WHERE object_id = $1 OR object_id LIKE $2", [
      h.workflowId,
      `${h.workflowId}/%`,
    ]);
    expect(told.rows.length).toBeGreaterThan(5);
    expect(told.rows.filter((r) => r.text.includes(SUBJECT))).toEqual([]);
    const view = await wf.db.pool.query<{ view: unknown }>('SELECT view FROM risk_warnings WHERE warning_id = $1', [h.workflowId]);
    expect(JSON.stringify(view.rows[0]!.view)).not.toContain(SUBJECT);
    const audit = await wf.db.pool.query('SELECT 1 FROM audit_log WHERE object_id = $1 AND details::text LIKE $2', [h.workflowId, `%${SUBJECT}%`]);
    expect(audit.rows).toEqual([]);
    const d = await sports.handle.describe();
    expect(await d.staticSummary()).not.toContain(SUBJECT);
    expect(JSON.stringify(d.searchAttributes)).not.toContain(SUBJECT);
  });

  test('an overdue verification climbs its task’s ladder while the warning waits for it', async () => {
    const h = await start({ departments: ['market'] });
    const t = await task(h, 'verification', 'market');
    // Day by day (holidays move the rungs) until the red card: 5 working days after the 1-day deadline.
    for (let i = 0; i < 30; i++) {
      await wf.env.sleep(DAY);
      if ((await t.handle.query(getTaskQuery)).escalations.some((e) => e.rung === 'red-card')) break;
    }
    const v = await t.handle.query(getTaskQuery);
    expect(v.overdue).toBe(true);
    expect(v.escalations.map((e) => e.rung)).toEqual(expect.arrayContaining(['chase', 'yellow-card', 'red-card']));
    expect(v.escalationLevel).toBeGreaterThanOrEqual(4);
    await eventually(async () => (await recipients(t.taskId, 'ladder.red-card')).length === 2, { message: 'red card recorded' });
    expect(await recipients(t.taskId, 'ladder.chase')).toEqual(['market']);
    // No lead department: the yellow card goes to the supervisors in its place.
    expect(await recipients(t.taskId, 'ladder.yellow-card')).toEqual(['market', 'supervisor']);
    expect(await recipients(t.taskId, 'ladder.red-card')).toEqual(['county-government', 'supervisor']);
    // Listed as overdue by the read model (db/risk-warnings.ts) while the task is open past its deadline.
    const overdue = await wf.db.pool.query(
      `SELECT 1 FROM risk_warnings w WHERE warning_id = $1
         AND EXISTS (SELECT 1 FROM tasks t WHERE t.task_id LIKE w.warning_id || '/%' AND t.overdue AND t.closed_at IS NULL)`,
      [h.workflowId],
    );
    expect(overdue.rowCount).toBe(1);
    // The warning neither moves on nor gives up.
    expect((await h.query(getRiskWarningQuery)).state).toBe('verifying');
    await h.cancel();
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'cancelled', { message: 'cancelled recorded' });
    const row = await wf.db.pool.query('SELECT state FROM risk_warnings WHERE warning_id = $1', [h.workflowId]);
    expect(row.rows).toEqual([{ state: 'cancelled' }]);
  });

  test('a yellow department’s warning found unfounded: no review, no disposal; it does not close without the issuer’s feedback', async () => {
    const h = await start({ level: 'yellow', source: 'department', model: undefined, issuingDepartment: 'commerce', departments: ['sports'] });
    const t = await task(h, 'verification', 'sports');
    expect((await t.handle.query(getTaskQuery)).title).toContain('黄色预警');
    await submit(t, verificationSubmission({ department: 'sports', findings: '门店正常营业', confirmed: false }));
    await untilState(h, 'awaiting-feedback');
    const { feedbackDueAt } = await h.query(getRiskWarningQuery);
    // Yellow is told to no one beyond the department; the feedback is the issuing department's.
    expect(await recipients(h.workflowId, 'risk-warning.pushed')).toEqual([]);
    await eventually(async () => (await types(h.workflowId)).includes('feedback.awaited'), { message: 'feedback.awaited recorded' });
    expect(await recipients(h.workflowId, 'risk-warning.feedback')).toEqual(['commerce']);

    await wf.env.sleep(Date.parse(feedbackDueAt!) - (await wf.env.currentTimeMs()) + 3_600_000);
    await settle(h);
    await eventually(async () => (await types(h.workflowId)).includes('feedback.overdue'), { message: 'feedback.overdue recorded' });
    expect(await recipients(h.workflowId, 'risk-warning.feedback-overdue')).toEqual(['commerce', 'supervisor']);
    // Still open, still waiting for the feedback.
    expect((await h.query(getRiskWarningQuery)).state).toBe('awaiting-feedback');
    expect((await h.describe()).status.name).toBe('RUNNING');
    expect(await refusal(h.executeUpdate(feedbackRiskWarningUpdate, { args: [{ actor: officer('sports'), summary: '已知悉' }] }))).toBe('Forbidden');
    await h.executeUpdate(feedbackRiskWarningUpdate, { args: [{ actor: officer('commerce'), summary: '核查不实，已撤回本部门预警' }] });
    expect((await h.result()).state).toBe('closed');
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual([
      'pushed',
      'task.assigned',
      'verified',
      'disposal.skipped',
      'feedback.awaited',
      'feedback.overdue',
      'fed-back',
      'closed',
    ]);
  });

  test('a campaign suggestion found at intake is told to the county’s supervisors, with ids and codes only', async () => {
    const h = await start({
      level: 'blue',
      departments: ['sports'],
      campaign: { trade: 'sports', township: '610124100', windowDays: 30, warningIds: ['warning:610124:2026-0001', 'warning:610124:2026-0002', 'x'] },
    });
    await task(h, 'verification', 'sports');
    await eventually(async () => (await types(h.workflowId)).includes('campaign.suggested'), { message: 'campaign recorded' });
    expect(await recipients(h.workflowId, 'risk-warning.campaign')).toEqual(['supervisor']);
    const row = await wf.db.pool.query('SELECT campaign_suggested FROM risk_warnings WHERE warning_id = $1', [h.workflowId]);
    expect(row.rows).toEqual([{ campaign_suggested: true }]);
    await h.cancel();
  });

  test('the read model: listing by level, state and overdue with keyset pages, what a department sees, and the campaign query', async () => {
    const township = '610124199';
    const started: Warning[] = [];
    for (const level of ['blue', 'yellow', 'blue'] as const) {
      const h = await start({ level, trade: 'catering', township, departments: ['education'] });
      await eventually(async () => getRiskWarningRow(wf.db.pool, h.workflowId), { message: `${h.workflowId} recorded` });
      started.push(h);
      await wf.env.sleep(60_000); // distinct push times, so the order is the push order
    }
    const ids = started.map((h) => h.workflowId);
    const education = officer('education');
    const all = await listRiskWarnings(wf.db.pool, education, { limit: 10 });
    expect(all.map((r) => r.view.warningId)).toEqual([...ids].reverse());
    const first = await listRiskWarnings(wf.db.pool, education, { limit: 2 });
    const second = await listRiskWarnings(wf.db.pool, education, { limit: 2, before: first.at(-1)!.cursor });
    expect([...first, ...second].map((r) => r.view.warningId)).toEqual([...ids].reverse());
    expect((await listRiskWarnings(wf.db.pool, education, { limit: 10, level: 'blue' })).map((r) => r.view.warningId)).toEqual([ids[2], ids[0]]);
    expect(await listRiskWarnings(wf.db.pool, education, { limit: 10, state: 'closed' })).toEqual([]);
    expect(await listRiskWarnings(wf.db.pool, education, { limit: 10, overdue: true })).toEqual([]);
    expect(await listRiskWarnings(wf.db.pool, education, { limit: 10, overdue: false })).toHaveLength(3);
    // Another department sees none of them; a supervisor of the county, or of its city, sees them all.
    const health = await listRiskWarnings(wf.db.pool, officer('health'), { limit: 50 });
    expect(health.filter((r) => ids.includes(r.view.warningId))).toEqual([]);
    const city: Principal = { keyId: 'k-city', county: '610100', roles: ['supervisor'] };
    for (const p of [supervisor, city]) {
      const seen = (await listRiskWarnings(wf.db.pool, p, { limit: 50 })).map((r) => r.view.warningId);
      expect(ids.every((id) => seen.includes(id))).toBe(true);
    }

    // Three of one trade in one township: the third suggests a campaign, and a fourth does not once one carried it.
    const since = new Date((await wf.env.currentTimeMs()) - 30 * DAY).toISOString();
    const recent = await recentWarningsByTradeAndTownship(wf.db.pool, { county, trade: 'catering', township, since });
    expect(recent.map((r) => r.warningId)).toEqual([...ids].reverse());
    expect(recent.every((r) => r.campaignSuggested === false)).toBe(true);
    const third = { warningId: ids[2]!, trade: 'catering', township, issuedAt: recent[0]!.issuedAt };
    expect(campaignSuggestion(recent, third)?.warningIds).toEqual(ids);
    const h4 = await start({
      level: 'blue',
      trade: 'catering',
      township,
      departments: ['education'],
      campaign: { trade: 'catering', township, windowDays: 30, warningIds: [ids[0]!, ids[1]!, 'warning:610124:2026-x'] },
    });
    await eventually(async () => getRiskWarningRow(wf.db.pool, h4.workflowId), { message: `${h4.workflowId} recorded` });
    const after = await recentWarningsByTradeAndTownship(wf.db.pool, { county, trade: 'catering', township, since });
    expect(after.find((r) => r.warningId === h4.workflowId)?.campaignSuggested).toBe(true);
    const fifth = { warningId: 'warning:610124:2026-y', trade: 'catering', township, issuedAt: new Date(await wf.env.currentTimeMs()).toISOString() };
    expect(campaignSuggestion(after, fifth)).toBeUndefined();
    // A cancelled (withdrawn) warning does not count.
    await h4.cancel();
    await eventually(async () => ((await getRiskWarningRow(wf.db.pool, h4.workflowId))?.state === 'cancelled' ? true : undefined), { message: 'cancelled' });
    expect((await recentWarningsByTradeAndTownship(wf.db.pool, { county, trade: 'catering', township, since })).map((r) => r.warningId)).toEqual(
      [...ids].reverse(),
    );
    await Promise.all(started.map((h) => h.cancel()));
  });
});
