/**
 * 风险预警 (issue 13 §2): intake from a risk model's or a department's system, the push to the
 * departments responsible by the county's catalogue, each department's verification (核查) and
 * disposal (处置) on its own department task, the joint review (跨部门综合研判) of a major warning
 * by the county's supervisors, and the feedback (反馈) that alone closes the loop. The loop itself is
 * the `riskWarning` workflow; the API writes the warning's row at intake so the special-campaign
 * rule (专项整治) counts every warning, even one whose workflow has not recorded anything yet.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { currentCatalogue } from '../../db/clues.js';
import { actorOf, appendAudit, getTimeline } from '../../db/events.js';
import { nextSeq } from '../../db/ids.js';
import {
  getRiskWarningRow,
  listRiskWarnings,
  lockCampaignKey,
  recentWarningsByTradeAndTownship,
  upsertRiskWarningView,
  warningDepartments,
} from '../../db/risk-warnings.js';
import { inTransaction } from '../../db/sql.js';
import { getTaskRow } from '../../db/tasks.js';
import { canSeeRiskWarning } from '../../db/visibility.js';
import { shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentInCounty, departmentName, divisionName } from '../../domain/departments.js';
import { riskWarningWorkflowId, toUrlId } from '../../domain/ids.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import {
  campaignSuggestion,
  initialRiskWarningView,
  pushTargets,
  riskLevelNames,
  riskLevels,
  riskWarningBodySchema,
  riskWarningInputSchema,
  riskWarningSettingsSchema,
  riskWarningStateNames,
  riskWarningStates,
  type RiskWarningInput,
  type RiskWarningStep,
  type RiskWarningView,
} from '../../domain/risk-warning.js';
import { SA } from '../../domain/search-attributes.js';
import {
  disposalBodySchema,
  disposalSubmission,
  feedbackBodySchema,
  feedbackRiskWarningUpdate,
  getRiskWarningQuery,
  openStepTask,
  reviewBodySchema,
  reviewRiskWarningUpdate,
  verificationBodySchema,
  verificationSubmission,
} from '../../workflows/risk-warning.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden } from '../errors.js';
import { idempotencyHeaders, reserveWorkflowId, updateIdFor } from '../idempotency.js';
import { act, cursorOf, errorResponses, keysetPage, loadVisible, pageQuery, signAndSubmit, viewOnce } from '../plumbing.js';
import { presentRiskWarning, presentTask } from '../presenters.js';
import { boolQuery, riskWarningSchema, taskViewSchema, timelineEntrySchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ warningId: urlIdSchema });

const intakeAnswerSchema = z.object({
  warningId: urlIdSchema,
  state: z.enum(riskWarningStates),
  stateName: z.string(),
  level: z.enum(riskLevels),
  departments: z.array(z.string()).describe('The departments it was pushed to (each verifies on its own task), the catalogue row’s lead first'),
  ruleId: z.string().optional().describe('The catalogue row that pushed it; absent when the issuer named the departments'),
  campaignSuggested: z
    .boolean()
    .describe(
      'With it, the county’s threshold of warnings of one trade in one township was reached: a special campaign (专项整治) is suggested to the supervisors',
    ),
});

/** The county's warning clocks: its catalogue's `riskWarnings` settings over DOMAIN §6's defaults. */
function settingsOf(stored: Record<string, unknown> | undefined) {
  const parsed = riskWarningSettingsSchema.safeParse(stored?.riskWarnings ?? {});
  return parsed.success ? parsed.data : riskWarningSettingsSchema.parse({});
}

const stepWords: Record<RiskWarningStep, string> = { verification: '核查', disposal: '处置' };

export const riskWarningRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;

    /** An action on a warning whose workflow has ended. */
    const gone = () => new ApiError(409, 'wrong_state', '风险预警已闭环或已撤销');

    async function visible(p: Principal, urlId: string) {
      const loaded = await loadVisible<RiskWarningView>(deps, {
        urlId,
        kind: 'warning',
        what: '风险预警',
        row: (id) => getRiskWarningRow(pool, id),
        live: (h) => h.query(getRiskWarningQuery),
        canSee: (v) => canSeeRiskWarning(p, { county: v.county, departments: warningDepartments(v), issuingDepartment: v.issuingDepartment }),
      });
      return { ...loaded, send: <R>(update: () => Promise<R>) => act(deps, update, gone) };
    }

    app.post(
      '/risk-warnings',
      {
        schema: {
          summary: 'Issue a risk warning (风险预警): pushed to the departments responsible, each verifies on the level’s clock; it closes only with feedback',
          description:
            'A model’s warning comes from the county’s operators (a risk model’s system key is an operator key); a department’s warning from an officer or the head of the issuing department, which then takes the feedback. Without `departments` the county’s dispatch catalogue (派单目录) decides by trade, subject kind and keywords; when nothing matches the warning is refused (422 `no_responsible_department`) and nothing is written. With an `Idempotency-Key` a retry answers 200 with the same warning. Verification counts from the push: red 1, orange 3, yellow 5, blue 10 working days by default.',
          tags: ['risk-warnings'],
          headers: idempotencyHeaders,
          body: riskWarningBodySchema,
          response: { 201: intakeAnswerSchema, 200: intakeAnswerSchema, ...errorResponses(400, 401, 403, 404, 409, 422, 503) },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const body = req.body;
        if (body.county !== p.county) throw forbidden('只能发布本县的风险预警');
        if (body.source === 'model' && !hasRole(p, 'operator')) throw forbidden('模型预警由本县运营人员或风险模型的系统密钥发布');
        if (body.source === 'department' && !(p.department && hasRole(p, 'officer', 'head'))) throw forbidden('部门预警由发布部门的承办人员或负责人发布');
        const outside = (body.departments ?? []).filter((d) => !departmentInCounty(d, body.county));
        if (outside.length) throw new ApiError(400, 'validation_failed', '推送部门不属本县', [{ path: 'body.departments', message: '乡镇不属本县' }]);

        const catalogue = await currentCatalogue(pool, body.county);
        const push = pushTargets(catalogue?.catalogue, body);
        if (!push) throw new ApiError(422, 'no_responsible_department', '派单目录未匹配到负责部门，请在 departments 中指明推送部门');
        const settings = settingsOf(catalogue?.settings as Record<string, unknown> | undefined);

        const year = Number(shanghaiDate(Date.now()).slice(0, 4));
        const { workflowId: warningId, created } = await reserveWorkflowId(pool, {
          scope: `warning:${body.county}`,
          key: req.headers['idempotency-key'],
          body,
          newId: async () => riskWarningWorkflowId(body.county, year, await nextSeq(pool, `warning:${body.county}:${year}`)),
        });
        const inputOf = (o: { departments: string[]; ruleId?: string | undefined; campaign?: RiskWarningInput['campaign'] }): RiskWarningInput =>
          riskWarningInputSchema.parse({
            county: body.county,
            source: body.source,
            ...(body.model ? { model: body.model } : {}),
            ...(body.source === 'department' ? { issuingDepartment: p.department } : {}),
            level: body.level,
            subject: body.subject,
            ...(body.trade ? { trade: body.trade } : {}),
            ...(body.township ? { township: body.township } : {}),
            indicators: body.indicators,
            summary: body.summary,
            departments: o.departments,
            ...(o.ruleId ? { ruleId: o.ruleId } : {}),
            settings,
            ...(o.campaign ? { campaign: o.campaign } : {}),
          });

        // The row and the intake's audit entry in one transaction, under the lock of the
        // warning's trade and township: the campaign rule sees every warning before it. A retry
        // finds the row and starts the same input (a crash between the row and the start loses nothing).
        const input = await inTransaction(pool, async (client) => {
          const existing = await getRiskWarningRow(client, warningId);
          if (existing) return inputOf({ departments: existing.departments, ruleId: existing.ruleId, campaign: existing.campaign });
          const at = Date.now();
          let campaign: RiskWarningInput['campaign'];
          if (body.trade && body.township) {
            const key = { county: body.county, trade: body.trade, township: body.township };
            await lockCampaignKey(client, key);
            const since = new Date(at - settings.campaign.windowDays * 86_400_000).toISOString();
            const recent = await recentWarningsByTradeAndTownship(client, { ...key, since });
            campaign = campaignSuggestion(recent, { warningId, ...key, issuedAt: new Date(at).toISOString() }, settings.campaign);
          }
          const fresh = inputOf({ departments: push.departments, ruleId: push.ruleId, campaign });
          await upsertRiskWarningView(client, initialRiskWarningView(fresh, warningId, at));
          await appendAudit(client, {
            eventId: `${warningId}#intake`,
            at: toShanghaiIso(at),
            county: body.county,
            action: 'risk-warning.accepted',
            objectId: warningId,
            details: {
              summary: `${riskLevelNames[body.level]}推送${push.departments.map(departmentName).join('、')}`,
              level: body.level,
              source: body.source,
              departments: push.departments,
              ...(push.ruleId ? { ruleId: push.ruleId } : {}),
              ...(campaign ? { campaign: campaign.warningIds } : {}),
            },
            ...actorOf(p),
          });
          return fresh;
        });

        try {
          await temporal.workflow.start('riskWarning', {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId: warningId,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            // The level and the county, never the subject (a person or a sole trader is personal data).
            staticSummary: `风险预警 · ${riskLevelNames[body.level]} · ${divisionName(body.county)}`,
            staticDetails: `**${riskLevelNames[body.level]}** · 推送 ${input.departments.map(departmentName).join('、')}`,
            typedSearchAttributes: [{ key: SA.County, value: body.county }],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        const latest = (await getRiskWarningRow(pool, warningId))!;
        void reply.code(created ? 201 : 200);
        return {
          warningId: toUrlId(warningId),
          state: latest.state,
          stateName: latest.stateName,
          level: latest.level,
          departments: latest.departments,
          ...(latest.ruleId ? { ruleId: latest.ruleId } : {}),
          campaignSuggested: latest.campaign !== undefined,
        };
      },
    );

    app.get(
      '/risk-warnings',
      {
        schema: {
          summary:
            'Risk warnings the caller may see, newest first: operators, supervisors and auditors all of the county’s; a department those pushed to it or issued by it',
          tags: ['risk-warnings'],
          querystring: z.object({
            level: z.enum(riskLevels).optional(),
            state: z.enum(riskWarningStates).optional(),
            overdue: boolQuery.optional().describe('A verification or disposal task is past its deadline, or the joint review or the feedback is'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(riskWarningSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const before = cursorOf(q.cursor, { createdAt: 'time', warningId: 'string' });
        const rows = await listRiskWarnings(pool, req.principal, { level: q.level, state: q.state, overdue: q.overdue, limit: q.limit + 1, before });
        const page = keysetPage(rows, q.limit, (last) => ({ ...last.cursor }));
        return { items: page.rows.map((r) => presentRiskWarning(r.view)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/risk-warnings/:warningId',
      {
        schema: {
          summary: 'One risk warning: its push, the departments’ verifications and disposals, the joint review, the feedback, its tasks and timeline',
          tags: ['risk-warnings'],
          params,
          response: {
            200: riskWarningSchema.extend({ departmentTasks: z.array(taskViewSchema), timeline: z.array(timelineEntrySchema) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const { view } = await visible(req.principal, req.params.warningId);
        const tasks = (await Promise.all(view.tasks.map((t) => getTaskRow(pool, t.taskId)))).filter((t) => t !== undefined);
        return { ...presentRiskWarning(view), departmentTasks: tasks.map(presentTask), timeline: await getTimeline(pool, view.warningId) };
      },
    );

    // 核查 and 处置: the department's submission on its open task of the step (signed for first
    // when it was not), answered once the warning has recorded it.
    const steps = [
      {
        step: 'verification',
        summary: '核查: a department’s findings on the warning (its verification task’s submission; signed for first when it was not)',
        body: verificationBodySchema,
        submission: (b: z.infer<typeof verificationBodySchema>) => verificationSubmission(b),
        recorded: (v: RiskWarningView, department: string) => v.verifications.some((x) => x.department === department),
      },
      {
        step: 'disposal',
        summary: '处置: a department’s measures (its disposal task’s submission), which may ask for a matter or a joint inspection',
        body: disposalBodySchema,
        submission: (b: z.infer<typeof disposalBodySchema>) => disposalSubmission(b),
        recorded: (v: RiskWarningView, department: string) => v.disposals.some((x) => x.department === department),
      },
    ] as const;
    for (const s of steps) {
      app.post(
        `/risk-warnings/:warningId/${s.step}`,
        {
          schema: {
            summary: s.summary,
            description: `The caller is an officer or the head of \`department\`; a department with no open ${stepWords[s.step]} task of the warning gets 409 \`wrong_state\`.`,
            tags: ['risk-warnings'],
            params,
            headers: idempotencyHeaders,
            body: s.body,
            response: { 200: riskWarningSchema, ...errors },
          },
        },
        async (req) => {
          const p = req.principal;
          const body = req.body as { department: string } & Record<string, unknown>;
          const { handle, send } = await visible(p, req.params.warningId);
          if (p.department !== body.department || !hasRole(p, 'officer', 'head'))
            throw forbidden(`只有${departmentName(body.department)}的承办人员可以提交${stepWords[s.step]}情况`);
          const live = await handle.query(getRiskWarningQuery);
          const taskId = openStepTask(live, s.step, body.department);
          if (!taskId)
            throw new ApiError(
              409,
              'wrong_state',
              `${departmentName(body.department)}没有待办的${stepWords[s.step]}任务（风险预警${riskWarningStateNames[live.state]}）`,
            );
          const submission = (s.submission as (b: unknown) => Record<string, unknown>)(body);
          await signAndSubmit(deps, { taskId, actor: p, key: req.headers['idempotency-key'], submission, gone });
          return presentRiskWarning(
            await viewOnce(
              deps,
              () => handle.query(getRiskWarningQuery),
              (v) => s.recorded(v, body.department),
            ),
          );
        },
      );
    }

    // The warning's own updates: the supervisors' joint review, the issuer's feedback.
    const actions = [
      {
        path: 'review',
        summary:
          '跨部门综合研判 of a red or orange warning by the county’s supervisors, after every verification: who disposes, and whether a joint inspection is held',
        body: reviewBodySchema,
        update: reviewRiskWarningUpdate,
      },
      {
        path: 'feedback',
        summary: '反馈 to the issuer once verification and disposal are done: the county’s operators, or the issuing department; the warning closes with it',
        body: feedbackBodySchema,
        update: feedbackRiskWarningUpdate,
      },
    ] as const;
    for (const a of actions) {
      app.post(
        `/risk-warnings/:warningId/${a.path}`,
        {
          schema: {
            summary: a.summary,
            tags: ['risk-warnings'],
            params,
            headers: idempotencyHeaders,
            body: a.body,
            response: { 200: riskWarningSchema, ...errors },
          },
        },
        async (req) => {
          const { handle, workflowId, send } = await visible(req.principal, req.params.warningId);
          const id = updateIdFor(req.headers['idempotency-key'], a.update.name, workflowId);
          const update = a.update as unknown as UpdateDefinition<RiskWarningView, [Record<string, unknown>]>;
          const v = await send(() =>
            handle.executeUpdate(update, { args: [{ ...(req.body as object), actor: req.principal }], ...(id ? { updateId: id } : {}) }),
          );
          return presentRiskWarning(v);
        },
      );
    }
  };
