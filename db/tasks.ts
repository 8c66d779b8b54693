import type { TaskView } from '../domain/task.js';
import type { Queryable } from './pool.js';
import { divisionCondition, keyset, Where, type Keyed } from './sql.js';

/** Upserts the task read model; a write older than the stored one (lower seq) is ignored. */
export async function upsertTaskView(db: Queryable, v: TaskView): Promise<void> {
  const due = v.currentDeadline;
  await db.query(
    `INSERT INTO tasks (task_id, matter_id, county, department, lead_department, scenario, title, state,
                        due_at, due_provisional, overdue, escalation_level, assigned_at, closed_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
     ON CONFLICT (task_id) DO UPDATE SET
       state = EXCLUDED.state, due_at = EXCLUDED.due_at, due_provisional = EXCLUDED.due_provisional,
       overdue = EXCLUDED.overdue, escalation_level = EXCLUDED.escalation_level, closed_at = EXCLUDED.closed_at,
       last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE tasks.last_seq < EXCLUDED.last_seq`,
    [
      v.taskId,
      v.matterId ?? null,
      v.county,
      v.department,
      v.leadDepartment ?? null,
      v.scenario ?? null,
      v.title,
      v.state,
      due?.dueAt ?? null,
      due?.provisional ?? false,
      v.overdue,
      v.escalationLevel,
      v.assignedAt,
      v.closedAt ?? null,
      v.lastEventSeq,
      v,
    ],
  );
}

/** Above every sequence a task can reach: a write of the task's own that arrives later is ignored. */
const TOMBSTONE_SEQ = 2_147_483_647;

/**
 * Closes the read-model row of a task that ended outside the API (terminated or failed in the
 * Temporal UI or CLI), which could not record its own end: it leaves every inbox as cancelled. The
 * row's sequence becomes a tombstone, so a write the dead task still had in flight cannot reopen
 * it; a task that never wrote its row gets one from `closed` (the matter's knowledge of it). A row
 * that already shows an end keeps it. Re-running changes nothing.
 */
export async function closeInterruptedTaskRow(db: Queryable, closed: TaskView): Promise<void> {
  const ended = { state: 'cancelled', overdue: false, closedAt: closed.closedAt, cancelled: closed.cancelled };
  await db.query(
    `INSERT INTO tasks (task_id, matter_id, county, department, lead_department, scenario, title, state,
                        due_at, due_provisional, overdue, escalation_level, assigned_at, closed_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'cancelled', NULL, false, false, 0, $8, $9, $10, $11, now())
     ON CONFLICT (task_id) DO UPDATE SET
       state = CASE WHEN tasks.state IN ('completed', 'returned', 'cancelled', 'reassigned') THEN tasks.state ELSE 'cancelled' END,
       overdue = false, closed_at = coalesce(tasks.closed_at, EXCLUDED.closed_at), last_seq = EXCLUDED.last_seq,
       view = CASE WHEN tasks.state IN ('completed', 'returned', 'cancelled', 'reassigned') THEN tasks.view ELSE tasks.view || $12::jsonb END,
       updated_at = now()`,
    [
      closed.taskId,
      closed.matterId ?? null,
      closed.county,
      closed.department,
      closed.leadDepartment ?? null,
      closed.scenario ?? null,
      closed.title,
      closed.assignedAt,
      closed.closedAt ?? null,
      TOMBSTONE_SEQ,
      closed,
      JSON.stringify(ended),
    ],
  );
}

export interface TaskFilter {
  /** Divisions the caller may see: a county, or a city prefix match for higher levels. */
  countyPrefix: string;
  /**
   * The division as `county LIKE 'prefix%'`, the form before divisionCondition, which no index
   * serves: only for the benchmark (test/bench/inbox.ts) that measures the two side by side.
   */
  divisionAsLike?: boolean;
  department?: string;
  /** Tasks this department leads (reviews), and not of this department itself. */
  leadDepartment?: string;
  notDepartment?: string;
  state?: string;
  overdue?: boolean;
  matterId?: string;
  /** SQL LIKE pattern on the task id, e.g. '%/supervision:%' for supervision orders. */
  idLike?: string;
  /** Leave out criminal-transfer steps, except those of `exceptDepartment` (operators: need to know). */
  withoutTransferSteps?: { exceptDepartment: string | null };
  limit: number;
  /** Opaque cursor: the last row's (due_at, task_id) of the previous page. */
  after?: { dueAt: string | null; taskId: string };
}

const taskOrder = keyset('asc', [{ sql: "coalesce(due_at, 'infinity'::timestamptz)", type: 'timestamptz' }, { sql: 'task_id' }]);

/** An inbox: open work first ordered by deadline (nulls last), keyset-paginated. */
export async function listTasks(db: Queryable, f: TaskFilter): Promise<Keyed<TaskView, { dueAt: string | null; taskId: string }>[]> {
  const w = new Where();
  if (f.divisionAsLike) w.add('county LIKE ?', `${f.countyPrefix}%`);
  else w.add(divisionCondition(w, 'county', f.countyPrefix));
  w.when(f.department, 'department = ?')
    .when(f.leadDepartment, 'lead_department = ?')
    .when(f.notDepartment, 'department <> ?')
    .when(f.state, 'state = ?')
    .when(f.overdue, 'overdue = ?')
    .when(f.matterId, 'matter_id = ?')
    .when(f.idLike, 'task_id LIKE ?');
  // A criminal transfer's steps (…/transfer:<n>/task:…), unless the department is the caller's.
  if (f.withoutTransferSteps) w.add("(task_id NOT LIKE '%/transfer:%/task:%' OR department = ?)", f.withoutTransferSteps.exceptDepartment);
  // Keyset on (due_at NULLS LAST, task_id): infinity stands in for "no deadline".
  if (f.after) taskOrder.after(w, [f.after.dueAt ?? 'infinity', f.after.taskId]);
  const res = await db.query<{ task_id: string; due_at: Date | null; view: TaskView }>(
    `SELECT task_id, due_at, view FROM tasks WHERE ${w.sql} ORDER BY ${taskOrder.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({ view: r.view, cursor: { dueAt: r.due_at?.toISOString() ?? null, taskId: r.task_id } }));
}

export async function getTaskRow(db: Queryable, taskId: string): Promise<TaskView | undefined> {
  // Named: prepared once per connection (every task action reads it before its Update).
  const res = await db.query<{ view: TaskView }>({ name: 'task-row', text: 'SELECT view FROM tasks WHERE task_id = $1', values: [taskId] });
  return res.rows[0]?.view;
}

/**
 * Waits (bounded, 10 s) until a just-started task has written its read-model row and returns it.
 * The row is first written when the assignment is recorded, after the sign-for clock is resolved,
 * so the answer to a creating request carries the deadline, and inboxes read right after it
 * already show the task.
 */
export async function waitForTaskRow(db: Queryable, taskId: string, timeoutMs = 10_000): Promise<TaskView | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await getTaskRow(db, taskId);
    if (row || Date.now() >= until) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
}
