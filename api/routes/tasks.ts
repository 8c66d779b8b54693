import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { nextSeq } from '../../db/ids.js';
import { decodeCursor, idempotencyHeaders, pageOf, reserveWorkflowId, updateIdFor } from '../idempotency.js';
import { getTaskRow, getTimeline, listTasks, waitForTaskRow } from '../../db/tasks.js';
import { countySchema, departmentInCounty, departmentName, departmentSchema } from '../../domain/departments.js';
import { fromUrlId, matterOfStep, standaloneTaskWorkflowId, toUrlId } from '../../domain/ids.js';
import { hasRole, taskScope } from '../../domain/principal.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { SA } from '../../domain/search-attributes.js';
import { safeText } from '../../domain/text.js';
import {
  cancelBodySchema, departmentTaskInputSchema, extensionBodySchema, extensionDecisionBodySchema, reassignBodySchema, returnBodySchema,
  reviewBodySchema, submitBodySchema, taskStateNames, taskStateSchema, terminalTaskStates, type TaskView,
} from '../../domain/task.js';
import {
  cancelUpdate, decideExtensionUpdate, departmentTask, getTaskQuery, requestExtensionUpdate, returnUpdate,
  reviewUpdate, signUpdate, submitUpdate,
} from '../../workflows/department-task.js';
import { reassignTaskUpdate } from '../../workflows/matter-kit.js';
import { canSeeTask, requireRole, visibleCountyPrefix } from '../auth.js';
import type { AppDeps } from '../app.js';
import { withUpdateDeadline } from '../temporal.js';
import { ApiError, errorBodySchema, forbidden, notFound, townshipOfAnotherCounty } from '../errors.js';
import {
  boolQuery, extensionSchema, pageSchema, taskDetailSchema, taskSummarySchema, taskViewSchema, urlIdSchema,
} from '../schemas.js';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 503: errorBodySchema };
const params = z.object({ taskId: urlIdSchema });

/** The API's shape of a task: the workflow's view plus URL id and display names. */
export function presentTask(v: TaskView) {
  return {
    ...v,
    taskId: toUrlId(v.taskId),
    workflowId: v.taskId,
    departmentName: departmentName(v.department),
    stateName: taskStateNames[v.state],
  };
}

/** How long a creating request waits for the read model's row: its deadline less 2 s (at least 1 s). */
export const rowWaitMs = (config: Pick<AppDeps['config'], 'API_REQUEST_TIMEOUT_MS'>) => Math.max(1_000, config.API_REQUEST_TIMEOUT_MS - 2_000);

const createTaskBody = departmentTaskInputSchema.omit({ matterId: true, scenario: true, assignedBy: true }).extend({
  county: countySchema.optional().describe('Defaults to the caller’s county'),
});

export const taskRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { pool, temporal, config } = deps;

  /** Loads the task the caller may see, or 404 (never reveal that another county's task exists). */
  async function visibleTask(principal: Parameters<typeof canSeeTask>[0], urlId: string) {
    const workflowId = fromUrlId(urlId, 'task');
    if (!workflowId) throw notFound('任务');
    const handle = temporal.workflow.getHandle<typeof departmentTask>(workflowId);
    // The record (PostgreSQL) answers: it holds the state as of the task's last event, and it
    // outlives Temporal's retention. Only a task too new to have written its row is asked live.
    let row = await getTaskRow(pool, workflowId);
    if (!row) {
      try {
        row = await handle.query(getTaskQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('任务');
        throw err;
      }
    }
    if (!canSeeTask(principal, row)) throw notFound('任务');
    const seen = row;
    /**
     * Sends an action. A task that has ended has no running workflow to take it: that is a
     * conflict with its state (409), not a missing task.
     */
    const act = async <R>(send: () => Promise<R>): Promise<R> => {
      try {
        return await withUpdateDeadline(deps, send);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError && terminalTaskStates.includes(seen.state)) {
          throw new ApiError(409, 'wrong_state', `任务已结束（${taskStateNames[seen.state]}），不能再办理`);
        }
        if (err instanceof WorkflowNotFoundError) throw notFound('任务');
        throw err;
      }
    };
    return { workflowId, row, handle, act };
  }

  app.get('/tasks', {
    schema: {
      summary: 'Inbox: department tasks the caller may see, soonest deadline first',
      tags: ['tasks'],
      querystring: z.object({
        state: taskStateSchema.optional(),
        overdue: boolQuery.optional(),
        department: departmentSchema.optional().describe('Officers always see only their own department'),
        matterId: safeText().max(200).optional(),
        reviewing: boolQuery.optional().describe('Only submissions the caller must review: the lead department’s officers, supervisors'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: safeText().max(400).optional(),
      }),
      response: { 200: pageSchema(taskSummarySchema), ...errors },
    },
  }, async (req) => {
    const p = req.principal;
    const q = req.query;
    const scope = taskScope(p);
    const isOfficerOnly = scope === 'department';
    if (isOfficerOnly && !p.department) throw forbidden(hasRole(p, 'officer', 'head') ? '该密钥未绑定部门' : '该角色不查看部门任务（仲裁人员查看争议，管理员管理配置，审计人员查看审计记录）');
    if (isOfficerOnly && q.department && q.department !== p.department) throw forbidden('只能查看本部门的任务');
    const department = isOfficerOnly ? p.department : q.department;
    const after = q.cursor ? decodeCursor(q.cursor, { dueAt: 'time-or-null', taskId: 'string' }) as { dueAt: string | null; taskId: string } : undefined;
    // Reviewing: the submissions of the tasks the caller's department leads (not its own: nobody
    // reviews their own work), or for a supervisor every submission in sight.
    const reviewing = q.reviewing === true;
    const rows = await listTasks(pool, {
      countyPrefix: visibleCountyPrefix(p),
      ...(reviewing
        ? { state: 'submitted', ...(isOfficerOnly ? { leadDepartment: p.department!, notDepartment: p.department! } : {}) }
        : { ...(department ? { department } : {}), ...(q.state ? { state: q.state } : {}) }),
      ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
      ...(q.matterId ? { matterId: q.matterId.replaceAll('~', '/') } : {}),
      // In SQL, not after paging: a page never comes back short while a cursor is set.
      ...(scope === 'all-but-transfers' ? { withoutTransferSteps: { exceptDepartment: p.department ?? null } } : {}),
      limit: q.limit + 1,
      ...(after ? { after } : {}),
    });
    const page = pageOf(rows, q.limit, (last) => ({ dueAt: last.due_at?.toISOString() ?? null, taskId: last.task_id }));
    return { items: page.rows.map((r) => presentTask(r.view)), nextCursor: page.nextCursor };
  });

  app.post('/tasks', {
    schema: {
      summary: 'Assign a standalone department task (e.g. a 12345 work order)',
      tags: ['tasks'],
      headers: idempotencyHeaders,
      body: createTaskBody,
      response: { 201: taskViewSchema, 200: taskViewSchema, ...errors },
    },
  }, async (req, reply) => {
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
    // Starting again after a crash between reserving and starting is harmless: the id is the key.
    // A task still running under the id refuses the start (the default conflict policy), and so
    // does one that has closed (REJECT_DUPLICATE): a retry never starts a second run, whose events
    // would collide with the first run's and be dropped. Either way the answer is the read model's.
    try {
      await temporal.workflow.start(departmentTask, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `${departmentName(input.department)} · ${input.title}`.slice(0, 200),
        staticDetails: `**部门任务** · ${departmentName(input.department)}\n\n${input.instructions}`,
        typedSearchAttributes: [
          { key: SA.County, value: county },
          { key: SA.Department, value: input.department },
          { key: SA.TaskState, value: 'assigned' },
        ],
      });
    } catch (err) {
      // (Also when a concurrent retry with the same key started it first.)
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    // Answer from the read model once the assignment is recorded: its deadline is set then, and the
    // department's inbox (which reads the same rows) already shows the task. A live Query could
    // answer before the sign-for clock is resolved.
    // The wait ends before the request's own deadline (API_REQUEST_TIMEOUT_MS), leaving time to ask the workflow.
    const view = (await waitForTaskRow(pool, workflowId, rowWaitMs(config)))
      ?? await temporal.workflow.getHandle<typeof departmentTask>(workflowId).query(getTaskQuery);
    void reply.code(created ? 201 : 200);
    return presentTask(view);
  });

  app.get('/tasks/:taskId', {
    schema: {
      summary: 'One task: state, deadlines, escalation level, extensions and timeline',
      tags: ['tasks'],
      params,
      response: { 200: taskDetailSchema, ...errors },
    },
  }, async (req) => {
    // From the record: a closed task reads the same years later, after its workflow is purged.
    const { workflowId, row: view } = await visibleTask(req.principal, req.params.taskId);
    const timeline = await getTimeline(pool, workflowId);
    return {
      ...presentTask(view),
      timeline,
      temporalUiUrl: `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`,
    };
  });

  const updateId = updateIdFor;

  app.post('/tasks/:taskId/sign', {
    schema: { summary: 'Sign for (签收) the task', tags: ['tasks'], params, headers: idempotencyHeaders, response: { 200: taskViewSchema, ...errors } },
  }, async (req) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const id = updateId(req.headers['idempotency-key'], 'sign', workflowId);
    return presentTask(await act(() => handle.executeUpdate(signUpdate, { args: [{ actor: req.principal }], ...(id ? { updateId: id } : {}) })));
  });

  app.post('/tasks/:taskId/submit', {
    schema: { summary: 'Submit the result (办理结果)', tags: ['tasks'], params, headers: idempotencyHeaders, body: submitBodySchema, response: { 200: taskViewSchema, ...errors } },
  }, async (req) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const id = updateId(req.headers['idempotency-key'], 'submit', workflowId);
    return presentTask(await act(() => handle.executeUpdate(submitUpdate, { args: [{ ...req.body, actor: req.principal }], ...(id ? { updateId: id } : {}) })));
  });

  app.post('/tasks/:taskId/review', {
    schema: { summary: 'Accept or send back for rework (lead department or supervisor)', tags: ['tasks'], params, headers: idempotencyHeaders, body: reviewBodySchema, response: { 200: taskViewSchema, ...errors } },
  }, async (req) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const id = updateId(req.headers['idempotency-key'], 'review', workflowId);
    return presentTask(await act(() => handle.executeUpdate(reviewUpdate, { args: [{ ...req.body, actor: req.principal }], ...(id ? { updateId: id } : {}) })));
  });

  app.post('/tasks/:taskId/return', {
    schema: { summary: 'Return (退回): not this department’s remit', tags: ['tasks'], params, headers: idempotencyHeaders, body: returnBodySchema, response: { 200: taskViewSchema, ...errors } },
  }, async (req) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const id = updateId(req.headers['idempotency-key'], 'return', workflowId);
    return presentTask(await act(() => handle.executeUpdate(returnUpdate, { args: [{ ...req.body, actor: req.principal }], ...(id ? { updateId: id } : {}) })));
  });

  app.post('/tasks/:taskId/extensions', {
    schema: { summary: 'Ask for more time (延期), before the deadline', tags: ['tasks'], params, headers: idempotencyHeaders, body: extensionBodySchema, response: { 201: extensionSchema, ...errors } },
  }, async (req, reply) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const id = updateId(req.headers['idempotency-key'], 'extension', workflowId);
    const ext = await act(() => handle.executeUpdate(requestExtensionUpdate, { args: [{ ...req.body, actor: req.principal }], ...(id ? { updateId: id } : {}) }));
    void reply.code(201);
    return ext;
  });

  app.post('/tasks/:taskId/extensions/:extensionId/decision', {
    schema: {
      summary: 'Approve or reject an extension (lead department or supervisor)',
      tags: ['tasks'],
      params: params.extend({ extensionId: z.string().regex(/^ext-\d{1,3}$/) }),
      headers: idempotencyHeaders,
      body: extensionDecisionBodySchema,
      response: { 200: extensionSchema, ...errors },
    },
  }, async (req) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const id = updateId(req.headers['idempotency-key'], `decide-${req.params.extensionId}`, workflowId);
    return act(() => handle.executeUpdate(decideExtensionUpdate, {
      args: [{ ...req.body, extensionId: req.params.extensionId, actor: req.principal }],
      ...(id ? { updateId: id } : {}),
    }));
  });

  app.post('/tasks/:taskId/cancel', {
    schema: {
      summary: 'Cancel a standalone task or a supervision order (supervisor or operator of its county)',
      description: 'A step of a matter cannot be cancelled (409 `matter_task`): the matter needs its outcome. Reassign it instead.',
      tags: ['tasks'], params, body: cancelBodySchema, response: { 200: taskViewSchema, ...errors },
    },
  }, async (req) => {
    const { handle, workflowId, act } = await visibleTask(req.principal, req.params.taskId);
    const matterId = matterOfStep(workflowId);
    if (matterId) {
      throw new ApiError(409, 'matter_task', `此任务是事项 ${toUrlId(matterId)} 的办理环节，不能撤销；督办人员可改派（POST /v1/tasks/{taskId}/reassign）`);
    }
    return presentTask(await act(() => handle.executeUpdate(cancelUpdate, { args: [{ ...req.body, actor: req.principal }] })));
  });

  app.post('/tasks/:taskId/reassign', {
    schema: {
      summary: 'Move a matter’s step to another department (改派; supervisor of the county or its city)',
      description: 'The task ends as `reassigned` and the matter issues the same step to the named department with fresh clocks. Answers with the new task.',
      tags: ['tasks'], params, headers: idempotencyHeaders, body: reassignBodySchema, response: { 200: taskViewSchema, ...errors },
    },
  }, async (req) => {
    const started = Date.now();
    const { workflowId, row, act } = await visibleTask(req.principal, req.params.taskId);
    if (!hasRole(req.principal, 'supervisor')) throw forbidden('只有督办人员可以改派任务');
    if (!departmentInCounty(req.body.department, row.county)) throw townshipOfAnotherCounty('body.department', row.county);
    const matterId = matterOfStep(workflowId);
    if (!matterId) throw new ApiError(409, 'not_matter_task', '只有事项的办理环节可以改派；独立任务请撤销后重新派发');
    const id = updateId(req.headers['idempotency-key'], 'reassign', workflowId);
    const moved = await act(() => temporal.workflow.getHandle(matterId).executeUpdate(reassignTaskUpdate, {
      args: [{ ...req.body, taskId: workflowId, actor: req.principal }],
      ...(id ? { updateId: id } : {}),
    }));
    // As for a new task: answer once the new department's inbox shows it, with its deadline.
    const view = (await waitForTaskRow(pool, moved.taskId, Math.max(500, rowWaitMs(config) - (Date.now() - started))))
      ?? await temporal.workflow.getHandle<typeof departmentTask>(moved.taskId).query(getTaskQuery);
    return presentTask(view);
  });
};
