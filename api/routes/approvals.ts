/**
 * 审管衔接 (issue 13 §3): the approval bureau's events become the competent department's check
 * (the `approvalFollowUp` workflow), by the county's versioned approval rules (licence type →
 * competent department and first-check working days, default 30). The check is worked through
 * the task routes (/v1/tasks/…) like any department task; a finding touching the licence is
 * pushed back to the approval bureau by the workflow.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { approvalDepartments, currentApprovalRules, getApprovalRow, listApprovals, putApprovalRules, type ApprovalRulesVersion } from '../../db/approvals.js';
import { getTimeline } from '../../db/events.js';
import { nextSeq } from '../../db/ids.js';
import { getTaskRow } from '../../db/tasks.js';
import { canSeeApproval } from '../../db/visibility.js';
import {
  approvalBodySchema,
  approvalBureau,
  approvalEventNames,
  approvalRulesSchema,
  approvalSettingsSchema,
  approvalStateNames,
  approvalStates,
  routeApproval,
  rulesOutsideCounty,
  type ApprovalInputDraft,
  type ApprovalView,
} from '../../domain/approval.js';
import { shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import { countySchema, departmentInCounty, departmentName, departmentSchema, divisionName } from '../../domain/departments.js';
import { approvalWorkflowId, toUrlId } from '../../domain/ids.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { getApprovalFollowUpQuery } from '../../workflows/approval-follow-up.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, invalidField } from '../errors.js';
import { idempotencyHeaders, reserveWorkflowId } from '../idempotency.js';
import { adminAudit, cursorOf, errorResponses, keysetPage, loadVisible, pageQuery, uiLink } from '../plumbing.js';
import { presentApproval, presentTask } from '../presenters.js';
import { approvalSchema, boolQuery, taskViewSchema, timelineEntrySchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ followUpId: urlIdSchema });

const intakeAnswerSchema = z.object({
  followUpId: urlIdSchema.describe('GET /v1/approvals/{followUpId}'),
  state: z.enum(approvalStates),
  stateName: z.string(),
  department: z.string().describe('The competent department that checks (its task is in its inbox)'),
  departmentName: z.string(),
  routedBy: z.enum(['event', 'county-rules']).describe('event: the event named it; county-rules: the county’s rule for the licence type'),
  firstCheckWorkingDays: z.number().int().describe('The first check is due within this many working days of the approval'),
});

const rulesBodySchema = z.object({
  licences: approvalRulesSchema.shape.licences,
  /** The county's defaults; what is left out keeps DOMAIN §6's. */
  settings: approvalSettingsSchema.partial().optional(),
  baseVersion: z.number().int().min(0).optional().describe('The version edited: rules changed meanwhile answer 409 and nothing is written'),
});
const rulesAnswerSchema = z.object({
  county: z.string(),
  version: z.number().int().describe('0: the county has no rules yet, every event must name its competent department'),
  licences: approvalRulesSchema.shape.licences,
  settings: z.record(z.string(), z.unknown()),
  effectiveSettings: z.record(z.string(), z.unknown()).describe('The settings with every default filled in (first check 30 working days)'),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
});

/** The rules in force as the API shows them (version 0: none yet). */
function rulesAnswer(county: string, r: ApprovalRulesVersion | undefined) {
  return {
    county,
    version: r?.version ?? 0,
    licences: r?.rules.licences ?? [],
    settings: r?.settings ?? {},
    effectiveSettings: approvalSettingsSchema.parse(r?.settings ?? {}),
    ...(r ? { updatedAt: toShanghaiIso(Date.parse(r.createdAt)), updatedBy: r.createdBy } : {}),
  };
}

/** The approval bureau (its officers and head, or its system's key) of the principal's own county. */
const isBureau = (p: Principal) => p.department === approvalBureau && hasRole(p, 'officer', 'head');

/** A clock skew the API tolerates before calling a decision time "in the future". */
const SKEW_MS = 5 * 60_000;
/**
 * How long before its receipt a decision may lie. The bureau's system pushes events as they are
 * decided; a licence decided longer ago is checked by the county's inspection plan (双随机), not as
 * a new post-approval check. It also bounds what a late event sets off at once: a check overdue on
 * arrival fires its passed rungs and daily chases immediately, one per working day since its deadline.
 */
const MAX_DECISION_AGE_DAYS = 30;

export const approvalRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;

    const intakeAnswer = (v: Pick<ApprovalView, 'followUpId' | 'state' | 'department' | 'routedBy' | 'firstCheck'>) => ({
      followUpId: toUrlId(v.followUpId),
      state: v.state,
      stateName: approvalStateNames[v.state],
      department: v.department,
      departmentName: departmentName(v.department),
      routedBy: v.routedBy,
      firstCheckWorkingDays: v.firstCheck.workingDays,
    });

    app.post(
      '/approvals',
      {
        schema: {
          summary: 'An approval event (审管衔接): a licence granted, changed or revoked, or a filing, becomes the competent department’s check',
          description:
            'The `Idempotency-Key` is the event’s id in the approval system: a retry answers 200 with the same follow-up. The competent department is the event’s `competentDepartment`, else the county’s approval rule for the licence type; with neither, 422 `no_competent_department` and nothing is recorded. The first check is due within the licence type’s working days (default 30) of `decidedAt` (default: the receipt; not in the future, nor more than 30 days before the receipt).',
          tags: ['approvals'],
          headers: idempotencyHeaders,
          body: approvalBodySchema,
          response: { 201: intakeAnswerSchema, 200: intakeAnswerSchema, ...errors, ...errorResponses(422) },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        if (!hasRole(p, 'operator') && !isBureau(p)) throw forbidden('只有本县行政审批服务局或操作员可以推送审批事项');
        const body = req.body;
        if (body.county !== p.county) throw forbidden('只能推送本县的审批事项');
        const receivedAt = Date.now();
        const decidedAt = body.decidedAt ? Date.parse(body.decidedAt) : receivedAt;
        if (decidedAt > receivedAt + SKEW_MS) throw invalidField('body.decidedAt', 'the decision cannot be in the future');
        if (decidedAt < receivedAt - MAX_DECISION_AGE_DAYS * 86_400_000) {
          throw invalidField('body.decidedAt', `a decision more than ${MAX_DECISION_AGE_DAYS} days old is not a new approval event`);
        }
        if (body.competentDepartment && !departmentInCounty(body.competentDepartment, body.county)) {
          throw invalidField('body.competentDepartment', 'a township of another county');
        }
        const current = await currentApprovalRules(pool, body.county);
        const settings = approvalSettingsSchema.parse(current?.settings ?? {});
        const routing = routeApproval(current?.rules, settings, body);
        if (!routing) {
          throw new ApiError(422, 'no_competent_department', `本县审批规则未规定许可类型 ${body.licence.type} 的监管部门，请在事项中注明 competentDepartment`);
        }

        const year = Number(shanghaiDate(receivedAt).slice(0, 4));
        const { workflowId: followUpId, created } = await reserveWorkflowId(pool, {
          scope: `approval:${body.county}`,
          key: req.headers['idempotency-key'],
          body,
          newId: async () => approvalWorkflowId(body.county, year, await nextSeq(pool, `approval:${body.county}:${year}`)),
        });
        const input: ApprovalInputDraft = {
          county: body.county,
          event: body.event,
          licence: { ...body.licence, ...(routing.licenceTypeName ? { typeName: routing.licenceTypeName } : {}) },
          subject: body.subject,
          department: routing.department,
          routedBy: routing.by,
          firstCheckWorkingDays: routing.firstCheckWorkingDays,
          signForWorkingDays: settings.signForWorkingDays,
          decidedAt,
          receivedAt,
          receivedBy: p,
        };
        // USE_EXISTING: a retry after a crash between the reservation and the start lands on the
        // running follow-up; REJECT_DUPLICATE: one that closed is never started again under its id.
        try {
          await temporal.workflow.start('approvalFollowUp', {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId: followUpId,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            // No personal data: the event, the licence type and the county, never the subject.
            staticSummary: `审管衔接 · ${approvalEventNames[body.event]} · ${divisionName(body.county)}`,
            staticDetails: `**审管衔接** · ${routing.licenceTypeName ?? body.licence.type} · ${departmentName(routing.department)}`,
            typedSearchAttributes: [
              { key: SA.County, value: body.county },
              { key: SA.Department, value: routing.department },
            ],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        void reply.code(created ? 201 : 200);
        if (created) {
          return intakeAnswer({
            followUpId,
            state: 'checking',
            department: routing.department,
            routedBy: routing.by,
            firstCheck: { workingDays: routing.firstCheckWorkingDays, outcomes: [] },
          });
        }
        // A retry: the follow-up as it was started (its department and clock are pinned in its input).
        const recorded = (await getApprovalRow(pool, followUpId)) ?? (await temporal.workflow.getHandle(followUpId).query(getApprovalFollowUpQuery));
        return intakeAnswer(recorded);
      },
    );

    app.get(
      '/approvals',
      {
        schema: {
          summary:
            'Approval follow-ups the caller may see, newest first: the approval bureau and supervisors all of the county’s, a department those it checks',
          tags: ['approvals'],
          querystring: z.object({
            state: z.enum(approvalStates).optional(),
            department: departmentSchema.optional().describe('Checked by this department'),
            overdue: boolQuery.optional().describe('Its check task is open past its deadline'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(approvalSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const before = cursorOf(q.cursor, { receivedAt: 'time', followUpId: 'string' });
        const rows = await listApprovals(pool, req.principal, { state: q.state, department: q.department, overdue: q.overdue, limit: q.limit + 1, before });
        const page = keysetPage(rows, q.limit, (last) => last.cursor);
        return { items: page.rows.map((r) => presentApproval(r.view)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/approvals/:followUpId',
      {
        schema: {
          summary: 'One approval follow-up: the event, the competent department’s check task, its outcome, the reverse push, and its timeline',
          tags: ['approvals'],
          params,
          response: {
            200: approvalSchema.extend({
              departmentTasks: z.array(taskViewSchema),
              timeline: z.array(timelineEntrySchema),
              temporalUiUrl: z.string(),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const { view } = await loadVisible<ApprovalView>(deps, {
          urlId: req.params.followUpId,
          kind: 'approval',
          what: '审管衔接事项',
          row: (id) => getApprovalRow(pool, id),
          live: (h) => h.query(getApprovalFollowUpQuery),
          canSee: (v) => canSeeApproval(req.principal, { county: v.county, departments: approvalDepartments(v) }),
        });
        const tasks = (await Promise.all(view.tasks.map((t) => getTaskRow(pool, t.taskId)))).filter((t) => t !== undefined);
        return {
          ...presentApproval(view),
          departmentTasks: tasks.map(presentTask),
          timeline: await getTimeline(pool, view.followUpId),
          temporalUiUrl: uiLink(config, view.followUpId),
        };
      },
    );

    const countyParams = z.object({ county: countySchema });
    const canReadRules = (p: Principal, county: string) =>
      p.county === county && (hasRole(p, 'admin', 'operator', 'supervisor') || p.department === approvalBureau);

    app.get(
      '/counties/:county/approval-rules',
      {
        schema: {
          summary: 'The county’s approval rules in force: licence type → competent department and first-check working days',
          tags: ['approvals'],
          params: countyParams,
          response: { 200: rulesAnswerSchema, ...errors },
        },
      },
      async (req) => {
        if (!canReadRules(req.principal, req.params.county)) throw forbidden('只能查看本县的审批规则');
        return rulesAnswer(req.params.county, await currentApprovalRules(pool, req.params.county));
      },
    );

    app.put(
      '/counties/:county/approval-rules',
      {
        schema: {
          summary: 'Replace the county’s approval rules (admin): a new version, audited',
          description: 'Follow-ups already started keep the department and clock they got. A township of another county is refused.',
          tags: ['approvals'],
          params: countyParams,
          body: rulesBodySchema,
          response: { 200: rulesAnswerSchema, ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        const county = req.params.county;
        if (!hasRole(p, 'admin') || p.county !== county) throw forbidden('只有本县管理员可以修改审批规则');
        const rules = { licences: req.body.licences };
        const outside = rulesOutsideCounty(rules, county);
        if (outside.length) {
          throw new ApiError(
            400,
            'validation_failed',
            '审批规则不符合要求',
            outside.map((i) => ({ path: `body.licences.${i}.department`, message: 'a township of another county' })),
          );
        }
        const settings = req.body.settings ?? {};
        const result = await adminAudit(
          deps,
          p,
          (client) => putApprovalRules(client, { county, rules, settings, createdBy: p.keyId, baseVersion: req.body.baseVersion }),
          (r) =>
            r === 'stale'
              ? undefined
              : {
                  eventId: `approval-rules:${r.county}:v${r.version}`,
                  county: r.county,
                  action: 'approval-rules.replaced',
                  objectId: `approval-rules:${r.county}`,
                  details: { version: r.version, licences: r.rules.licences.length },
                },
        );
        if (result === 'stale') throw new ApiError(409, 'stale_version', '审批规则已被他人修改，请刷新后重试');
        return rulesAnswer(result.county, result);
      },
    );
  };
