/**
 * Records workflow histories for the replay tests: `npm run record:histories`.
 * Run it when a workflow changes on purpose (and add a patched() branch for running workflows);
 * the replay test then proves the recorded runs still replay with the new code.
 * Activities here only resolve clocks (pure) and skip the database: history is all we want.
 * Each run's workflow id is its file name (`/` written `~`), which the replay test passes back.
 * Usage: npm run record:histories [-- name …]   (all when no name is given)
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createActivities } from '../../activities/index.js';
import { defaultCalendar } from '../../domain/calendar/index.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { cancelMatterUpdate, getMatterQuery, reassignTaskUpdate } from '../../workflows/matter-kit.js';
import { calendarPublication } from '../../workflows/calendar-publication.js';
import { auditVerification } from '../../workflows/audit-verification.js';
import { decideDisputeUpdate, getDisputeQuery, jurisdictionDispute } from '../../workflows/jurisdiction-dispute.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import { prepaidCardMatter } from '../../workflows/scenarios/prepaid-card.js';
import { MatterDriver } from '../helpers/matter-driver.js';
import type { Principal } from '../../domain/principal.js';
import {
  cancelUpdate,
  decideExtensionUpdate,
  departmentTask,
  getTaskQuery,
  recomputeDeadlinesSignal,
  requestExtensionUpdate,
  returnUpdate,
  reviewUpdate,
  signUpdate,
  submitUpdate,
} from '../../workflows/department-task.js';
import { clue, dispatchClueUpdate, getClueQuery, openMatterUpdate, visitClueUpdate } from '../../workflows/clue.js';
import {
  disposalSubmission,
  feedbackRiskWarningUpdate,
  getRiskWarningQuery,
  reviewRiskWarningUpdate,
  riskWarning,
  verificationSubmission,
} from '../../workflows/risk-warning.js';
import { approvalFollowUp, getApprovalFollowUpQuery } from '../../workflows/approval-follow-up.js';
import { planningSeason, planningSeasonLaunch } from '../../workflows/planning-season.js';
import type { LeadCoverage } from '../../domain/planning-season.js';
import { inspectionRound, recusalUpdate } from '../../workflows/inspection-round.js';
import { addChecksUpdate, getInspectionQuery, jointInspection, replaceInspectorsUpdate } from '../../workflows/joint-inspection.js';
import { timeSkippingEnv, workflowBundle } from '../helpers/temporal.js';
import { eventually } from '../helpers/eventually.js';
import { settle } from '../helpers/history.js';

/** EventType TIMER_STARTED in a history. */
const TIMER_STARTED = 17;

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const county = '610124';
const housing: Principal = { keyId: 'k-housing', county, department: 'housing', roles: ['officer'] };
const lead: Principal = { keyId: 'k-commerce', county, department: 'commerce', roles: ['officer'] };
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };
const DAY = 86_400_000;

const env = await timeSkippingEnv();
const real = createActivities({ pool: undefined as never, calendar: async () => defaultCalendar });
const activities = {
  resolveClock: real.resolveClock,
  resolveDue: real.resolveDue,
  recordTaskEvent: async () => {},
  recordMatterEvent: async () => {},
  publishResult: async () => {},
  listTasksAffectedByYear: async () => ['department-task-returned', 'no-such-task'],
  recordDisputeEvent: async () => {},
  recordTransferEvent: async () => {},
  recordClueEvent: async () => {},
  recordRiskWarningEvent: async () => {},
  recordApprovalEvent: async () => {},
  recordInspectionEvent: async () => {},
  applyInspectionCredit: async (r: { outcome: string }) => ({ from: 'A', to: r.outcome === 'penalty' ? 'B' : 'A' }),
  publishInspectionResult: async () => {},
  closeInterruptedTask: async () => {},
  // One county chain intact, one broken: both branches of the daily verification.
  verifyAuditChains: async () => ({
    legacyOk: true,
    chains: [
      { county: '610122', ok: true, checked: 3, head: { id: 7, hash: 'a'.repeat(64) } },
      {
        county: '610124',
        ok: false,
        checked: 1,
        firstBreak: { id: 2, eventId: 'task:610124:housing:2026-0001#1', chain: '610124', reason: 'hash' as const },
        head: { id: 9, hash: 'b'.repeat(64) },
      },
    ],
  }),
  recordAuditVerification: async () => {},
  nextDailyChases: real.nextDailyChases,
  // The planning season's check answers what the scenario has set (`seasonCoverage`).
  planningCoverage: async () => seasonCoverage,
  recordSeasonEvent: async () => {},
  listCountiesWithPublishedItems: async () => ['610122', '610124'],
  // An inspection round whose steps answer what the database would: 3 subjects drawn, launched in
  // two batches (the second ends the list), one recusal re-drawn and delivered.
  seedRound: async () => ({ seed: 'a'.repeat(64), publishedValue: 'plan:610124:2026-0001|2026-12-07' }),
  snapshotRound: async () => ({ snapshotHash: 'b'.repeat(64), subjects: 40, inspectors: 7 }),
  drawRound: async () => ({ drawn: 3, skipped: 0, grades: { D: { eligible: 3, planned: 3, drawn: 3 } }, visitOn: '2026-12-14', closesOn: '2026-12-31' }),
  launchRoundBatch: async (req: { after: string | null }) =>
    req.after === null ? { started: 2, merged: 0, next: 'S-D-02' } : { started: 0, merged: 1, next: null },
  setRoundState: async () => {},
  recordRecusal: async () => ({ counter: 1, subjectId: 'S-D-01', department: 'market', removed: ['I-market-1'], added: ['I-market-3'] }),
  deliverRecusal: async () => ({ delivered: true }),
};
const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'record', workflowBundle: await workflowBundle(), activities });
const input = { county, department: 'housing', leadDepartment: 'commerce', title: '核查自建房安全隐患', instructions: '现场核查' };

let reassignedTaskId = '';
/** What the planning season's check finds now (set by its scenario as leads file their plans). */
let seasonCoverage: LeadCoverage[] = [];
const lateLead = (department: string, itemId: string): LeadCoverage => ({ department, published: [itemId], planned: [], missing: [itemId] });
const sleepUntil = async (iso: string) => env.sleep(Date.parse(iso) - (await env.currentTimeMs()));
let disputeOfCancelled = '';

await worker.runUntil(async () => {
  /** A 12345 complaint about a card issuer, mediated, the consumer told at acceptance and outcome. */
  async function prepaidComplaintTold(workflowId: string, name: string, ref: string) {
    const h = await env.client.workflow.start(prepaidCardMatter, {
      taskQueue: 'record',
      workflowId,
      args: [
        {
          county,
          subject: { name, kind: 'enterprise' },
          facts: { trade: 'sports', signal: 'complaint' },
          source: { channel: '12345', ref },
          definition: resolveScenario(catalogue['prepaid-card'], undefined),
          createdBy: 'k',
        },
      ],
    });
    const d = new MatterDriver(env.client, h);
    await d.complete('triage', 'assigned');
    await d.complete('acceptance', 'accepted');
    await d.complete('reply.acceptance', 'replied');
    await d.complete('mediation', 'agreed');
    await d.complete('reply.outcome', 'replied');
    await h.result();
    return h.workflowId;
  }
  /** A task extended, sent back once, then accepted by a supervisor. */
  async function taskExtendedAndReworked(workflowId: string) {
    const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId, args: [input] });
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
  }
  /** A dispute that ran out its negotiation and was decided by the staffing office. */
  async function disputeEscalated(workflowId: string) {
    const h = await env.client.workflow.start(jurisdictionDispute, {
      taskQueue: 'record',
      workflowId,
      args: [
        {
          county,
          taskKey: 'survey.planning',
          taskTitle: '规划核查',
          parties: ['natural-resources', 'agriculture'],
          returnedBy: 'natural-resources',
          reason: '非本部门职责',
        },
      ],
    });
    await eventually(async () => (await h.query(getDisputeQuery)).dueAt, { intervalMs: 100, message: 'the first rung' });
    await env.sleep(12 * DAY);
    await settle(h); // the signal or the fired timers handled before time moves on
    await h.executeUpdate(decideDisputeUpdate, {
      args: [{ actor: { keyId: 'k', county, department: 'staffing-office', roles: ['arbiter'] }, department: 'agriculture', reasoning: '三定方案' }],
    });
    await h.result();
    return h.workflowId;
  }
  const scenarios: Record<string, () => Promise<string>> = {
    'jurisdiction-dispute-escalated': () => disputeEscalated('jurisdiction-dispute-escalated'),
    'jurisdiction-dispute-recorded-as-changes': () => disputeEscalated('jurisdiction-dispute-recorded-as-changes'),
    async 'audit-verification-with-a-break'() {
      const h = await env.client.workflow.start(auditVerification, { taskQueue: 'record', workflowId: 'audit-verification-with-a-break' });
      await h.result();
      return h.workflowId;
    },
    /** Reminded on 1 March; commerce files before the deadline, market after its yellow card, housing after the daily chase. */
    async 'planning-season-chased-then-planned'() {
      seasonCoverage = [lateLead('commerce', 'OIL-1'), lateLead('housing', 'HOUSE-1'), lateLead('market', 'QUAL-1')];
      const h = await env.client.workflow.start(planningSeason, {
        taskQueue: 'record',
        workflowId: 'planning-season-chased-then-planned',
        args: [{ county, year: 2027 }],
      });
      await eventually(async () => (await h.fetchHistory()).events?.some((e) => Number(e.eventType) === TIMER_STARTED), { intervalMs: 100 });
      await sleepUntil('2027-03-02T00:00:00+08:00');
      await settle(h);
      seasonCoverage = [lateLead('housing', 'HOUSE-1'), lateLead('market', 'QUAL-1')];
      await sleepUntil('2027-04-06T00:00:00+08:00');
      await settle(h);
      seasonCoverage = [lateLead('housing', 'HOUSE-1')];
      await sleepUntil('2027-04-15T12:00:00+08:00');
      await settle(h);
      seasonCoverage = [];
      await sleepUntil('2027-04-17T00:00:00+08:00');
      await h.result();
      return h.workflowId;
    },
    /** The yearly launch: one county's season already running (started by hand), the other's started. */
    async 'planning-season-launch-one-running'() {
      await env.client.workflow.start(planningSeason, { taskQueue: 'record', workflowId: 'season:610124:2028', args: [{ county, year: 2028 }] });
      const h = await env.client.workflow.start(planningSeasonLaunch, {
        taskQueue: 'record',
        workflowId: 'planning-season-launch-one-running',
        args: [{ year: 2028 }],
      });
      await h.result();
      return h.workflowId;
    },
    async 'calendar-publication'() {
      const h = await env.client.workflow.start(calendarPublication, {
        taskQueue: 'record',
        workflowId: 'calendar-publication',
        args: [{ year: 2027, version: 1 }],
      });
      await h.result();
      return h.workflowId;
    },
    async 'calendar-publication-keyset'() {
      const h = await env.client.workflow.start(calendarPublication, {
        taskQueue: 'record',
        workflowId: 'calendar-publication-keyset',
        args: [{ year: 2027, version: 2 }],
      });
      await h.result();
      return h.workflowId;
    },
    async 'department-task-extended-in-days-by-the-head'() {
      const h = await env.client.workflow.start(departmentTask, {
        taskQueue: 'record',
        workflowId: 'department-task-extended-in-days-by-the-head',
        args: [
          {
            ...input,
            title: '查封扣押期限内作出处理决定',
            limits: { signFor: { amount: 24, unit: 'hour', startsFrom: 'assignment' }, handle: { amount: 30, unit: 'calendar_day', startsFrom: 'sign-for' } },
            maxExtensionWorkingDays: 30,
            extension: { unit: 'calendar_day', approvedBy: 'head' },
          },
        ],
      });
      await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await h.executeUpdate(requestExtensionUpdate, { args: [{ actor: housing, days: 30, reason: '情况复杂' }] });
      await h.executeUpdate(decideExtensionUpdate, {
        args: [{ actor: { keyId: 'k-head', county, department: 'housing', roles: ['head'] }, extensionId: 'ext-1', approve: true }],
      });
      await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '已作出处理决定' }] });
      await h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'accept', comment: '同意' }] });
      await h.result();
      return h.workflowId;
    },
    'department-task-completed-with-extension-and-rework': () => taskExtendedAndReworked('department-task-completed-with-extension-and-rework'),
    // After patched('delta-recording'): a task's writes after the first carry what changed.
    'department-task-recorded-as-changes': () => taskExtendedAndReworked('department-task-recorded-as-changes'),
    async 'department-task-ladder-then-cancelled'() {
      const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId: 'department-task-ladder-then-cancelled', args: [input] });
      await env.sleep(25 * DAY);
      await h.executeUpdate(cancelUpdate, { args: [{ actor: supervisor, reason: '并单' }] });
      await h.result();
      return h.workflowId;
    },
    async 'department-task-review-overdue-chased-daily'() {
      // The review clock, the recorded overdue, the ladder in office hours, daily chases after it.
      const h = await env.client.workflow.start(departmentTask, {
        taskQueue: 'record',
        workflowId: 'department-task-review-overdue-chased-daily',
        args: [input],
      });
      await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await h.executeUpdate(submitUpdate, { args: [{ actor: housing, summary: '已核查' }] });
      await env.sleep(25 * DAY);
      await h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'accept', comment: '同意' }] });
      await h.result();
      return h.workflowId;
    },
    async 'clue-returned-redispatched-visited'() {
      // No catalogue match: the office dispatches; the first department returns it; re-dispatched
      // with a co-handler; both answer; the visit-back closes it.
      const h = await env.client.workflow.start(clue, {
        taskQueue: 'record',
        workflowId: 'clue-returned-redispatched-visited',
        args: [{ county, channel: '12345', ref: 'GD2026120100001', category: 'complaint', urgency: 'normal', content: '路边倾倒建筑垃圾' }],
      });
      const office: Principal = { keyId: 'k-office', county, department: 'gov-services', roles: ['officer'] };
      const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
      const taskOf = async (n: number) => {
        const ref = await eventually(async () => (await h.query(getClueQuery)).tasks[n - 1], { message: `task ${n}` });
        const t = env.client.workflow.getHandle(ref.taskId);
        await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
        return { t, actor: officer(ref.department) };
      };
      await eventually(async () => (await h.query(getClueQuery)).state === 'dispatching', { message: 'awaiting dispatch' });
      await h.executeUpdate(dispatchClueUpdate, { args: [{ actor: office, department: 'ecology' }] });
      const first = await taskOf(1);
      await first.t.executeUpdate(returnUpdate, { args: [{ actor: first.actor, reason: '不属本部门职责' }] });
      await eventually(async () => (await h.query(getClueQuery)).state === 'dispatching', { message: 'awaiting re-dispatch' });
      await h.executeUpdate(dispatchClueUpdate, { args: [{ actor: office, department: 'urban-management', coHandlers: ['housing'] }] });
      for (const n of [2, 3]) {
        const { t, actor } = await taskOf(n);
        await t.executeUpdate(signUpdate, { args: [{ actor }] });
        await t.executeUpdate(submitUpdate, { args: [{ actor, summary: '已清理' }] });
      }
      await eventually(async () => (await h.query(getClueQuery)).state === 'replied', { message: 'replied' });
      await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'satisfied' }] });
      await h.result();
      return h.workflowId;
    },
    async 'clue-matter-opened-replied-visited'() {
      // Dispatched by the catalogue; the lead opens a prepaid-card matter (the clue's child) and its
      // task ends with that decision; the matter ends (complaint not accepted); the lead's reply
      // step answers; the visit-back closes it.
      const h = await env.client.workflow.start(clue, {
        taskQueue: 'record',
        workflowId: 'clue-matter-opened-replied-visited',
        args: [
          {
            county,
            channel: '12345',
            ref: 'GD2026120600002',
            category: 'complaint',
            urgency: 'normal',
            content: '培训学校预付卡停课不退费',
            subject: { name: '某培训学校', kind: 'enterprise' },
            dispatch: { ruleId: 'prepaid', lead: 'market', coHandlers: [] },
          },
        ],
      });
      const market: Principal = { keyId: 'k-market', county, department: 'market', roles: ['officer'] };
      const leadTask = async (n: number) => {
        const ref = await eventually(async () => (await h.query(getClueQuery)).tasks[n - 1], { message: `lead task ${n}` });
        const t = env.client.workflow.getHandle(ref.taskId);
        await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
        return t;
      };
      const first = await leadTask(1);
      const matterId = `matter:${county}:prepaid-card:2026-0901`;
      await h.executeUpdate(openMatterUpdate, {
        args: [
          {
            matterId,
            scenario: 'prepaid-card',
            facts: { trade: 'education', signal: 'store-closing' },
            definition: resolveScenario(catalogue['prepaid-card'], undefined),
            actor: market,
          },
        ],
      });
      await first.executeUpdate(signUpdate, { args: [{ actor: market }] });
      await first.executeUpdate(submitUpdate, { args: [{ actor: market, summary: `转立综合监管事项办理（${matterId}）` }] });
      const d = new MatterDriver(env.client, env.client.workflow.getHandle(matterId));
      await d.complete('triage', 'assigned');
      await d.complete('acceptance', 'rejected');
      const reply = await leadTask(2);
      await reply.executeUpdate(signUpdate, { args: [{ actor: market }] });
      await reply.executeUpdate(submitUpdate, { args: [{ actor: market, summary: '投诉不予受理，已说明理由' }] });
      await eventually(async () => (await h.query(getClueQuery)).state === 'replied', { message: 'replied' });
      const office: Principal = { keyId: 'k-office', county, department: 'gov-services', roles: ['officer'] };
      await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'satisfied' }] });
      await h.result();
      return h.workflowId;
    },
    async 'clue-matter-opened-by-catalogue'() {
      // The catalogue's rule opens the matter at dispatch (no handling task); it is cancelled; the
      // lead's reply step answers; the visit-back closes it.
      const matterId = `matter:${county}:prepaid-card:2026-0902`;
      const h = await env.client.workflow.start(clue, {
        taskQueue: 'record',
        workflowId: 'clue-matter-opened-by-catalogue',
        args: [
          {
            county,
            channel: '12345',
            ref: 'GD2026120600003',
            category: 'report',
            urgency: 'normal',
            content: '健身房预付卡老板跑路',
            subject: { name: '某健身房', kind: 'enterprise' },
            dispatch: {
              ruleId: 'card-absconding',
              lead: 'market',
              coHandlers: [],
              openMatter: {
                scenario: 'prepaid-card',
                matterId,
                facts: { trade: 'sports', signal: 'absconding' },
                definition: resolveScenario(catalogue['prepaid-card'], undefined),
              },
            },
          },
        ],
      });
      const market: Principal = { keyId: 'k-market', county, department: 'market', roles: ['officer'] };
      await eventually(async () => (await h.query(getClueQuery)).state === 'in-matter', { message: 'in-matter' });
      await eventually(async () => (await env.client.workflow.getHandle(matterId).query(getMatterQuery)).lastEventSeq >= 1, { message: 'the matter opened' });
      await env.client.workflow.getHandle(matterId).executeUpdate(cancelMatterUpdate, { args: [{ reason: '经营者已全额退款', actor: supervisor }] });
      const ref = await eventually(async () => (await h.query(getClueQuery)).tasks[0], { message: 'the reply step' });
      const reply = env.client.workflow.getHandle(ref.taskId);
      await eventually(async () => (await reply.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: 'the reply step assigned' });
      await reply.executeUpdate(signUpdate, { args: [{ actor: market }] });
      await reply.executeUpdate(submitUpdate, { args: [{ actor: market, summary: '经营者已全额退款，事项撤销' }] });
      await eventually(async () => (await h.query(getClueQuery)).state === 'replied', { message: 'replied' });
      const office: Principal = { keyId: 'k-office', county, department: 'gov-services', roles: ['officer'] };
      await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'satisfied' }] });
      await h.result();
      return h.workflowId;
    },
    async 'risk-warning-red-reviewed-late-disposed-fed-back'() {
      // A red warning pushed to two departments: one confirms, one does not; the joint review runs
      // past its deadline (told), then names the disposer and a joint inspection; the disposal asks
      // for a matter; the issuer's feedback closes it.
      const h = await env.client.workflow.start(riskWarning, {
        taskQueue: 'record',
        workflowId: 'risk-warning-red-reviewed-late-disposed-fed-back',
        args: [
          {
            county,
            source: 'model',
            model: 'prepaid-risk v2',
            level: 'red',
            subject: { name: '某健身会所', kind: 'enterprise' },
            trade: 'sports',
            township: '610124100',
            indicators: [{ name: '退费投诉数', value: 12, threshold: 5 }],
            summary: '预付卡门店疑似停业跑路',
            departments: ['sports', 'market'],
            ruleId: 'gym-card',
          },
        ],
      });
      const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
      const taskOf = async (step: string, department: string) => {
        const ref = await eventually(
          async () => (await h.query(getRiskWarningQuery)).tasks.find((t) => t.step === step && t.department === department && t.state === 'running'),
          { message: `${step} of ${department}` },
        );
        const t = env.client.workflow.getHandle(ref.taskId);
        await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
        await t.executeUpdate(signUpdate, { args: [{ actor: officer(department) }] });
        return { t, actor: officer(department) };
      };
      const sports = await taskOf('verification', 'sports');
      await sports.t.executeUpdate(submitUpdate, {
        args: [{ actor: sports.actor, ...verificationSubmission({ department: 'sports', findings: '门店已停业', confirmed: true }) }],
      });
      const market = await taskOf('verification', 'market');
      await market.t.executeUpdate(submitUpdate, {
        args: [{ actor: market.actor, ...verificationSubmission({ department: 'market', findings: '未见质量问题', confirmed: false }) }],
      });
      await eventually(async () => (await h.query(getRiskWarningQuery)).state === 'reviewing', { message: 'reviewing' });
      await settle(h);
      await env.sleep(5 * DAY);
      await settle(h); // the review's deadline fired and was recorded
      await h.executeUpdate(reviewRiskWarningUpdate, { args: [{ actor: supervisor, conclusion: '属实，由体育局处置并联合检查', jointInspection: true }] });
      const disposal = await taskOf('disposal', 'sports');
      await disposal.t.executeUpdate(submitUpdate, {
        args: [{ actor: disposal.actor, ...disposalSubmission({ department: 'sports', measures: '责令退费', openMatter: true }) }],
      });
      await eventually(async () => (await h.query(getRiskWarningQuery)).state === 'awaiting-feedback', { message: 'awaiting feedback' });
      await h.executeUpdate(feedbackRiskWarningUpdate, {
        args: [{ actor: { keyId: 'k-model', county, roles: ['operator'], kind: 'system' }, summary: '预警属实' }],
      });
      await h.result();
      return h.workflowId;
    },
    async 'approval-follow-up-licence-issue'() {
      // A food-business licence granted: the market bureau's first check, its first attempt
      // cancelled outside the API and issued again, signed, left past its reminder, then submitted
      // with a finding touching the licence: the approval bureau is told; closed.
      const now = await env.currentTimeMs();
      const h = await env.client.workflow.start(approvalFollowUp, {
        taskQueue: 'record',
        workflowId: 'approval-follow-up-licence-issue',
        args: [
          {
            county,
            event: 'licence-granted',
            licence: { type: 'food-business', typeName: '食品经营许可', number: 'JY16101240000123' },
            subject: { name: '某某餐饮店', kind: 'individual-business' },
            department: 'market',
            routedBy: 'county-rules',
            firstCheckWorkingDays: 3,
            decidedAt: now - DAY,
            receivedAt: now,
            receivedBy: { keyId: 'k-approval', county, department: 'approval', roles: ['officer'], kind: 'system', name: '审批系统' },
          },
        ],
      });
      const market: Principal = { keyId: 'k-market', county, department: 'market', roles: ['officer'] };
      const taskOf = async (n: number) => {
        const ref = await eventually(async () => (await h.query(getApprovalFollowUpQuery)).tasks[n - 1], { message: `check ${n}` });
        const t = env.client.workflow.getHandle(ref.taskId);
        await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
        return t;
      };
      await (await taskOf(1)).cancel();
      const t = await taskOf(2);
      await t.executeUpdate(signUpdate, { args: [{ actor: market }] });
      await env.sleep(2 * DAY);
      await t.executeUpdate(submitUpdate, { args: [{ actor: market, summary: '现场检查', findings: '经营场所与许可地址不符', outcome: 'licence-issue' }] });
      await h.result();
      return h.workflowId;
    },
    async 'joint-inspection-joined-recused-published'() {
      // A joint inspection of market and ecology, visit in 5 days: fire joins before the visit, a
      // market inspector is recused and re-drawn, the visit day passes, each department records
      // (a penalty, no issue, a rectification), the inspection ends and the market bureau publishes.
      const now = await env.currentTimeMs();
      const visitOn = new Date(now + 5 * DAY + 8 * 3_600_000).toISOString().slice(0, 10);
      const team = (d: string) => [`insp-${d}-1`, `insp-${d}-2`];
      const h = await env.client.workflow.start(jointInspection, {
        taskQueue: 'record',
        workflowId: 'inspection:610124:2027-0001',
        args: [
          {
            inspectionId: 'inspection:610124:2027-0001',
            county,
            subjectId: `s-${'0'.repeat(31)}1`,
            initiator: 'market',
            checks: [
              { department: 'market', items: ['SC-01'], inspectors: team('market') },
              { department: 'ecology', items: ['ST-02'], inspectors: team('ecology') },
            ],
            visitOn,
            requestedBy: 'k-market',
          },
        ],
      });
      const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
      const taskOf = async (department: string, kind = 'check') => {
        const ref = await eventually(async () => (await h.query(getInspectionQuery)).tasks.find((t) => t.department === department && t.kind === kind), {
          message: `${kind} of ${department}`,
        });
        const t = env.client.workflow.getHandle(ref.taskId);
        await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
        return t;
      };
      await taskOf('ecology');
      await h.executeUpdate(addChecksUpdate, {
        args: [{ checks: [{ department: 'fire', items: ['XF-01'], inspectors: team('fire') }], requestedBy: 'round-2' }],
      });
      await h.executeUpdate(replaceInspectorsUpdate, {
        args: [{ department: 'market', removed: ['insp-market-1'], added: ['insp-market-9'], counter: 1, requestedBy: 'k-round' }],
      });
      await taskOf('fire');
      await env.sleep(6 * DAY);
      const outcomes: Record<string, string> = { market: 'penalty', ecology: 'no-issue', fire: 'rectification' };
      for (const [department, outcome] of Object.entries(outcomes)) {
        const t = await taskOf(department);
        if ((await t.query(getTaskQuery)).state === 'assigned') await t.executeUpdate(signUpdate, { args: [{ actor: officer(department) }] });
        await t.executeUpdate(submitUpdate, { args: [{ actor: officer(department), summary: '已检查', outcome }] });
      }
      const pub = await taskOf('market', 'publication');
      await pub.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
      await pub.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '已公开', outcome: 'published' }] });
      await h.result();
      return h.workflowId;
    },
    async 'department-task-licence-finding-pushed'() {
      // 审管衔接's reverse push beyond the follow-up (patched('licence-push')): the submission marks
      // the finding as touching a licence; the lead accepts it; the approval bureau is told.
      const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId: 'department-task-licence-finding-pushed', args: [input] });
      await eventually(async () => (await h.query(getTaskQuery)).currentDeadline, { message: 'assigned' });
      await h.executeUpdate(signUpdate, { args: [{ actor: housing }] });
      await h.executeUpdate(submitUpdate, {
        args: [
          { actor: housing, summary: '已核查', findings: '超出施工许可范围', touchesLicence: { type: 'construction-permit', number: '610124202601010101' } },
        ],
      });
      await h.executeUpdate(reviewUpdate, { args: [{ actor: lead, decision: 'accept', comment: '同意，推送审批部门' }] });
      await h.result();
      return h.workflowId;
    },
    async 'department-task-returned'() {
      const h = await env.client.workflow.start(departmentTask, { taskQueue: 'record', workflowId: 'department-task-returned', args: [input] });
      await h.executeUpdate(returnUpdate, { args: [{ actor: housing, reason: '属规划审批', suggestedDepartment: 'natural-resources' }] });
      await h.result();
      return h.workflowId;
    },
    async 'refined-oil-follow-up-by-calendar'() {
      const h = await env.client.workflow.start(refinedOilMatter, {
        taskQueue: 'record',
        workflowId: 'refined-oil-follow-up-by-calendar',
        args: [
          {
            county,
            subject: { name: '某加油站', kind: 'enterprise' },
            facts: { township: '610124100', stationKind: 'licensed-station', participants: ['quality'] },
            definition: resolveScenario(catalogue['refined-oil'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('inspection.lead', 'compliant');
      await d.complete('inspection.quality', 'violation');
      await d.complete('penalty.quality', 'decided', { rectifyWithinDays: 10 });
      await eventually(async () => (await h.fetchHistory()).events?.some((e) => Number(e.eventType) === TIMER_STARTED), {
        intervalMs: 100,
        message: 'a timer',
      });
      await env.sleep(15 * DAY);
      await d.complete('reinspection', 'rectified');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'refined-oil-published-by-system'() {
      const h = await env.client.workflow.start(refinedOilMatter, {
        taskQueue: 'record',
        workflowId: 'refined-oil-published-by-system',
        args: [
          {
            county,
            subject: { name: '某加油站', kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
            facts: { township: '610124100', stationKind: 'licensed-station', participants: ['quality'] },
            definition: resolveScenario(catalogue['refined-oil'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('inspection.lead', 'compliant');
      await d.complete('inspection.quality', 'violation');
      await d.complete('penalty.quality', 'decided', { rectifyWithinDays: 30 });
      // The lead never publishes the check's result: the system does at its deadline.
      await eventually(async () => (await h.fetchHistory()).events!.filter((e) => Number(e.eventType) === TIMER_STARTED).length >= 2, {
        intervalMs: 100,
        message: 'two timers',
      });
      await env.sleep(35 * DAY);
      await d.complete('reinspection', 'rectified');
      await h.result();
      return h.workflowId;
    },
    async 'refined-oil-filed-with-penalties'() {
      // Unlicensed trading filed by the police; the quality violation still penalised, from its 立案.
      const h = await env.client.workflow.start(refinedOilMatter, {
        taskQueue: 'record',
        workflowId: 'refined-oil-filed-with-penalties',
        args: [
          {
            county,
            subject: { name: '某加油点', kind: 'other' },
            facts: { township: '610124100', stationKind: 'suspected-black-station', participants: ['quality'] },
            definition: resolveScenario(catalogue['refined-oil'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('inspection.lead', 'unlicensed');
      await d.complete('inspection.quality', 'violation');
      await d.complete('publication', 'published');
      await d.complete('disposal.seal', 'sealed');
      await d.transferCase('approve', 'filed');
      await d.complete('penalty.quality', 'decided');
      await d.complete('disposal.follow-up', 'closed');
      await h.result();
      return h.workflowId;
    },
    async 'refined-oil-seizure-decided'() {
      // Not transferred: the seizure decided within its 30 days, the site checked again.
      const h = await env.client.workflow.start(refinedOilMatter, {
        taskQueue: 'record',
        workflowId: 'refined-oil-seizure-decided',
        args: [
          {
            county,
            subject: { name: '某加油点', kind: 'other' },
            facts: { township: '610124100', stationKind: 'mobile-refuelling', participants: ['safety'] },
            definition: resolveScenario(catalogue['refined-oil'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('inspection.lead', 'compliant');
      await d.complete('inspection.safety', 'unlicensed');
      await d.complete('disposal.seal', 'sealed');
      await d.transferCase('refuse');
      await d.complete('disposal.seizure', 'confiscated');
      await d.complete('disposal.follow-up', 'closed');
      await d.complete('penalty.safety', 'decided');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'prepaid-card-complaint-withheld'() {
      const h = await env.client.workflow.start(prepaidCardMatter, {
        taskQueue: 'record',
        workflowId: 'prepaid-card-complaint-withheld',
        args: [
          {
            county,
            subject: { name: '某培训机构', kind: 'enterprise' },
            facts: { trade: 'education', signal: 'complaint' },
            definition: resolveScenario(catalogue['prepaid-card'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('triage', 'assigned');
      await d.complete('acceptance', 'rejected');
      await h.result();
      return h.workflowId;
    },
    'prepaid-card-complaint-told': () => prepaidComplaintTold('prepaid-card-complaint-told', '某健身房', 'WO-1'),
    // After patched('slim-recording'): only the first recordMatterEvent carries subject and facts.
    'prepaid-card-recorded-slim': () => prepaidComplaintTold('prepaid-card-recorded-slim', '某游泳馆', 'WO-2'),
    // After patched('delta-recording'): the matter's and its tasks' writes after the first carry what changed.
    'prepaid-card-recorded-as-changes': () => prepaidComplaintTold('prepaid-card-recorded-as-changes', '某溜冰场', 'WO-3'),
    // refined-oil-black-station-transferred.json and prepaid-card-fraud-transferred.json were
    // recorded with the transfer run inline (three tasks of the matter, before
    // patched('criminal-transfer-workflow')); they stay for replay and are not recorded again.
    async 'refined-oil-transfer-as-child'() {
      const h = await env.client.workflow.start(refinedOilMatter, {
        taskQueue: 'record',
        workflowId: 'refined-oil-transfer-as-child',
        args: [
          {
            county,
            subject: { name: '某加油点', kind: 'other' },
            facts: { township: '610124100', stationKind: 'own-tank', participants: ['safety'] },
            definition: resolveScenario(catalogue['refined-oil'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('inspection.lead', 'unlicensed');
      await d.complete('inspection.safety', 'compliant');
      await d.complete('disposal.seal', 'sealed');
      await d.transferCase('approve', 'not-filed');
      await d.complete('penalty.lead', 'decided');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'criminal-transfer-forwarded-reconsidered'() {
      const h = await env.client.workflow.start(prepaidCardMatter, {
        taskQueue: 'record',
        workflowId: 'criminal-transfer-forwarded-reconsidered-matter',
        args: [
          {
            county,
            subject: { name: '某健身房', kind: 'enterprise' },
            facts: { trade: 'sports', signal: 'absconding' },
            definition: resolveScenario(catalogue['prepaid-card'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('triage', 'assigned');
      await d.complete('acceptance', 'accepted');
      await d.complete('mediation', 'failed');
      await d.complete('verification', 'fraud');
      await d.step('transfer.report', 'reported');
      await d.step('transfer.approve', 'approve');
      await d.step('transfer.handover', 'transferred');
      await d.step('transfer.police-decision', 'forwarded', { forwardedTo: { county: '610118', organ: '西安市公安局鄠邑分局' } });
      await d.step('transfer.police-decision', 'not-filed');
      await d.step('transfer.reconsider', 'reconsideration');
      await d.step('transfer.reconsideration', 'filed');
      await d.step('transfer.evidence', 'handed-over');
      await d.complete('disposal.sector', 'corrected');
      await d.complete('disposal.penalty', 'decided');
      await d.complete('publication', 'published');
      await h.result();
      // The history kept is the transfer's own (the criminalTransfer workflow type).
      const t = await d.transfer();
      const th = env.client.workflow.getHandle(t.transferId);
      await th.result();
      return t.transferId;
    },
    async 'prepaid-card-mediation-expired'() {
      const h = await env.client.workflow.start(prepaidCardMatter, {
        taskQueue: 'record',
        workflowId: 'prepaid-card-mediation-expired',
        args: [
          {
            county,
            subject: { name: '某培训机构', kind: 'enterprise' },
            facts: { trade: 'education', signal: 'complaint' },
            definition: resolveScenario(catalogue['prepaid-card'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('triage', 'assigned');
      await d.complete('acceptance', 'accepted');
      await d.waitFor('mediation');
      await eventually(async () => (await h.fetchHistory()).events?.some((e) => Number(e.eventType) === TIMER_STARTED), {
        intervalMs: 100,
        message: 'a timer',
      });
      await env.sleep(80 * DAY);
      await d.complete('verification', 'no-violation');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-step-reassigned-and-reissued'() {
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-step-reassigned-and-reissued',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100', reportedHazard: true },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      const planning = await d.waitFor('survey.planning');
      await h.executeUpdate(reassignTaskUpdate, { args: [{ actor: supervisor, taskId: planning.taskId, department: 'agriculture', reason: '宅基地审批' }] });
      reassignedTaskId = planning.taskId;
      await d.complete('survey.locality', 'hazard-suspected');
      await d.complete('survey.housing', 'appraisal-needed');
      await d.complete('survey.planning', 'legal');
      const appraisal = await d.waitFor('appraisal');
      await env.client.workflow.getHandle(appraisal.taskId).cancel();
      await eventually(async () => (await d.view()).tasks.some((t) => t.replaces === appraisal.taskId), { intervalMs: 100 });
      await d.complete('appraisal', 'D');
      await d.complete('emergency.evacuate', 'sealed');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-cancelled-with-open-dispute'() {
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-cancelled-with-open-dispute',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100' },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.giveBack('survey.planning', '不属本部门', 'agriculture');
      await eventually(async () => (await d.view()).disputes?.length, { intervalMs: 100 });
      disputeOfCancelled = (await d.view()).disputes![0]!.disputeId;
      await eventually(
        async () =>
          (
            await env.client.workflow
              .getHandle(disputeOfCancelled)
              .query(getDisputeQuery)
              .catch(() => undefined)
          )?.dueAt,
        { intervalMs: 100 },
      );
      await h.cancel();
      await h.result().catch(() => undefined);
      return h.workflowId;
    },
    async 'self-built-housing-dispute-worked-through'() {
      // The returning department keeps the step through the dispute; a temporary lead takes it
      // over; the final decision moves it to the designated department, which finishes it.
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-dispute-worked-through',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100' },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('survey.locality', 'no-hazard');
      await d.complete('survey.housing', 'no-hazard');
      await d.giveBack('survey.planning', '不属本部门', 'agriculture');
      await eventually(async () => (await d.view()).disputes?.length, { intervalMs: 100 });
      const dispute = env.client.workflow.getHandle((await d.view()).disputes![0]!.disputeId);
      await eventually(async () => (await dispute.query(getDisputeQuery).catch(() => undefined))?.dueAt, { intervalMs: 100 });
      const arbiter: Principal = { keyId: 'k-staffing', county, department: 'staffing-office', roles: ['arbiter'] };
      await dispute.executeUpdate(decideDisputeUpdate, {
        args: [{ actor: arbiter, department: 'urban-management', reasoning: '紧急：先行处置', temporary: true }],
      });
      await d.waitFor('survey.planning');
      await env.sleep(12 * DAY); // past the negotiation: the staffing office coordinates and decides
      await dispute.executeUpdate(decideDisputeUpdate, { args: [{ actor: arbiter, department: 'agriculture', reasoning: '宅基地审批职责' }] });
      await eventually(async () => (await d.view()).tasks.some((t) => t.department === 'agriculture'), { intervalMs: 100 });
      await d.complete('survey.planning', 'legal');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-step-id-taken'() {
      const id = 'self-built-housing-step-id-taken';
      const old = await env.client.workflow.start(departmentTask, {
        taskQueue: 'record',
        workflowId: `${id}/task:township:610124100:1`,
        args: [{ ...input, department: 'township:610124100' }],
      });
      await old.terminate('closed by hand');
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: id,
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100' },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('survey.locality', 'no-hazard');
      await d.complete('survey.housing', 'no-hazard');
      await d.complete('survey.planning', 'legal');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-rectification-recomputed'() {
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-rectification-recomputed',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100' },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('survey.locality', 'hazard-suspected');
      await d.complete('survey.housing', 'appraisal-needed');
      await d.complete('survey.planning', 'legal');
      await d.complete('appraisal', 'B');
      await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 7 });
      await eventually(async () => (await h.fetchHistory()).events?.some((e) => Number(e.eventType) === TIMER_STARTED), {
        intervalMs: 100,
        message: 'a timer',
      });
      // A year published while the period runs: the matter resolves its end again.
      await h.signal(recomputeDeadlinesSignal, { year: 2027 });
      await settle(h); // the signal or the fired timers handled before time moves on
      await env.sleep(10 * DAY);
      await d.complete('reinspection', 'rectified');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'jurisdiction-dispute-recomputed'() {
      const h = await env.client.workflow.start(jurisdictionDispute, {
        taskQueue: 'record',
        workflowId: 'jurisdiction-dispute-recomputed',
        args: [
          {
            county,
            taskKey: 'survey.planning',
            taskTitle: '规划核查',
            parties: ['natural-resources', 'agriculture'],
            returnedBy: 'natural-resources',
            reason: '非本部门职责',
          },
        ],
      });
      await eventually(async () => (await h.query(getDisputeQuery)).dueAt, { intervalMs: 100, message: 'the first rung' });
      await h.signal(recomputeDeadlinesSignal, { year: 2027 });
      await settle(h); // the signal or the fired timers handled before time moves on
      await env.sleep(12 * DAY);
      await settle(h); // the signal or the fired timers handled before time moves on
      await h.executeUpdate(decideDisputeUpdate, {
        args: [{ actor: { keyId: 'k-so', county, department: 'staffing-office', roles: ['arbiter'] }, department: 'agriculture', reasoning: '宅基地审批' }],
      });
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-hazard-first-illegal-safe'() {
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-hazard-first-illegal-safe',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100', reportedHazard: true, businessUse: { trade: 'catering' } },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('emergency.evacuate', 'sealed');
      await d.complete('survey.locality', 'hazard-found');
      await d.complete('survey.housing', 'no-hazard');
      await d.complete('survey.planning', 'illegal');
      await d.complete('survey.business', 'violation');
      await d.complete('appraisal', 'A');
      await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 3 });
      await eventually(async () => (await h.fetchHistory()).events?.some((e) => Number(e.eventType) === TIMER_STARTED), {
        intervalMs: 100,
        message: 'a timer',
      });
      await env.sleep(6 * DAY);
      await d.complete('reinspection', 'rectified');
      await d.complete('correction.order', 'corrected');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-sealed-then-repaired'() {
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-sealed-then-repaired',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100' },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('survey.locality', 'hazard-suspected');
      await d.complete('survey.housing', 'appraisal-needed');
      await d.complete('survey.planning', 'legal');
      await d.complete('appraisal', 'D');
      await d.complete('emergency.evacuate', 'sealed');
      await d.complete('emergency.follow-up', 'repaired');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
    async 'jurisdiction-dispute-government-party'() {
      const h = await env.client.workflow.start(jurisdictionDispute, {
        taskQueue: 'record',
        workflowId: 'jurisdiction-dispute-government-party',
        args: [
          {
            county,
            taskKey: 'survey.housing',
            taskTitle: '结构安全初步研判',
            parties: ['housing', 'county-government'],
            returnedBy: 'housing',
            reason: '牵头部门认为不属本部门',
          },
        ],
      });
      await eventually(async () => (await h.query(getDisputeQuery)).dueAt, { intervalMs: 100, message: 'the first rung' });
      await env.sleep(12 * DAY);
      await settle(h); // the signal or the fired timers handled before time moves on
      await env.sleep(20 * DAY);
      await settle(h); // the signal or the fired timers handled before time moves on
      await h.executeUpdate(decideDisputeUpdate, {
        args: [{ actor: { keyId: 'k-city', county: '610100', roles: ['supervisor'] }, department: 'housing', reasoning: '牵头部门职责' }],
      });
      await h.result();
      return h.workflowId;
    },
    /** The dispute the matter above ended by its cancellation (run them together). */
    async 'jurisdiction-dispute-ended-with-matter'() {
      return disputeOfCancelled;
    },
    /** The task the scenario above reassigned (run them together). */
    async 'department-task-reassigned'() {
      return reassignedTaskId;
    },
    /** A round drawn, launched in two batches, a recusal re-drawn and delivered, closed at the window's end. */
    async 'plan:610124:2026-0001~round:1'() {
      const h = await env.client.workflow.start(inspectionRound, {
        taskQueue: 'record',
        workflowId: 'plan:610124:2026-0001/round:1',
        args: [{ planId: 'plan:610124:2026-0001', requestedBy: 'k-market' }],
      });
      const args = { inspectionId: 'inspection:610124:2026-0001', department: 'market', inspectors: ['I-market-1'], reason: '近亲属', requestedBy: 'k-market' };
      await eventually(
        () =>
          h.executeUpdate(recusalUpdate, { args: [args], updateId: 'recusal-1' }).then(
            () => true,
            () => false,
          ),
        { intervalMs: 200 },
      );
      await settle(h);
      await env.sleep(40 * DAY);
      await h.result();
      return h.workflowId;
    },
    async 'self-built-housing-rectified'() {
      const h = await env.client.workflow.start(selfBuiltHousingMatter, {
        taskQueue: 'record',
        workflowId: 'self-built-housing-rectified',
        args: [
          {
            county,
            subject: { name: '某房屋', kind: 'house' },
            facts: { township: '610124100', reportedHazard: true },
            definition: resolveScenario(catalogue['self-built-housing'], undefined),
            createdBy: 'k',
          },
        ],
      });
      const d = new MatterDriver(env.client, h);
      await d.complete('survey.locality', 'hazard-suspected');
      await d.complete('survey.housing', 'appraisal-needed');
      await d.complete('survey.planning', 'legal');
      await d.complete('appraisal', 'C');
      await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 7 });
      // Wait for the matter to start its rectification timer before moving time.
      await eventually(async () => (await h.fetchHistory()).events?.some((e) => Number(e.eventType) === 17), { intervalMs: 100 });
      await env.sleep(10 * DAY); // 7 calendar days, moved to a working day (art. 203)
      await d.complete('reinspection', 'rectified');
      await d.complete('closing.ledger', 'closed');
      await d.complete('publication', 'published');
      await h.result();
      return h.workflowId;
    },
  };
  mkdirSync(dir, { recursive: true });
  const only = process.argv.slice(2);
  for (const [name, run] of Object.entries(scenarios).filter(([n]) => !only.length || only.includes(n))) {
    const id = await run();
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    // Named by the workflow id (`/` as `~`, like URL ids): a child's id derives from its parent's,
    // and the replay test passes the id back.
    const file = id.replaceAll('/', '~');
    writeFileSync(path.join(dir, `${file}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    process.stdout.write(`recorded ${name} as ${file}.json: ${history.events?.length} events\n`);
  }
});
await env.teardown();
