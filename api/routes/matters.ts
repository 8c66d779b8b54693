import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { getTimeline } from '../../db/events.js';
import { getMatterRow, listMatters } from '../../db/matters.js';
import { subjectIdOfMatter } from '../../db/subjects.js';
import { listTasks } from '../../db/tasks.js';
import { canSeeMatter, visibleCountyPrefix } from '../../db/visibility.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentSchema } from '../../domain/departments.js';
import { toUrlId } from '../../domain/ids.js';
import {
  cancelMatterBodySchema,
  createMatterBodySchema,
  initialMatterView,
  matterStartOptions,
  type MatterInput,
  type MatterView,
} from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import { scenarioIdSchema } from '../../domain/scenarios/schema.js';
import { safeText } from '../../domain/text.js';
import { terminalTaskStates } from '../../domain/task.js';
import { cancelMatterUpdate, getMatterQuery } from '../../workflows/matter-kit.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { withUpdateDeadline } from '../temporal.js';
import { ApiError, forbidden } from '../errors.js';
import { idempotencyHeaders } from '../idempotency.js';
import { checkedFacts, reserveMatter } from '../matter-launch.js';
import { cursorOf, errorResponses, keysetPage, loadVisible, officerScope, pageQuery, rowWaitMs, uiLink } from '../plumbing.js';
import { presentMatter, presentMatterSummary, presentTask } from '../presenters.js';
import { boolQuery, matterDetailSchema, matterSchema, matterSummarySchema, pageSchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ matterId: urlIdSchema });

export const matterRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;

    const visibleMatter = (p: Principal, urlId: string) =>
      loadVisible<MatterView>(deps, {
        urlId,
        kind: 'matter',
        what: '事项',
        row: (id) => getMatterRow(pool, id),
        live: (h) => h.query(getMatterQuery),
        canSee: (v) => canSeeMatter(p, v),
      });

    app.post(
      '/matters',
      {
        schema: {
          summary: 'Launch a matter (综合监管一件事) of a pilot scenario',
          description: 'With an `Idempotency-Key`, a retried request returns the same matter (201, then 200). `facts` are validated per scenario.',
          tags: ['matters'],
          headers: idempotencyHeaders,
          body: createMatterBodySchema,
          response: { 201: matterSchema, 200: matterSchema, ...errors },
        },
      },
      async (req, reply) => {
        requireRole(req, 'operator', 'supervisor');
        const body = req.body;
        if (body.county !== req.principal.county) throw forbidden('只能在本县启动事项');
        const facts = checkedFacts(body.scenario, body.facts);
        // The next id, the Idempotency-Key's claim and the county's scenario in one statement: a
        // request that fails there has claimed nothing.
        const { workflowId, created, definition } = await reserveMatter(pool, {
          county: body.county,
          scenario: body.scenario,
          key: req.headers['idempotency-key'],
          body,
        });
        const input: MatterInput = {
          county: body.county,
          subject: body.subject,
          facts,
          ...(body.source ? { source: body.source } : {}),
          definition,
          createdBy: req.principal.keyId,
          launchedBy: req.principal,
        };
        // USE_EXISTING: a retry after a crash between reserving the id and starting lands on the
        // running matter. REJECT_DUPLICATE: a retry after the matter closed starts no second run under
        // its id (whose events would collide with the first run's and be dropped).
        let handle: WorkflowHandle | undefined;
        try {
          const { workflowType, ...options } = matterStartOptions(workflowId, input);
          handle = await temporal.workflow.start(workflowType, {
            ...options,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        if (!handle) {
          // The matter has closed (completed or cancelled): answer with its final state, from the
          // read model (the workflow's own Query needs a worker to replay it).
          const closed = (await getMatterRow(pool, workflowId)) ?? (await temporal.workflow.getHandle(workflowId).query(getMatterQuery));
          void reply.code(created ? 201 : 200);
          return presentMatter(closed);
        }
        void reply.code(created ? 201 : 200);
        // A new matter answers with its starting state at once (the worker may be busy); a retry
        // answers with the state it has reached.
        return presentMatter(created ? initialMatterView(workflowId, input, toShanghaiIso(Date.now())) : await handle.query(getMatterQuery));
      },
    );

    app.get(
      '/matters',
      {
        schema: {
          summary: 'Matters the caller may see, newest first (a city sees its counties)',
          tags: ['matters'],
          querystring: z.object({
            scenario: scenarioIdSchema.optional(),
            stage: safeText().max(40).optional(),
            status: z.enum(['open', 'closed', 'cancelled']).optional(),
            overdue: boolQuery.optional().describe('Some open task of the matter is overdue'),
            department: departmentSchema.optional().describe('Matters in which this department has a task'),
            ...pageQuery(),
          }),
          response: { 200: pageSchema(matterSummarySchema), ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        const q = req.query;
        // A department-bound key without a department would otherwise list the whole county.
        const { department } = officerScope(p, q.department, {
          noDepartment: '该角色不查看事项（仲裁人员查看争议，管理员管理配置，审计人员查看审计记录）',
          otherDepartment: '只能查看本部门参与的事项',
        });
        const before = cursorOf(q.cursor, { createdAt: 'time', matterId: 'string' });
        const rows = await listMatters(pool, {
          countyPrefix: visibleCountyPrefix(p),
          ...(q.scenario ? { scenario: q.scenario } : {}),
          ...(q.stage ? { stage: q.stage } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
          ...(department ? { department } : {}),
          limit: q.limit + 1,
          ...(before ? { before } : {}),
        });
        const page = keysetPage(rows, q.limit, (last) => last.cursor);
        return { items: page.rows.map((r) => presentMatterSummary(r.view)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/matters/:matterId',
      {
        schema: {
          summary: 'One matter: stage, lead, every task with its state and deadline, escalations, timeline, Temporal UI link',
          tags: ['matters'],
          params,
          response: { 200: matterDetailSchema, ...errors },
        },
      },
      async (req) => {
        const { view } = await visibleMatter(req.principal, req.params.matterId);
        const [taskRows, timeline, subjectId] = await Promise.all([
          listTasks(pool, { countyPrefix: view.county, matterId: view.matterId, limit: 500 }),
          getTimeline(pool, view.matterId),
          subjectIdOfMatter(pool, view.matterId),
        ]);
        const keyOf = new Map(view.tasks.map((t) => [t.taskId, t.key]));
        const tasks = taskRows
          .map((r) => ({
            ...presentTask(r.view),
            key:
              keyOf.get(r.view.taskId) ??
              (r.view.taskId.includes('/supervision:') ? 'supervision-order' : r.view.taskId.includes('/transfer:') ? 'criminal-transfer' : ''),
            escalations: r.view.escalations.map((e) => ({ rung: e.rung, firedAt: e.firedAt })),
          }))
          .sort((a, b) => a.assignedAt.localeCompare(b.assignedAt));
        const open = tasks.filter((t) => !terminalTaskStates.includes(t.state));
        return {
          ...presentMatter(view),
          tasks,
          overdue: open.some((t) => t.overdue),
          escalationLevel: Math.max(0, ...open.map((t) => t.escalationLevel)),
          timeline,
          transfers: (view.transfers ?? []).map((t) => ({ ...t, transferId: toUrlId(t.transferId) })),
          subjectId,
          temporalUiUrl: uiLink(config, view.matterId),
        };
      },
    );

    app.post(
      '/matters/:matterId/cancel',
      {
        schema: {
          summary: 'Cancel a matter (operator or supervisor of its county); its open tasks are cancelled',
          tags: ['matters'],
          params,
          body: cancelMatterBodySchema,
          response: { 200: matterSchema, ...errors },
        },
      },
      async (req) => {
        const started = Date.now();
        const { handle, view } = await visibleMatter(req.principal, req.params.matterId);
        if (view.status !== 'open') throw new ApiError(409, 'wrong_state', '事项已结束，不能撤销');
        await withUpdateDeadline(deps, () => handle.executeUpdate(cancelMatterUpdate, { args: [{ ...req.body, actor: req.principal }] }));
        // Winding down (children cancelled, the event recorded) takes a moment: wait for it, briefly.
        // Within what is left of the request timeout; the matter winds down regardless.
        await Promise.race([
          handle.result().catch(() => undefined),
          new Promise((r) => setTimeout(r, Math.max(500, rowWaitMs(config) - (Date.now() - started))).unref()),
        ]);
        return presentMatter((await getMatterRow(pool, view.matterId)) ?? (await handle.query(getMatterQuery)));
      },
    );
  };
