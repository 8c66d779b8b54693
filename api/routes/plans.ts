/**
 * Annual inspection plans (年度抽查工作计划, annex 2 of 周政办发〔2024〕13号; DOMAIN §7, issue 14 §2)
 * and the planning season that asks for them by 31 March. A plan names only published items of
 * the county's list (国办发〔2024〕54号), each with its lead department taking part, at ratios within
 * the credit-graded bands (a key item may raise them to 1). It is written once, audited, and
 * numbered per county and year; its rounds run from their own Schedule (the rounds module).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getTimeline } from '../../db/events.js';
import { nextSeq } from '../../db/ids.js';
import { currentItems } from '../../db/inspection-items.js';
import { createPlan, getPlan, listPlans, seasonCoverage } from '../../db/plans.js';
import { canReadPlans } from '../../db/visibility.js';
import { resolveDeadline, shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import { countySchema, departmentInCounty, departmentName, departmentSchema, divisionName } from '../../domain/departments.js';
import { effectiveRatios, planBodySchema, planFrequencies, planIdSchema, planWorkflowIds, ratioViolations, type Plan } from '../../domain/inspection-plan.js';
import { leadPlanStateNames, leadPlanStates, leadState, seasonRule, seasonStartMs } from '../../domain/planning-season.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { maxYear, minYear } from '../../domain/time.js';
import { planningSeason } from '../../workflows/planning-season.js';
import { stepNames, type SeasonStep } from '../../workflows/planning-season/notices.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, invalidField, notFound } from '../errors.js';
import { idempotencyHeaders, reserveWorkflowId } from '../idempotency.js';
import { ensurePlanSchedule } from '../plan-schedule.js';
import { adminAudit, cursorOf, errorResponses, keysetPage, pageQuery } from '../plumbing.js';

const ratiosSchema = z.object({ A: z.number(), B: z.number(), C: z.number(), D: z.number(), E: z.number().optional() });

const planSchema = z.object({
  planId: z.string().describe('plan:<county>:<year>-<seq>'),
  county: z.string(),
  year: z.number().int(),
  name: z.string().describe('计划名称'),
  lead: z.string().describe('牵头单位'),
  cooperating: z.array(z.string()).describe('配合单位'),
  items: z.array(z.string()).describe('监管事项 (published items of the county’s list)'),
  target: z
    .object({ tags: z.array(z.string()).optional(), trades: z.array(z.string()).optional(), kinds: z.array(z.string()).optional() })
    .describe('监管对象'),
  ratios: ratiosSchema.describe('The effective ratios per credit grade (what was given, else the band’s upper end)'),
  frequency: z.enum(planFrequencies).describe('检查频次'),
  window: z.object({ from: z.string(), to: z.string() }).describe('检查起止时间'),
  createdAt: z.string().describe('When it was filed (+08:00)'),
  createdBy: z.string().describe('The key id that filed it'),
});

const present = (p: Plan) => ({ ...p, createdAt: toShanghaiIso(Date.parse(p.createdAt)) });

const yearSchema = z.coerce.number().int().min(minYear).max(maxYear);
const seasonParams = z.object({ county: countySchema, year: yearSchema.describe('The plans’ year') });

const seasonSchema = z.object({
  county: z.string(),
  countyName: z.string(),
  year: z.number().int(),
  seasonId: z.string().describe('The planningSeason workflow: season:<county>:<year>'),
  season: z.enum(['not-started', 'running', 'closed']).describe('Whether its season runs (reminders from 1 March, the ladder after 31 March)'),
  dueAt: z.string().describe('Plans are due by the end of 31 March (+08:00)'),
  departments: z
    .array(
      z.object({
        department: z.string(),
        departmentName: z.string(),
        published: z.array(z.string()).describe('The published items it leads'),
        planned: z.array(z.string()).describe('Those a plan of the year covers'),
        missing: z.array(z.string()).describe('Those no plan covers yet'),
        state: z.enum(leadPlanStates).describe('`planned`, `due` (before the deadline) or `late`'),
        stateName: z.string(),
        rung: z
          .string()
          .nullable()
          .describe('The highest step of the season that named it: `opening`, `reminder`, `chase`, `yellow-card`, `red-card`, `escalation`'),
        rungName: z.string().nullable(),
      }),
    )
    .describe('Each lead department of a published item, by code'),
});

/** The season's steps in escalating order (a daily chase repeats the last rung, it is not higher). */
const stepOrder: SeasonStep[] = ['opening', 'reminder', 'chase', 'yellow-card', 'red-card', 'escalation'];

/** Who may file a plan: the county's supervisors, or an officer or the head of the plan's lead department. */
function mayFile(p: Principal, county: string, lead: string): boolean {
  if (p.county !== county) return false;
  return hasRole(p, 'supervisor') || (p.department === lead && hasRole(p, 'officer', 'head'));
}

export const planRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;

    app.post(
      '/plans',
      {
        schema: {
          summary:
            'File an annual inspection plan (年度抽查工作计划, annex 2): published items, lead and cooperating departments, ratios per credit grade, frequency, window',
          description:
            'Filed by an officer or the head of the plan’s lead department, or by a supervisor of the county. Every item must be a published item of the county’s list (422 `item_not_published`, 国办发〔2024〕54号); each item’s lead department must take part in the plan, as its lead or a cooperating department (422 `item_lead_not_in_plan`), and the plan’s lead must lead one of its items (422 `not_lead_of_any_item`). Ratios are fractions per credit grade within the bands (A ≤ 0.05, B 0.05–0.2, C 0.21–0.6, D 0.61–1; a plan with a key item may raise any to 1): otherwise 422 `ratio_out_of_band` naming the grades. Nothing is written when refused. With an `Idempotency-Key` a retry answers 200 with the same plan.',
          tags: ['plans'],
          headers: idempotencyHeaders,
          body: planBodySchema,
          response: { 201: planSchema, 200: planSchema, ...errorResponses(400, 401, 403, 409, 422, 503) },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const body = req.body;
        if (!mayFile(p, body.county, body.lead)) throw forbidden('年度检查计划由本县牵头单位的承办人员、负责人或督查人员报送');
        if (!departmentInCounty(body.lead, body.county)) throw invalidField('body.lead', `该乡镇不属于 ${body.county}`);
        const outside = body.cooperating.findIndex((d) => !departmentInCounty(d, body.county));
        if (outside >= 0) throw invalidField(`body.cooperating.${outside}`, `该乡镇不属于 ${body.county}`);

        // The items in force, read once; an item counts only while published (the rule of
        // db/inspection-items.ts `publishedItem`, 国办发〔2024〕54号).
        const inForce = new Map((await currentItems(pool, body.county)).filter((i) => i.published).map((i) => [i.itemId, i]));
        const items = body.items.map((id) => inForce.get(id));
        const unpublished = body.items.filter((_, i) => !items[i]);
        if (unpublished.length) {
          throw new ApiError(
            422,
            'item_not_published',
            `以下事项不在本县已公开的事项清单中，不得列入计划：${unpublished.join('、')}`,
            body.items.flatMap((id, i) => (items[i] ? [] : [{ path: `body.items.${i}`, message: `${id} 未公开或不在清单中` }])),
          );
        }
        const published = items.map((i) => i!);
        const departments = new Set([body.lead, ...body.cooperating]);
        const leadless = published.filter((i) => !departments.has(i.lead));
        if (leadless.length) {
          throw new ApiError(
            422,
            'item_lead_not_in_plan',
            `事项的牵头单位须参加计划（作为牵头或配合单位）：${leadless.map((i) => `${i.itemId}（${departmentName(i.lead)}）`).join('、')}`,
            leadless.map((i) => ({ path: `body.items.${body.items.indexOf(i.itemId)}`, message: `牵头单位 ${i.lead} 未参加计划` })),
          );
        }
        if (!published.some((i) => i.lead === body.lead)) {
          throw new ApiError(422, 'not_lead_of_any_item', `计划的牵头单位须牵头其中至少一项事项：${departmentName(body.lead)}未牵头所列事项`, [
            { path: 'body.lead', message: '未牵头所列任何事项' },
          ]);
        }
        const ratios = effectiveRatios(body.ratios);
        const violations = ratioViolations(
          ratios,
          published.some((i) => i.category === 'key'),
        );
        if (violations.length) {
          throw new ApiError(
            422,
            'ratio_out_of_band',
            `抽查比例超出信用等级的范围：${violations.map((v) => `${v.grade} 级 ${v.ratio}（${v.min}–${v.max}）`).join('；')}`,
            violations.map((v) => ({ path: `body.ratios.${v.grade}`, message: `${v.ratio} 不在 ${v.min}–${v.max} 之间` })),
          );
        }

        const { workflowId: planId } = await reserveWorkflowId(pool, {
          scope: `plan:${body.county}`,
          key: req.headers['idempotency-key'],
          body,
          newId: async () => planWorkflowIds.plan(body.county, body.year, await nextSeq(pool, `plan:${body.county}:${body.year}`)),
        });
        const { plan, created } = await adminAudit(
          deps,
          p,
          (client) => createPlan(client, { planId, body, ratios, createdBy: p.keyId }),
          (r) =>
            r.created
              ? {
                  eventId: `${planId}#filed`,
                  county: body.county,
                  action: 'plan.filed',
                  objectId: planId,
                  details: { year: body.year, lead: body.lead, cooperating: body.cooperating, items: body.items, ratios, frequency: body.frequency },
                }
              : undefined,
        );
        // The plan's rounds run from its Schedule (api/plan-schedule.ts), made once the plan is
        // stored; a retry (same key) makes it again idempotently, so a crash between the two
        // leaves no plan without its Schedule once the client retries.
        await ensurePlanSchedule(temporal, plan, config.TEMPORAL_TASK_QUEUE);
        void reply.code(created ? 201 : 200);
        return present(plan);
      },
    );

    app.get(
      '/plans',
      {
        schema: {
          summary:
            'A county’s plans of a year, in number order (its officers, heads, admins and operators; supervisors and auditors of the county or its city)',
          tags: ['plans'],
          querystring: z.object({
            county: countySchema,
            year: yearSchema.describe('The plans’ year'),
            lead: departmentSchema.optional().describe('Only the plans this department leads'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(planSchema), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (req) => {
        const q = req.query;
        if (!canReadPlans(req.principal, q.county)) throw forbidden('无权查看该县的检查计划');
        const after = cursorOf(q.cursor, { planId: 'string' });
        const rows = await listPlans(pool, { county: q.county, year: q.year, lead: q.lead, after: after?.planId, limit: q.limit + 1 });
        const page = keysetPage(rows, q.limit, (last) => ({ planId: last.planId }));
        return { items: page.rows.map(present), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/plans/:planId',
      {
        schema: {
          summary: 'One plan as filed, with its effective ratios',
          tags: ['plans'],
          params: z.object({ planId: planIdSchema }),
          response: { 200: planSchema, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (req) => {
        const plan = await getPlan(pool, req.params.planId);
        if (!plan || !canReadPlans(req.principal, plan.county)) throw notFound('检查计划');
        return present(plan);
      },
    );

    /** The season's state: who leads published items, what is planned, who is late and how far the ladder went. */
    async function seasonOf(county: string, year: number) {
      const seasonId = planWorkflowIds.season(county, year);
      // The deadline as the season resolves it (31 March, end of day, not moved by holidays).
      const due = resolveDeadline(seasonStartMs(year), seasonRule);
      let season: 'not-started' | 'running' | 'closed' = 'not-started';
      try {
        const d = await temporal.workflow.getHandle(seasonId).describe();
        season = d.status.name === 'RUNNING' ? 'running' : 'closed';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      const reached = new Map<string, SeasonStep>();
      for (const e of await getTimeline(pool, seasonId)) {
        const step = e.data.step as SeasonStep | undefined;
        if (!step || !stepOrder.includes(step)) continue;
        for (const d of (e.data.departments as string[] | undefined) ?? []) {
          const before = reached.get(d);
          if (!before || stepOrder.indexOf(step) > stepOrder.indexOf(before)) reached.set(d, step);
        }
      }
      const now = Date.now();
      return {
        county,
        countyName: divisionName(county),
        year,
        seasonId,
        season,
        dueAt: due.dueAt,
        departments: (await seasonCoverage(pool, county, year)).map((c) => {
          const state = leadState(c, now, due.dueAtMs);
          const rung = reached.get(c.department) ?? null;
          return {
            ...c,
            departmentName: departmentName(c.department),
            state,
            stateName: leadPlanStateNames[state],
            rung,
            rungName: rung ? stepNames[rung] : null,
          };
        }),
      };
    }

    app.get(
      '/counties/:county/planning-season/:year',
      {
        schema: {
          summary:
            'Who is late with the annual plans: each lead department’s published items, planned and missing ones, its state and the rung of the ladder reached',
          description:
            'Read live from the published items and the filed plans (a lead that files drops out at once); the rung is the highest step of the season’s recorded timeline that named the department.',
          tags: ['plans'],
          params: seasonParams,
          response: { 200: seasonSchema, ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (req) => {
        const { county, year } = req.params;
        if (!canReadPlans(req.principal, county)) throw forbidden('无权查看该县的计划报送情况');
        return seasonOf(county, year);
      },
    );

    app.post(
      '/counties/:county/planning-season/:year',
      {
        schema: {
          summary: 'Start the county’s planning season of a year (admin or supervisor of the county); idempotent',
          description:
            'Seasons are started every 1 January and 1 March by a Schedule for each county with published items; this starts one by hand (e.g. a county that published its first items after 1 March). A season that runs or has run answers 200 as it is; a year already past is 422 `season_past`, one after next year 422 `season_too_early`.',
          tags: ['plans'],
          params: seasonParams,
          response: { 201: seasonSchema, 200: seasonSchema, ...errorResponses(400, 401, 403, 422, 503) },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const { county, year } = req.params;
        if (p.county !== county || !hasRole(p, 'admin', 'supervisor')) throw forbidden('只有本县管理员或督查人员可以启动计划季');
        const thisYear = Number(shanghaiDate(Date.now()).slice(0, 4));
        if (year < thisYear) throw new ApiError(422, 'season_past', `${year} 年已过，不再启动计划季`);
        // Next year's season may be started ahead (it waits for 1 March); none further out.
        if (year > thisYear + 1) throw new ApiError(422, 'season_too_early', `${year} 年的计划季最早于 ${year - 1} 年启动`);
        const seasonId = planWorkflowIds.season(county, year);
        // Started once: a season that runs or has run (closed) is answered as it is.
        let created = false;
        try {
          await temporal.workflow.getHandle(seasonId).describe();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          try {
            await temporal.workflow.start(planningSeason, {
              taskQueue: config.TEMPORAL_TASK_QUEUE,
              workflowId: seasonId,
              args: [{ county, year }],
              workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
              staticSummary: `年度检查计划 · ${divisionName(county)} · ${year}`,
              typedSearchAttributes: [{ key: SA.County, value: county }],
            });
            created = true;
          } catch (startErr) {
            // Started meanwhile (the Schedule, a concurrent request): theirs.
            if (!(startErr instanceof WorkflowExecutionAlreadyStartedError)) throw startErr;
          }
        }
        if (created) {
          await adminAudit(
            deps,
            p,
            async () => seasonId,
            (id) => ({ eventId: `${id}#started`, county, action: 'planning-season.started', objectId: id, details: { year } }),
          );
        }
        void reply.code(created ? 201 : 200);
        return seasonOf(county, year);
      },
    );
  };
