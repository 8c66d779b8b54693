import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { nextSeq } from '../../db/ids.js';
import { accountabilityFlags } from '../../db/reports.js';
import { listTasks } from '../../db/tasks.js';
import { canSeeMatter, visibleCountyPrefix } from '../../db/visibility.js';
import { countySchema, departmentInCounty, departmentName, departmentSchema, divisionPrefix } from '../../domain/departments.js';
import { fromUrlId, supervisionOrderWorkflowId, toUrlId } from '../../domain/ids.js';
import { coversCounty, departmentBound, type Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { defaultLadder, taskStateSchema } from '../../domain/task.js';
import { safeText } from '../../domain/text.js';
import { getMatterQuery } from '../../workflows/matter-kit.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { forbidden, notFound, townshipOfAnotherCounty } from '../errors.js';
import { idempotencyHeaders, reserveWorkflowId } from '../idempotency.js';
import { errorResponses, officerScope, reportPeriod, reportPeriodQuery, startDepartmentTask } from '../plumbing.js';
import { presentTask } from '../presenters.js';
import { flagSchema, pageSchema, taskSummarySchema, taskViewSchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);

const orderBodySchema = z.object({
  department: departmentSchema.describe('The department that must answer'),
  instruction: safeText().trim().min(1).max(2000).describe('What the supervisor requires (督办事项)'),
  dueInWorkingDays: z.number().int().min(1).max(60).describe('Answer within this many working days of acknowledging'),
});

/**
 * 督办单 and the accountability report. A supervision order is a department task of the matter
 * (acknowledge = sign for, answer = submit, the supervisor accepts), so it has the same clocks and
 * ladder as every other duty and shows in the department's inbox.
 */
export const supervisionRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal } = deps;

    app.post(
      '/matters/:matterId/supervision-orders',
      {
        schema: {
          summary: 'Issue a supervision order (督办单) to a department on a matter (supervisor)',
          tags: ['supervision'],
          params: z.object({ matterId: urlIdSchema }),
          headers: idempotencyHeaders,
          body: orderBodySchema,
          response: { 201: taskViewSchema, 200: taskViewSchema, ...errors },
        },
      },
      async (req, reply) => {
        requireRole(req, 'supervisor');
        const matterId = fromUrlId(req.params.matterId, 'matter');
        if (!matterId) throw notFound('事项');
        const matter = await temporal.workflow
          .getHandle(matterId)
          .query(getMatterQuery)
          .catch(() => undefined);
        // (A supervisor: every matter of a covering division.)
        if (!matter || !canSeeMatter(req.principal, matter)) throw notFound('事项');
        const { department, instruction, dueInWorkingDays } = req.body;
        if (!departmentInCounty(department, matter.county)) throw townshipOfAnotherCounty('body.department', matter.county);
        const { workflowId, created } = await reserveWorkflowId(pool, {
          scope: `supervision:${matterId}`,
          key: req.headers['idempotency-key'],
          body: req.body,
          newId: async () => supervisionOrderWorkflowId(matterId, department, await nextSeq(pool, `supervision:${matterId}`)),
        });
        // As POST /v1/tasks: a retry lands on the order whether it still runs or has closed
        // (REJECT_DUPLICATE), never on a second run under its id; the answer once the assignment
        // (with its deadline) is in the read model.
        const view = await startDepartmentTask(deps, {
          workflowId,
          input: {
            county: matter.county,
            department,
            title: `督办单：${instruction.slice(0, 60)}`,
            instructions: instruction,
            matterId,
            scenario: matter.scenario,
            limits: {
              signFor: { amount: 1, unit: 'working_day', startsFrom: 'assignment' },
              handle: { amount: dueInWorkingDays, unit: 'working_day', startsFrom: 'sign-for' },
            },
            ladder: defaultLadder,
            assignedBy: req.principal,
          },
          summary: `督办单 · ${departmentName(department)} · ${matter.scenarioName}`,
          details: `**督办单**（${req.principal.county === matter.county ? '本级' : '上级'}督办）\n\n${instruction}`,
          searchAttributes: [
            { key: SA.MatterId, value: matterId },
            { key: SA.Scenario, value: matter.scenario },
          ],
        });
        return reply.code(created ? 201 : 200).send(presentTask(view));
      },
    );

    app.get(
      '/supervision-orders',
      {
        schema: {
          summary: 'Supervision orders the caller may see (a department sees the orders addressed to it)',
          tags: ['supervision'],
          querystring: z.object({
            state: taskStateSchema.optional(),
            overdue: z
              .enum(['true', 'false'])
              .transform((v) => v === 'true')
              .optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: pageSchema(taskSummarySchema), ...errors },
        },
      },
      async (req) => {
        const p: Principal = req.principal;
        const { department } = officerScope(p, undefined, { noDepartment: '该密钥未绑定部门', otherDepartment: '' }, departmentBound(p));
        const rows = await listTasks(pool, {
          countyPrefix: visibleCountyPrefix(p),
          ...(department ? { department } : {}),
          ...(req.query.state ? { state: req.query.state } : {}),
          ...(req.query.overdue !== undefined ? { overdue: req.query.overdue } : {}),
          idLike: '%/supervision:%',
          limit: req.query.limit,
        });
        return { items: rows.map((r) => presentTask(r.view)), nextCursor: null };
      },
    );

    app.get(
      '/reports/accountability',
      {
        schema: {
          summary: 'Accountability flags (推诿扯皮) with their evidence: repeated returns or extensions on one matter, red cards',
          tags: ['supervision'],
          description:
            'Over whole days `from`…`to` (Asia/Shanghai, inclusive; default the current month, either end alone: its month, as the evaluation report).',
          querystring: reportPeriodQuery({ county: countySchema.describe('A county, or a city for all its counties') }),
          response: { 200: z.object({ county: z.string(), from: z.string(), to: z.string(), flags: z.array(flagSchema) }), ...errors },
        },
      },
      async (req) => {
        requireRole(req, 'supervisor', 'admin');
        const { county } = req.query;
        if (!coversCounty(req.principal, county)) throw forbidden('只能查看本辖区的考核报告');
        const { from, to, range } = reportPeriod(req.query, Date.now());
        const flags = await accountabilityFlags(pool, { countyPrefix: divisionPrefix(county), ...range });
        return {
          county,
          from,
          to,
          flags: flags.map((f) => ({ ...f, departmentName: departmentName(f.department), matterId: f.matterId ? toUrlId(f.matterId) : null })),
        };
      },
    );
  };
