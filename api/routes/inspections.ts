/**
 * Inspections (双随机、一公开; 进一次门、查多项事; issue 14 §4–§5): an ad-hoc inspection started by a
 * department (drawn ones come from the rounds), refused when it would duplicate one (409
 * `recently_inspected`, prevented at the door and counted); the list and one inspection; and each
 * department's result (谁检查、谁录入), its task's submission, a finding of which may open a matter or a clue.
 * The inspection itself is the `jointInspection` workflow; its row is written here at the start
 * (so a concurrent request sees it) and by the workflow on every event.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { getClueRow } from '../../db/clues.js';
import { getTimeline } from '../../db/events.js';
import { claimIdempotencyKey, nextSeq } from '../../db/ids.js';
import { publishedItem } from '../../db/inspection-items.js';
import {
  getInspectionRow,
  inspectionsInYear,
  listInspections,
  lockSubjectInspections,
  logInspectionRefusal,
  recentInspection,
  upsertInspectionView,
} from '../../db/inspections.js';
import { yearlyCap } from '../../db/inspection-settings.js';
import { getInspector } from '../../db/inspectors.js';
import { getRiskWarningRow } from '../../db/risk-warnings.js';
import { registryRecord } from '../../db/subject-registry.js';
import { inTransaction } from '../../db/sql.js';
import { getTaskRow } from '../../db/tasks.js';
import { canSeeInspection } from '../../db/visibility.js';
import { shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import { countySchema, departmentName, departmentSchema, divisionName } from '../../domain/departments.js';
import { toUrlId } from '../../domain/ids.js';
import { checkColumns, inspectionOutcomeNames, inspectionStateNames, resultBodySchema, type InspectionView } from '../../domain/inspection.js';
import { inspectionDefaults, inspectionStates, planWorkflowIds, type JointInspectionInput } from '../../domain/inspection-plan.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { inspectorIdSchema, itemIdSchema, subjectIdSchema } from '../../domain/registry.js';
import { SA } from '../../domain/search-attributes.js';
import { safeText } from '../../domain/text.js';
import { isoDateSchema } from '../../domain/time.js';
import { getInspectionQuery } from '../../workflows/joint-inspection.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, invalidField } from '../errors.js';
import { idempotencyHeaders, requestHashes } from '../idempotency.js';
import { cursorOf, errorResponses, keysetPage, loadVisible, pageQuery, signAndSubmit, uiLink, viewOnce } from '../plumbing.js';
import { presentTask } from '../presenters.js';
import { taskViewSchema, timelineEntrySchema, urlIdSchema } from '../schemas.js';
import { findingClues } from '../inspection-clues.js';
import { findingMatters } from '../inspection-matters.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ inspectionId: urlIdSchema });

const adHocBodySchema = z
  .object({
    county: countySchema,
    subjectId: subjectIdSchema.describe('The registered subject (监管对象库)'),
    department: departmentSchema.describe('The department that inspects and leads (the caller’s)'),
    items: z.array(itemIdSchema).min(1).max(50).describe('Published items of the county’s list (事项清单) it checks, each once'),
    inspectors: z
      .array(inspectorIdSchema)
      .min(2)
      .max(20)
      .describe('Its inspectors (at least 2 certificate holders of the department, 国办发〔2024〕54号), each once'),
    visitOn: isoDateSchema
      .nullable()
      .describe('The visit date (today or later); null only when every item is checked in writing or off-site (no visit needed)'),
    cause: safeText()
      .trim()
      .min(3)
      .max(300)
      .optional()
      .describe(
        'Why, beyond the plan: a clue (`clue:<county>:<year>-<seq>`) or risk warning (`warning:…`) that requires a check. It lets the check through a recent inspection or the yearly cap, and is recorded',
      ),
  })
  .refine((b) => new Set(b.items).size === b.items.length, { message: 'each item once', path: ['items'], when: (x) => x.issues.length === 0 })
  .refine((b) => new Set(b.inspectors).size === b.inspectors.length, {
    message: 'each inspector once',
    path: ['inspectors'],
    when: (x) => x.issues.length === 0,
  });

const checkSchema = z.object({
  department: z.string(),
  departmentName: z.string(),
  items: z.array(z.string()),
  inspectors: z.array(z.string()).describe('Inspector ids (never names)'),
  planId: z.string().optional(),
  roundId: z.string().optional(),
});
const findingSchema = z.object({ item: z.string(), description: z.string(), opens: z.enum(['matter', 'clue']).optional() });
export const inspectionSchema = z.object({
  inspectionId: urlIdSchema,
  county: z.string(),
  subjectId: z.string().describe('The subject’s registry id (its name is in the registry, not here)'),
  initiator: z.string().describe('The department whose inspectors lead'),
  checks: z.array(checkSchema).describe('One checklist per department'),
  departments: z.array(z.string()),
  items: z.array(z.string()),
  visitOn: z.string().nullable().describe('The visit date; null: written or off-site only'),
  cause: z.string().optional(),
  state: z.enum(inspectionStates),
  stateName: z.string(),
  createdAt: z.string(),
  results: z.array(
    z.object({ department: z.string(), outcome: z.string(), outcomeName: z.string(), summary: z.string(), findings: z.array(findingSchema), at: z.string() }),
  ),
  endedOn: z.string().optional().describe('The day the last department recorded: the publication clock counts from it'),
  publication: z
    .object({
      dueAt: z.string(),
      taskId: z.string().optional().describe('The initiator’s publication task (`/v1/tasks/{taskId}`), once started'),
      publishedAt: z.string().optional(),
      resultId: z.string().optional(),
      onTime: z.boolean().optional(),
    })
    .optional()
    .describe('谁公开: due 20 working days after the end, on the initiator’s task'),
  credit: z.array(z.object({ department: z.string(), from: z.string(), to: z.string() })).optional(),
  recusals: z.array(z.object({ department: z.string(), removed: z.array(z.string()), added: z.array(z.string()), counter: z.number().int(), at: z.string() })),
});

function presentInspection(v: InspectionView): z.infer<typeof inspectionSchema> {
  return {
    inspectionId: toUrlId(v.inspectionId),
    county: v.county,
    subjectId: v.subjectId,
    initiator: v.initiator,
    checks: v.checks.map((c) => ({ ...c, departmentName: departmentName(c.department) })),
    departments: v.departments,
    items: v.items,
    visitOn: v.visitOn,
    ...(v.cause ? { cause: v.cause } : {}),
    state: v.state,
    stateName: v.stateName,
    createdAt: v.createdAt,
    results: v.results.map(({ taskId: _taskId, ...r }) => r),
    ...(v.endedOn ? { endedOn: v.endedOn } : {}),
    ...(v.publication?.dueAt ? { publication: { dueAt: v.publication.dueAt, ...pick(v.publication) } } : {}),
    ...(v.credit ? { credit: v.credit } : {}),
    recusals: v.recusals,
  };
}
const pick = (p: NonNullable<InspectionView['publication']>) => ({
  ...(p.taskId ? { taskId: toUrlId(p.taskId) } : {}),
  ...(p.publishedAt ? { publishedAt: p.publishedAt } : {}),
  ...(p.resultId ? { resultId: toUrlId(p.resultId) } : {}),
  ...(p.onTime !== undefined ? { onTime: p.onTime } : {}),
});

/** A cause that lets a check through: a clue or risk warning of the county, as recorded. */
async function causeFound(deps: AppDeps, county: string, cause: string): Promise<boolean> {
  if (cause.startsWith('clue:')) return (await getClueRow(deps.pool, cause))?.county === county;
  if (cause.startsWith('warning:')) return (await getRiskWarningRow(deps.pool, cause))?.county === county;
  return false;
}

export const inspectionRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;
    const gone = () => new ApiError(409, 'wrong_state', '检查已结束或已撤销');

    const visible = (p: Principal, urlId: string) =>
      loadVisible<InspectionView>(deps, {
        urlId,
        kind: 'inspection',
        what: '检查',
        row: (id) => getInspectionRow(pool, id),
        live: (h) => h.query(getInspectionQuery),
        canSee: (v) => canSeeInspection(p, v),
      });

    app.post(
      '/inspections',
      {
        schema: {
          summary: 'An ad-hoc inspection (双随机 drawn ones come from the rounds): one subject, the department’s items and inspectors, one visit',
          description:
            'An officer or the head of `department`. Items must be published on the county’s list (422 `item_not_published`); the subject registered (422 `unknown_subject`); inspectors active certificate holders of the department without a declared conflict with the subject (422 `inspector_not_eligible`). When the subject was inspected, or is scheduled, for one of the items within 30 days of the visit, or has reached the county’s yearly cap, the answer is 409 `recently_inspected` naming the earlier inspection (its id in `issues[0].message`), nothing is started, and the refusal is counted; a `cause` naming a clue or risk warning of the county lets it through. With an `Idempotency-Key` a retry answers 200 with the same inspection.',
          tags: ['inspections'],
          headers: idempotencyHeaders,
          body: adHocBodySchema,
          response: { 201: inspectionSchema, 200: inspectionSchema, ...errors, ...errorResponses(422) },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const body = req.body;
        if (body.county !== p.county || p.department !== body.department || !hasRole(p, 'officer', 'head'))
          throw forbidden('只有本部门的承办人员或负责人可以发起检查');
        const today = shanghaiDate(Date.now());
        if (body.visitOn !== null && body.visitOn < today) throw invalidField('body.visitOn', 'the visit date is today or later');
        const items = await Promise.all(body.items.map((id) => publishedItem(pool, body.county, id)));
        const unpublished = body.items.filter((_, i) => !items[i]);
        if (unpublished.length)
          throw new ApiError(
            422,
            'item_not_published',
            `未公布的检查事项不得检查：${unpublished.join('、')}`,
            unpublished.map((id) => ({ path: `body.items.${body.items.indexOf(id)}`, message: 'not published' })),
          );
        const needsVisit = items.some((i) => i!.method === 'on-site');
        if (needsVisit && body.visitOn === null) throw invalidField('body.visitOn', 'an on-site item needs a visit date');
        const visitOn = needsVisit ? body.visitOn : null;
        const subject = await registryRecord(pool, body.subjectId);
        if (!subject || subject.county !== body.county) throw new ApiError(422, 'unknown_subject', '监管对象库中没有该对象');
        const team = await Promise.all(body.inspectors.map((id) => getInspector(pool, id)));
        const ineligible = body.inspectors.filter((_, i) => {
          const x = team[i];
          return !x || x.county !== body.county || x.department !== body.department || !x.active || x.conflicts.includes(body.subjectId);
        });
        if (ineligible.length)
          throw new ApiError(
            422,
            'inspector_not_eligible',
            '检查人员须为本部门在岗的执法证持有人，且与检查对象无利害关系',
            ineligible.map((id) => ({ path: `body.inspectors.${body.inspectors.indexOf(id)}`, message: 'not eligible' })),
          );
        if (body.cause && !(await causeFound(deps, body.county, body.cause)))
          throw invalidField('body.cause', 'no clue or risk warning of the county with this id');

        const key = req.headers['idempotency-key'];
        const scope = `inspection:${body.county}`;
        const hashes = requestHashes(body);
        const year = Number((visitOn ?? today).slice(0, 4));
        const outcome = await inTransaction(pool, async (client) => {
          // One subject's starts one at a time: two requests cannot both pass the check.
          await lockSubjectInspections(client, body.subjectId);
          if (key) {
            const prior = await client.query<{ resource_id: string; request_hash: string }>(
              'SELECT resource_id, request_hash FROM idempotency_keys WHERE scope = $1 AND key = $2',
              [scope, key],
            );
            const hit = prior.rows[0];
            if (hit) {
              if (hit.request_hash !== hashes.canonical && hit.request_hash !== hashes.asWritten)
                throw new ApiError(409, 'idempotency_key_reused', '同一 Idempotency-Key 已用于内容不同的请求');
              return { kind: 'retry' as const, inspectionId: hit.resource_id };
            }
          }
          if (!body.cause) {
            const recent = await recentInspection(client, {
              subjectId: body.subjectId,
              items: body.items,
              on: visitOn ?? today,
              days: inspectionDefaults.recentWindowDays,
            });
            if (recent) return { kind: 'refused' as const, reason: 'recent' as const, earlierId: recent.inspectionId, itemId: recent.item };
            const cap = await yearlyCap(client, body.county);
            if (cap !== undefined) {
              const done = await inspectionsInYear(client, body.subjectId, year);
              if (done.count >= cap) return { kind: 'refused' as const, reason: 'yearly-cap' as const, earlierId: done.latest, itemId: undefined };
            }
          }
          const inspectionId = planWorkflowIds.inspection(body.county, year, await nextSeq(client, `inspection:${body.county}:${year}`));
          if (key) await claimIdempotencyKey(client, scope, key, hashes.canonical, inspectionId);
          const input: JointInspectionInput = {
            inspectionId,
            county: body.county,
            subjectId: body.subjectId,
            initiator: body.department,
            checks: [{ department: body.department, items: body.items, inspectors: body.inspectors }],
            visitOn,
            ...(body.cause ? { cause: body.cause } : {}),
            requestedBy: p.keyId,
          };
          // The row now, so the next request for the subject sees it before the workflow writes.
          const checks = input.checks;
          await upsertInspectionView(client, {
            inspectionId,
            county: body.county,
            subjectId: body.subjectId,
            initiator: body.department,
            checks,
            ...checkColumns(checks),
            visitOn,
            ...(body.cause ? { cause: body.cause } : {}),
            state: 'scheduled',
            stateName: inspectionStateNames.scheduled,
            createdAt: toShanghaiIso(Date.now()),
            tasks: [],
            results: [],
            recusals: [],
            lastEventSeq: 0,
          });
          return { kind: 'new' as const, input };
        });

        if (outcome.kind === 'refused') {
          // Counted for the report (duplicates prevented); no inspection, row or workflow.
          await logInspectionRefusal(pool, {
            county: body.county,
            department: body.department,
            subjectId: body.subjectId,
            reason: outcome.reason,
            earlierId: outcome.earlierId,
            itemId: outcome.itemId,
          });
          const earlier = outcome.earlierId ?? '';
          const path = outcome.itemId ? `body.items.${body.items.indexOf(outcome.itemId)}` : 'body.subjectId';
          throw new ApiError(
            409,
            'recently_inspected',
            outcome.reason === 'recent'
              ? `该对象近 ${inspectionDefaults.recentWindowDays} 日内已就事项 ${outcome.itemId} 检查或已安排检查（${earlier}），不得重复检查`
              : `该对象本年度检查次数已达本县公布的上限${earlier ? `（最近一次 ${earlier}）` : ''}`,
            [{ path, message: earlier }],
          );
        }
        if (outcome.kind === 'retry') {
          const v = (await getInspectionRow(pool, outcome.inspectionId)) ?? (await temporal.workflow.getHandle(outcome.inspectionId).query(getInspectionQuery));
          void reply.code(200);
          return presentInspection(v);
        }
        const { input } = outcome;
        try {
          await temporal.workflow.start('jointInspection', {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId: input.inspectionId,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            // No personal data: the county, the department and the date, never the subject.
            staticSummary: `双随机联合检查 · ${divisionName(input.county)} · ${departmentName(input.initiator)}`,
            staticDetails: `**检查** · ${visitOn ?? '书面/非现场'} · ${input.checks[0]!.items.join('、')}`,
            typedSearchAttributes: [
              { key: SA.County, value: input.county },
              { key: SA.Department, value: input.initiator },
            ],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        void reply.code(201);
        return presentInspection((await getInspectionRow(pool, input.inspectionId))!);
      },
    );

    app.get(
      '/inspections',
      {
        schema: {
          summary:
            'Inspections the caller may see, newest first: operators, supervisors and auditors of the county (or its city) all, a department those it checks in',
          tags: ['inspections'],
          querystring: z.object({
            county: countySchema.optional().describe('One county (a city’s callers see all of theirs without it)'),
            state: z.enum(inspectionStates).optional(),
            department: departmentSchema.optional().describe('Checked by this department'),
            subjectId: subjectIdSchema.optional(),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(inspectionSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const before = cursorOf(q.cursor, { createdAt: 'time', inspectionId: 'string' });
        const rows = await listInspections(pool, req.principal, {
          county: q.county,
          state: q.state,
          department: q.department,
          subjectId: q.subjectId,
          limit: q.limit + 1,
          before,
        });
        const page = keysetPage(rows, q.limit, (last) => last.cursor);
        return { items: page.rows.map((r) => presentInspection(r.view)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/inspections/:inspectionId',
      {
        schema: {
          summary: 'One inspection: its checklists, team (inspector ids), visit, results, credit, publication, department tasks and timeline',
          tags: ['inspections'],
          params,
          response: {
            200: inspectionSchema.extend({ departmentTasks: z.array(taskViewSchema), timeline: z.array(timelineEntrySchema), temporalUiUrl: z.string() }),
            ...errors,
          },
        },
      },
      async (req) => {
        const { view, workflowId } = await visible(req.principal, req.params.inspectionId);
        const tasks = (await Promise.all(view.tasks.map((t) => getTaskRow(pool, t.taskId)))).filter((t) => t !== undefined);
        return {
          ...presentInspection(view),
          departmentTasks: tasks.map(presentTask),
          timeline: await getTimeline(pool, workflowId),
          temporalUiUrl: uiLink(config, workflowId),
        };
      },
    );

    app.post(
      '/inspections/:inspectionId/results',
      {
        schema: {
          summary: '谁检查、谁录入: a department records its own result (its check task’s submission, signed for first when it was not)',
          description:
            'Only an officer or the head of `department` (403 otherwise); a department with no open check task in the inspection gets 409 `wrong_state`. A finding’s item is one of the department’s checklist. A finding with `opens: matter` and `matter` opens a matter of that scenario about the subject (`opened`: `{ finding, matterId }`); one with `opens: clue` and `clue` opens a clue (问题线索) about the subject for the competent department, taken in as POST /v1/clues takes one in (channel `department`, ref `<inspection>#<department>:<finding>`; `opened`: `{ finding, clueId }`), once per finding whatever the retries. The result feeds the subject’s credit record (a penalty: one grade down). With an `Idempotency-Key` a retry acts once.',
          tags: ['inspections'],
          params,
          headers: idempotencyHeaders,
          body: resultBodySchema,
          response: {
            200: inspectionSchema.extend({
              opened: z
                .array(
                  z.union([
                    z.object({ finding: z.number().int(), matterId: urlIdSchema.describe('The matter the finding opened') }),
                    z.object({ finding: z.number().int(), clueId: urlIdSchema.describe('The clue the finding opened (GET /v1/clues/{clueId})') }),
                  ]),
                )
                .describe('What the findings opened, by finding index (0-based, in the body’s order)'),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const p = req.principal;
        const body = req.body;
        if (p.department !== body.department || !hasRole(p, 'officer', 'head'))
          throw forbidden(`只有${departmentName(body.department)}的承办人员或负责人可以录入其检查结果（谁检查、谁录入）`);
        const { handle, view, workflowId } = await visible(p, req.params.inspectionId);
        const check = view.checks.find((c) => c.department === body.department);
        if (!check) throw new ApiError(409, 'wrong_state', `${departmentName(body.department)}不参加此次检查`);
        body.findings.forEach((f, i) => {
          if (!check.items.includes(f.item)) throw invalidField(`body.findings.${i}.item`, 'not an item of the department’s checklist');
        });
        const findings = body.findings.map(({ matter: _m, clue: _c, ...f }) => f);
        const findingsText = findings.length ? JSON.stringify(findings) : undefined;
        if (findingsText && findingsText.length > 4000) throw invalidField('body.findings', 'the findings exceed 4,000 characters in all');
        const opening = await findingMatters(deps, body.findings, view.county);
        const clues = findingClues(deps, body.findings, body.department);
        // A retry with the same key after the result went in: answered again, nothing submitted twice
        // (the task has closed, so its Update ids no longer dedupe; the key's claim does).
        const key = req.headers['idempotency-key'];
        let retried = false;
        if (key) {
          const hashes = requestHashes(body);
          const prior = await claimIdempotencyKey(pool, `inspection-result:${workflowId}`, key, hashes.canonical, body.department);
          if (prior && prior.requestHash !== hashes.canonical && prior.requestHash !== hashes.asWritten)
            throw new ApiError(409, 'idempotency_key_reused', '同一 Idempotency-Key 已用于内容不同的请求');
          retried = prior !== undefined;
        }
        const live = await handle.query(getInspectionQuery);
        const task = live.tasks.find((t) => t.kind === 'check' && t.department === body.department && t.state === 'running');
        const done = live.results.some((r) => r.department === body.department);
        if (!task && !(retried && done))
          throw new ApiError(409, 'wrong_state', `${departmentName(body.department)}没有待录入的检查任务（检查${live.stateName}）`);
        if (task) {
          const summary = body.summary ?? inspectionOutcomeNames[body.outcome];
          await signAndSubmit(deps, {
            taskId: task.taskId,
            actor: p,
            key,
            submission: { summary, outcome: body.outcome, ...(findingsText ? { findings: findingsText } : {}) },
            gone,
          });
        }
        const opened = [...(await opening.launch(p, view, key)), ...(await clues.launch(p, view))].sort((a, b) => a.finding - b.finding);
        const recorded = await viewOnce(
          deps,
          () => handle.query(getInspectionQuery),
          (v) => v.results.some((r) => r.department === body.department),
        );
        return { ...presentInspection(recorded), opened };
      },
    );
  };
