import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { z } from 'zod';
import { actorOf, appendAudit, type AuditEntry } from '../db/events.js';
import { inTransaction } from '../db/sql.js';
import { waitForTaskRow } from '../db/tasks.js';
import { fromUrlId, type IdKind } from '../domain/ids.js';
import { SA } from '../domain/search-attributes.js';
import { taskScope, hasRole, type Principal } from '../domain/principal.js';
import type { DepartmentTaskInput, TaskView } from '../domain/task.js';
import { safeText } from '../domain/text.js';
import { departmentTask, getTaskQuery, signUpdate, submitUpdate } from '../workflows/department-task.js';
import { updateIdFor } from './idempotency.js';
import type { AppDeps } from './app.js';
import { ApiError, errorBodySchema, forbidden, notFound } from './errors.js';
import { withUpdateDeadline } from './temporal.js';
import { isoDateSchema, isoDateTimeSchema } from '../domain/time.js';
import { shanghaiDate } from '../domain/calendar/index.js';

/**
 * The plumbing the routes share (issue 8 §4), so each route says only what is its own: error
 * responses, the page query and keyset pages, the officers' department scope, loading an object
 * the caller may see before acting on it, starting a department task, an admin's audited change,
 * a range of Shanghai days, and the Temporal UI link. The visibility rules themselves are in
 * db/visibility.ts (the check and its SQL side by side).
 */

/**
 * The error statuses a route declares besides those every operation gets (app.ts declares 400,
 * 413, 414, 415, 431, 503, and 401 and 429 under /v1, each with the one error body).
 */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorBodySchema])) as Record<S, typeof errorBodySchema>;
}

/** `limit` (1…max, default) and the opaque `cursor` of a keyset-paginated list, spread into its query. */
export function pageQuery(o: { max: number; default: number } = { max: 200, default: 50 }) {
  return {
    limit: z.coerce.number().int().min(1).max(o.max).default(o.default),
    cursor: safeText().max(400).optional(),
  };
}

/** Opaque keyset cursors: base64url JSON, checked field by field (a bad one is a 400). */
export function encodeCursor(value: Record<string, string | null>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A keyset page: callers fetch `limit + 1` rows; the extra row only says whether a next page
 * exists, and the cursor is made from the last row shown. Whatever the caller may not see is left
 * out in SQL before this (db/visibility.ts), so a page with a next cursor is always full.
 */
export function keysetPage<R>(rows: R[], limit: number, cursorOf: (last: R) => Record<string, string | null>): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

export const badCursor = () => new ApiError(400, 'validation_failed', '无效的分页游标', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);

const cursorField = { string: safeText().max(300), time: isoDateTimeSchema };
type CursorField = 'string' | 'time' | 'time-or-null';

/**
 * A cursor's fields, each checked as the API checks its parameters: text PostgreSQL can store, and
 * times in the API's ISO form and years (`Date.parse` accepts "0", "2026" or year 275760; PostgreSQL does not).
 */
export function decodeCursor<F extends Record<string, CursorField>>(
  cursor: string,
  fields: F,
): { [N in keyof F]: F[N] extends 'time-or-null' ? string | null : string } {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!raw || typeof raw !== 'object') throw badCursor();
  const out: Record<string, string | null> = {};
  for (const [name, kind] of Object.entries(fields)) {
    const v = (raw as Record<string, unknown>)[name];
    if (kind === 'time-or-null' && v === null) {
      out[name] = null;
      continue;
    }
    const checked = cursorField[kind === 'string' ? 'string' : 'time'].safeParse(v);
    if (!checked.success) throw badCursor();
    out[name] = checked.data;
  }
  return out as { [N in keyof F]: F[N] extends 'time-or-null' ? string | null : string };
}

/** The cursor of a list, decoded, or undefined on its first page. */
export const cursorOf = <F extends Record<string, CursorField>>(cursor: string | undefined, fields: F) =>
  cursor === undefined ? undefined : decodeCursor(cursor, fields);

/**
 * The department a department-bound caller (an officer, a head, or a role that sees only its
 * department's work: `taskScope`) lists: always their own, refused without one or for another.
 * Anyone else lists the department asked for, or all.
 */
export function officerScope(
  p: Principal,
  asked: string | undefined,
  refusals: { noDepartment: string; otherDepartment: string },
  bound = taskScope(p) === 'department',
): { officerOnly: boolean; department: string | undefined } {
  if (bound && !p.department) throw forbidden(hasRole(p, 'officer', 'head') ? '该密钥未绑定部门' : refusals.noDepartment);
  if (bound && asked && asked !== p.department) throw forbidden(refusals.otherDepartment);
  return { officerOnly: bound, department: bound ? p.department : asked };
}

/**
 * Loads an object the caller may see, or 404 (never revealing that another county's exists): the
 * record (PostgreSQL) answers, since it outlives Temporal's retention; only an object too new to
 * have written its row is asked live.
 */
export async function loadVisible<V>(
  deps: Pick<AppDeps, 'temporal'>,
  o: {
    urlId: string;
    kind: IdKind;
    what: string;
    row: (workflowId: string) => Promise<V | undefined>;
    live: (handle: WorkflowHandle) => Promise<V>;
    canSee: (view: V) => boolean;
  },
): Promise<{ workflowId: string; handle: WorkflowHandle; view: V }> {
  const workflowId = fromUrlId(o.urlId, o.kind);
  if (!workflowId) throw notFound(o.what);
  const handle = deps.temporal.workflow.getHandle(workflowId);
  let view = await o.row(workflowId);
  if (!view) {
    try {
      view = await o.live(handle);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(o.what);
      throw err;
    }
  }
  if (!o.canSee(view)) throw notFound(o.what);
  return { workflowId, handle, view };
}

/**
 * Sends an action (an Update) within the request's deadline. An object that has ended has no
 * running workflow to take it: `gone` says what that is (a conflict with its state, usually).
 */
export async function act<R>(deps: Pick<AppDeps, 'temporal' | 'config'>, send: () => Promise<R>, gone: () => ApiError): Promise<R> {
  try {
    return await withUpdateDeadline(deps, send);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw gone();
    throw err;
  }
}

/** How long a creating request waits for the read model's row: its deadline less 2 s (at least 1 s). */
export const rowWaitMs = (config: Pick<AppDeps['config'], 'API_REQUEST_TIMEOUT_MS'>) => Math.max(1_000, config.API_REQUEST_TIMEOUT_MS - 2_000);

/**
 * A department task once its assignment is recorded: its deadline is set then, and the
 * department's inbox (which reads the same rows) already shows it. A live Query could answer
 * before the sign-for clock is resolved. The wait ends `waitMs` on (before the request's own
 * deadline), leaving time to ask the workflow.
 */
export async function recordedTask(deps: Pick<AppDeps, 'pool' | 'temporal'>, workflowId: string, waitMs: number): Promise<TaskView> {
  return (await waitForTaskRow(deps.pool, workflowId, waitMs)) ?? deps.temporal.workflow.getHandle<typeof departmentTask>(workflowId).query(getTaskQuery);
}

/**
 * Starts a department task (a standalone task, a supervision order) under its reserved id and
 * answers with it as recorded. Starting again after a crash between reserving and starting is
 * harmless: the id is the key. A task still running under the id refuses the start (the default
 * conflict policy), and so does one that has closed (REJECT_DUPLICATE): a retry never starts a
 * second run, whose events would collide with the first run's and be dropped. Either way (also
 * when a concurrent retry with the same key started it first) the answer is the read model's.
 */
export async function startDepartmentTask(
  deps: Pick<AppDeps, 'pool' | 'temporal' | 'config'>,
  o: {
    workflowId: string;
    input: DepartmentTaskInput | Parameters<typeof departmentTask>[0];
    summary: string;
    details: string;
    /** Besides the county and the department, which every task carries. */
    searchAttributes: SearchAttributePair[];
  },
): Promise<TaskView> {
  try {
    await deps.temporal.workflow.start(departmentTask, {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId: o.workflowId,
      args: [o.input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: o.summary,
      staticDetails: o.details,
      typedSearchAttributes: [{ key: SA.County, value: o.input.county }, { key: SA.Department, value: o.input.department }, ...o.searchAttributes],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return recordedTask(deps, o.workflowId, rowWaitMs(deps.config));
}

/**
 * An administrator's change and its audit entry, in one transaction. `entry` describes what was
 * done from the change's result (undefined: nothing was, nothing is audited); the actor is the
 * caller, the time now.
 */
export async function adminAudit<T>(
  deps: Pick<AppDeps, 'pool'>,
  p: Principal,
  change: (client: pg.PoolClient) => Promise<T>,
  entry: (result: T) => Pick<AuditEntry, 'eventId' | 'county' | 'action' | 'objectId' | 'details'> | undefined,
): Promise<T> {
  return inTransaction(deps.pool, async (client) => {
    const result = await change(client);
    const e = entry(result);
    if (e) await appendAudit(client, { ...e, at: new Date().toISOString(), ...actorOf(p) });
    return result;
  });
}

/** A unique audit event id for a repeatable change of one object (a webhook registered again). */
export const auditEventId = (objectId: string) => `${objectId}:${randomUUID()}`;

/** Days `from`…`to` (inclusive, Asia/Shanghai) as a half-open range of instants, each end when given. */
export function shanghaiDayRange(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  return {
    ...(from ? { from: `${from}T00:00:00+08:00` } : {}),
    ...(to ? { to: new Date(Date.parse(`${to}T00:00:00+08:00`) + 86_400_000).toISOString() } : {}),
  };
}

/**
 * The calendar month (Asia/Shanghai) of a date: its first and last day. A report asked for no
 * period covers the current month; asked for one end only, that end's month.
 */
export function shanghaiMonth(date: string): { first: string; last: string } {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { first: `${date.slice(0, 7)}-01`, last: `${date.slice(0, 7)}-${String(last).padStart(2, '0')}` };
}

/**
 * A report's period (the clue, evaluation and accountability reports): whole days `from`…`to`
 * (Asia/Shanghai, inclusive); neither given, the current month; one end alone, that end's month.
 * `range` is the same as a half-open range of instants, for SQL.
 */
export function reportPeriod(
  q: { from?: string | undefined; to?: string | undefined },
  nowMs: number,
): { from: string; to: string; range: { from: string; to: string } } {
  const month = shanghaiMonth(q.from ?? q.to ?? shanghaiDate(nowMs));
  const from = q.from ?? month.first;
  const to = q.to ?? month.last;
  return { from, to, range: shanghaiDayRange(from, to) as { from: string; to: string } };
}

/** A report's `from` and `to` query fields, optional (see `reportPeriod`), with `from` ≤ `to` checked. */
export const reportPeriodQuery = <S extends z.ZodRawShape>(shape: S) =>
  z
    .object({
      ...shape,
      from: isoDateSchema.optional().describe('First day (Asia/Shanghai); default the first of `to`’s month, or of this month'),
      to: isoDateSchema.optional().describe('Last day, inclusive; default the last of `from`’s month, or of this month'),
    })
    .refine(
      (q) => {
        // (The shape is generic here: the period's own fields, read as what they parse to.)
        const { from, to } = q as { from?: string; to?: string };
        return from === undefined || to === undefined || from <= to;
      },
      // Only two valid dates are compared: a malformed one is already named, once.
      { message: 'from is after to', path: ['from'], when: (payload) => payload.issues.length === 0 },
    );

/** RFC 4180 field: quoted when it holds a comma, a quote or a line break; objects as JSON, null empty. */
export const csvField = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The client asked for CSV (`Accept: text/csv`). */
export const wantsCsv = (accept: string | undefined) => /\btext\/csv\b/.test(accept ?? '');

/** The workflow in the Temporal Web UI. */
export const uiLink = (config: Pick<AppDeps['config'], 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>, workflowId: string) =>
  `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;

/**
 * A department's answer on its task in one request, as the clue's reply and a risk warning's
 * verification or disposal take it: signed for first when it was not, then submitted; each Update
 * with its own id from the Idempotency-Key, so a retry acts once. The task's own state decides,
 * not its row (which may land after the parent's): an unsigned task would refuse the submission.
 * Any other state is the task's to refuse (its validator answers WrongState: 409).
 */
export async function signAndSubmit(
  deps: Pick<AppDeps, 'temporal' | 'config'>,
  o: { taskId: string; actor: Principal; key: string | undefined; submission: Record<string, unknown>; gone: () => ApiError },
): Promise<TaskView> {
  const task = deps.temporal.workflow.getHandle(o.taskId);
  const signId = updateIdFor(o.key, 'sign', o.taskId);
  const submitId = updateIdFor(o.key, 'submit', o.taskId);
  if ((await task.query(getTaskQuery)).state === 'assigned') {
    await act(deps, () => task.executeUpdate(signUpdate, { args: [{ actor: o.actor }], ...(signId ? { updateId: signId } : {}) }), o.gone);
  }
  return act(
    deps,
    () => task.executeUpdate(submitUpdate, { args: [{ ...o.submission, actor: o.actor } as never], ...(submitId ? { updateId: submitId } : {}) }),
    o.gone,
  );
}

/**
 * A parent's view once `done` holds of it (a task's end is recorded by its parent a moment after
 * the task closes), or as it is when the request's wait for a row is spent.
 */
export async function viewOnce<V>(deps: Pick<AppDeps, 'config'>, read: () => Promise<V>, done: (v: V) => boolean): Promise<V> {
  const until = Date.now() + rowWaitMs(deps.config);
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() >= until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
