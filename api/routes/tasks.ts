import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { nextSeq } from '../../db/ids.js';
import { getTimeline } from '../../db/events.js';
import { getTaskRow, listTasks } from '../../db/tasks.js';
import { canSeeTask, visibleCountyPrefix } from '../../db/visibility.js';
import { countySchema, departmentInCounty, departmentName, departmentSchema } from '../../domain/departments.js';
import { matterOfStep, standaloneTaskWorkflowId, toUrlId } from '../../domain/ids.js';
import { hasRole, taskScope, type Principal } from '../../domain/principal.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { SA } from '../../domain/search-attributes.js';
import { safeText } from '../../domain/text.js';
import {
  cancelBodySchema,
  departmentTaskInputSchema,
  extensionBodySchema,
  extensionDecisionBodySchema,
  reassignBodySchema,
  returnBodySchema,
  reviewBodySchema,
  submitBodySchema,
  taskStateNames,
  taskStateSchema,
  terminalTaskStates,
  type TaskView,
} from '../../domain/task.js';
import {
  cancelUpdate,
  decideExtensionUpdate,
  getTaskQuery,
  requestExtensionUpdate,
  returnUpdate,
  reviewUpdate,
  signUpdate,
  submitUpdate,
  type departmentTask,
} from '../../workflows/department-task.js';
import { reassignTaskUpdate } from '../../workflows/matter-kit.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, notFound, townshipOfAnotherCounty } from '../errors.js';
import { idempotencyHeaders, reserveWorkflowId, updateIdFor } from '../idempotency.js';
import {
  act,
  cursorOf,
  errorResponses,
  keysetPage,
  loadVisible,
  officerScope,
  pageQuery,
  recordedTask,
  rowWaitMs,
  startDepartmentTask,
  uiLink,
} from '../plumbing.js';
import { presentTask } from '../presenters.js';
import { boolQuery, extensionSchema, pageSchema, taskDetailSchema, taskSummarySchema, taskViewSchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ taskId: urlIdSchema });

const createTaskBody = departmentTaskInputSchema.omit({ matterId: true, scenario: true, assignedBy: true }).extend({
  county: countySchema.optional().describe('Defaults to the caller’s county'),
});

/**
 * The task actions an officer takes, each an Update on the task (its id from the Idempotency-Key
 * and `action`): the route, its Update, its body and what it answers.
 */
const actions = [
  { path: 'sign', action: 'sign', summary: 'Sign for (签收) the task', update: signUpdate, response: { 200: taskViewSchema }, present: presentTask },
  {
    path: 'submit',
    action: 'submit',
    summary: 'Submit the result (办理结果)',
    update: submitUpdate,
    body: submitBodySchema,
    response: { 200: taskViewSchema },
    present: presentTask,
  },
  {
    path: 'review',
    action: 'review',
    summary: 'Accept or send back for rework (lead department or supervisor)',
    update: reviewUpdate,
    body: reviewBodySchema,
    response: { 200: taskViewSchema },
    present: presentTask,
  },
  {
    path: 'return',
    action: 'return',
    summary: 'Return (退回): not this department’s remit',
    update: returnUpdate,
    body: returnBodySchema,
    response: { 200: taskViewSchema },
    present: presentTask,
  },
  {
    path: 'extensions',
    action: 'extension',
    summary: 'Ask for more time (延期), before the deadline',
    update: requestExtensionUpdate,
    body: extensionBodySchema,
    response: { 201: extensionSchema },
    present: (e: unknown) => e,
  },
] satisfies {
  path: string;
  action: string;
  summary: string;
  update: { name: string };
  body?: z.ZodType;
  response: Record<200 | 201, z.ZodType> | Record<200, z.ZodType> | Record<201, z.ZodType>;
  present: (result: never) => unknown;
}[];

export const taskRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;

    /** Loads the task the caller may see, or 404; `send` then acts on it. */
    async function visibleTask(principal: Principal, urlId: string) {
      const {
        workflowId,
        handle,
        view: row,
      } = await loadVisible<TaskView>(deps, {
        urlId,
        kind: 'task',
        what: '任务',
        row: (id) => getTaskRow(pool, id),
        live: (h) => h.query(getTaskQuery),
        canSee: (v) => canSeeTask(principal, v),
      });
      // A task that has ended has no running workflow to take an action: that is a conflict with
      // its state (409), not a missing task.
      const send = <R>(update: () => Promise<R>): Promise<R> =>
        act(deps, update, () =>
          terminalTaskStates.includes(row.state)
            ? new ApiError(409, 'wrong_state', `任务已结束（${taskStateNames[row.state]}），不能再办理`)
            : notFound('任务'),
        );
      return { workflowId, row, handle: handle as ReturnType<typeof temporal.workflow.getHandle<typeof departmentTask>>, send };
    }

    app.get(
      '/tasks',
      {
        schema: {
          summary: 'Inbox: department tasks the caller may see, soonest deadline first',
          tags: ['tasks'],
          querystring: z.object({
            state: taskStateSchema.optional(),
            overdue: boolQuery.optional(),
            department: departmentSchema.optional().describe('Officers always see only their own department'),
            matterId: safeText().max(200).optional(),
            reviewing: boolQuery.optional().describe('Only submissions the caller must review: the lead department’s officers, supervisors'),
            ...pageQuery(),
          }),
          response: { 200: pageSchema(taskSummarySchema), ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        const q = req.query;
        const { officerOnly, department } = officerScope(p, q.department, {
          noDepartment: '该角色不查看部门任务（仲裁人员查看争议，管理员管理配置，审计人员查看审计记录）',
          otherDepartment: '只能查看本部门的任务',
        });
        const after = cursorOf(q.cursor, { dueAt: 'time-or-null', taskId: 'string' });
        // Reviewing: the submissions of the tasks the caller's department leads (not its own: nobody
        // reviews their own work), or for a supervisor every submission in sight.
        const rows = await listTasks(pool, {
          countyPrefix: visibleCountyPrefix(p),
          ...(q.reviewing === true
            ? { state: 'submitted', ...(officerOnly ? { leadDepartment: p.department!, notDepartment: p.department! } : {}) }
            : { ...(department ? { department } : {}), ...(q.state ? { state: q.state } : {}) }),
          ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
          ...(q.matterId ? { matterId: q.matterId.replaceAll('~', '/') } : {}),
          // In SQL, not after paging: a page never comes back short while a cursor is set.
          ...(taskScope(p) === 'all-but-transfers' ? { withoutTransferSteps: { exceptDepartment: p.department ?? null } } : {}),
          limit: q.limit + 1,
          ...(after ? { after } : {}),
        });
        const page = keysetPage(rows, q.limit, (last) => last.cursor);
        return { items: page.rows.map((r) => presentTask(r.view)), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/tasks',
      {
        schema: {
          summary: 'Assign a standalone department task (e.g. a 12345 work order)',
          tags: ['tasks'],
          headers: idempotencyHeaders,
          body: createTaskBody,
          response: { 201: taskViewSchema, 200: taskViewSchema, ...errors },
        },
      },
      async (req, reply) => {
        requireRole(req, 'operator', 'supervisor');
        const county = req.body.county ?? req.principal.county;
        if (county !== req.principal.county) throw forbidden('只能在本县派发任务');
        if (!departmentInCounty(req.body.department, county)) throw townshipOfAnotherCounty('body.department', county);
        const input = departmentTaskInputSchema.parse({ ...req.body, county, assignedBy: req.principal });
        const year = Number(shanghaiDate(Date.now()).slice(0, 4));
        const { workflowId, created } = await reserveWorkflowId(pool, {
          scope: `task:${county}`,
          key: req.headers['idempotency-key'],
          body: req.body,
          newId: async () => standaloneTaskWorkflowId(county, input.department, year, await nextSeq(pool, `task:${county}:${input.department}:${year}`)),
        });
        const view = await startDepartmentTask(deps, {
          workflowId,
          input,
          summary: `${departmentName(input.department)} · ${input.title}`.slice(0, 200),
          details: `**部门任务** · ${departmentName(input.department)}\n\n${input.instructions}`,
          searchAttributes: [{ key: SA.TaskState, value: 'assigned' }],
        });
        return reply.code(created ? 201 : 200).send(presentTask(view));
      },
    );

    app.get(
      '/tasks/:taskId',
      {
        schema: {
          summary: 'One task: state, deadlines, escalation level, extensions and timeline',
          tags: ['tasks'],
          params,
          response: { 200: taskDetailSchema, ...errors },
        },
      },
      async (req) => {
        // From the record: a closed task reads the same years later, after its workflow is purged.
        const { workflowId, row: view } = await visibleTask(req.principal, req.params.taskId);
        return { ...presentTask(view), timeline: await getTimeline(pool, workflowId), temporalUiUrl: uiLink(config, workflowId) };
      },
    );

    for (const a of actions) {
      app.post(
        `/tasks/:taskId/${a.path}`,
        {
          schema: {
            summary: a.summary,
            tags: ['tasks'],
            params,
            headers: idempotencyHeaders,
            ...('body' in a ? { body: a.body } : {}),
            response: { ...a.response, ...errors },
          },
        },
        async (req, reply) => {
          const { handle, workflowId, send } = await visibleTask(req.principal, req.params.taskId);
          const id = updateIdFor(req.headers['idempotency-key'], a.action, workflowId);
          const update = a.update as unknown as UpdateDefinition<unknown, [Record<string, unknown>]>;
          const result = await send(() =>
            handle.executeUpdate(update, { args: [{ ...(req.body ?? {}), actor: req.principal }], ...(id ? { updateId: id } : {}) }),
          );
          void reply.code(201 in a.response ? 201 : 200);
          return (a.present as (r: unknown) => unknown)(result) as never;
        },
      );
    }

    app.post(
      '/tasks/:taskId/extensions/:extensionId/decision',
      {
        schema: {
          summary: 'Approve or reject an extension (lead department or supervisor)',
          tags: ['tasks'],
          params: params.extend({ extensionId: z.string().regex(/^ext-\d{1,3}$/) }),
          headers: idempotencyHeaders,
          body: extensionDecisionBodySchema,
          response: { 200: extensionSchema, ...errors },
        },
      },
      async (req) => {
        const { handle, workflowId, send } = await visibleTask(req.principal, req.params.taskId);
        const id = updateIdFor(req.headers['idempotency-key'], `decide-${req.params.extensionId}`, workflowId);
        return send(() =>
          handle.executeUpdate(decideExtensionUpdate, {
            args: [{ ...req.body, extensionId: req.params.extensionId, actor: req.principal }],
            ...(id ? { updateId: id } : {}),
          }),
        );
      },
    );

    app.post(
      '/tasks/:taskId/cancel',
      {
        schema: {
          summary: 'Cancel a standalone task or a supervision order (supervisor or operator of its county)',
          description: 'A step of a matter cannot be cancelled (409 `matter_task`): the matter needs its outcome. Reassign it instead.',
          tags: ['tasks'],
          params,
          body: cancelBodySchema,
          response: { 200: taskViewSchema, ...errors },
        },
      },
      async (req) => {
        const { handle, workflowId, send } = await visibleTask(req.principal, req.params.taskId);
        const matterId = matterOfStep(workflowId);
        if (matterId) {
          throw new ApiError(409, 'matter_task', `此任务是事项 ${toUrlId(matterId)} 的办理环节，不能撤销；督办人员可改派（POST /v1/tasks/{taskId}/reassign）`);
        }
        return presentTask(await send(() => handle.executeUpdate(cancelUpdate, { args: [{ ...req.body, actor: req.principal }] })));
      },
    );

    app.post(
      '/tasks/:taskId/reassign',
      {
        schema: {
          summary: 'Move a matter’s step to another department (改派; supervisor of the county or its city)',
          description:
            'The task ends as `reassigned` and the matter issues the same step to the named department with fresh clocks. Answers with the new task.',
          tags: ['tasks'],
          params,
          headers: idempotencyHeaders,
          body: reassignBodySchema,
          response: { 200: taskViewSchema, ...errors },
        },
      },
      async (req) => {
        const started = Date.now();
        const { workflowId, row, send } = await visibleTask(req.principal, req.params.taskId);
        if (!hasRole(req.principal, 'supervisor')) throw forbidden('只有督办人员可以改派任务');
        if (!departmentInCounty(req.body.department, row.county)) throw townshipOfAnotherCounty('body.department', row.county);
        const matterId = matterOfStep(workflowId);
        if (!matterId) throw new ApiError(409, 'not_matter_task', '只有事项的办理环节可以改派；独立任务请撤销后重新派发');
        const id = updateIdFor(req.headers['idempotency-key'], 'reassign', workflowId);
        const moved = await send(() =>
          temporal.workflow.getHandle(matterId).executeUpdate(reassignTaskUpdate, {
            args: [{ ...req.body, taskId: workflowId, actor: req.principal }],
            ...(id ? { updateId: id } : {}),
          }),
        );
        // As for a new task: answer once the new department's inbox shows it, with its deadline.
        return presentTask(await recordedTask(deps, moved.taskId, Math.max(500, rowWaitMs(config) - (Date.now() - started))));
      },
    );
  };
