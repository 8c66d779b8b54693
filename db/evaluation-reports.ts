import { clueCountsIn, type ClueReportCounts } from './clue-reports.js';
import type { Pool, Queryable } from './pool.js';
import { inTransaction } from './sql.js';

/**
 * The counts behind a county's evaluation (考核, 周政办发〔2024〕13号 §四) for a period, per
 * department and for the county, from the read model: every department task of the county (a
 * matter's steps, standalone tasks, supervision orders, clue and risk-warning tasks, a criminal
 * transfer's steps), their timelines, and the county's jurisdiction disputes. Rates are the API's
 * (numerator and denominator from here). The period is `[from, to)`; what is still open is judged
 * as of `now`. What each count is, exactly:
 *
 * - `assigned`: tasks assigned to the department in the period.
 * - `signDue` / `signedInTime` (按时签收): tasks assigned in the period whose sign-for is settled:
 *   signed for, or returned (退回) unsigned, or still unsigned when the sign-for deadline passed
 *   (before the task ended, or by now); in time: signed (or returned) by that deadline. A task
 *   that ended unsigned before its deadline (cancelled, moved to another department) is not counted.
 * - `closeDue` / `closedInTime` (按期办结): tasks with a handling deadline (signed for) that were not
 *   returned, cancelled or reassigned, counted in the period their timeliness was settled: the
 *   instant of their submission (办结 by the department; the lead's review has its own clock) if it
 *   came by the handling deadline in force (extensions and rework included), else the deadline
 *   itself, once passed. So each task counts in one period only.
 * - `overdue` (超期): tasks that fell overdue during the period for the first time on the
 *   department's deadlines: the task's `overdue` timeline entry (written when a deadline passes
 *   unmet), its first on a sign-for or handling deadline for the task's department, its first on a
 *   review deadline for the lead department that reviews it. A review by the supervisors (the
 *   lead's own task, or a task with no lead) is no department's.
 * - `yellowCards`, `redCards`, `escalations` (黄牌, 红牌, 提请上级督办): the ladder's rungs that fired
 *   during the period (`ladder.yellow-card`, `ladder.red-card`, `ladder.escalation`), each the
 *   department's that had to act on the deadline it was fired for, as for `overdue`.
 * - `returns` (退回): the department's returns during the period, a return that closed the task
 *   (`returned`) or one it keeps working through a jurisdiction dispute (`return.disputed`).
 *   `returnsUpheld` / `returnsDesignatedBack`: disputes decided during the period over a return by
 *   the department: the decision named another department (the return stood) or the one that
 *   returned it (指定回办, the 推诿 signal). Decided returns may have been made in an earlier period.
 * - `extensionsRequested` / `extensionsApproved` (延期): requests made, and approvals given, during
 *   the period, on the department's tasks.
 * - `disputes` (管辖争议): jurisdiction disputes opened during the period in which the department is
 *   a party of this county; the county's: each dispute of the county (or with a party of it) once.
 * - `ordersIssued`, `ordersDue` / `ordersAnsweredInTime` (督办单): supervision orders (督办单) assigned
 *   in the period; answered by their deadline, settled as `closeDue` / `closedInTime`.
 *
 * The county's row is the sum of its departments' for every count but `disputes`.
 */
export interface EvaluationCounts {
  assigned: number;
  signDue: number;
  signedInTime: number;
  closeDue: number;
  closedInTime: number;
  overdue: number;
  yellowCards: number;
  redCards: number;
  escalations: number;
  returns: number;
  returnsUpheld: number;
  returnsDesignatedBack: number;
  extensionsRequested: number;
  extensionsApproved: number;
  disputes: number;
  ordersIssued: number;
  ordersDue: number;
  ordersAnsweredInTime: number;
}

export interface EvaluationReportCounts {
  county: EvaluationCounts;
  /** Every department with a count other than 0 in the period, by code. */
  departments: (EvaluationCounts & { department: string })[];
  /** The county's `overdue`, by the Asia/Shanghai day each task fell overdue (days with none left out). */
  overdueByDay: { day: string; overdue: number }[];
  /** The clue figures' counts (db/clue-reports.ts), read in the same snapshot. */
  clues: ClueReportCounts;
}

export const zeroEvaluationCounts = (): EvaluationCounts => ({
  assigned: 0,
  signDue: 0,
  signedInTime: 0,
  closeDue: 0,
  closedInTime: 0,
  overdue: 0,
  yellowCards: 0,
  redCards: 0,
  escalations: 0,
  returns: 0,
  returnsUpheld: 0,
  returnsDesignatedBack: 0,
  extensionsRequested: 0,
  extensionsApproved: 0,
  disputes: 0,
  ordersIssued: 0,
  ordersDue: 0,
  ordersAnsweredInTime: 0,
});

type Row = { department: string | null } & Record<string, number | string | null>;

/**
 * The department that had to act on the deadline a task's timeline entry `e` (of task `t`) is
 * about: the lead department for a review deadline (none when the supervisors review: the lead's
 * own task, or no lead), else the task's department.
 */
const actingDepartment = `CASE WHEN e.data->>'deadline' = 'review'
       THEN CASE WHEN t.lead_department <> t.department THEN t.lead_department END
       ELSE t.department END`;

/**
 * The counts of `county` for `[from, to)` as of `now` (instants), read in one snapshot
 * (REPEATABLE READ), so the county's row, its departments', the weeks and the clue figures agree.
 */
export async function evaluationReportCounts(pool: Pool, q: { county: string; from: string; to: string; now: string }): Promise<EvaluationReportCounts> {
  return inTransaction(pool, async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const args = [q.county, q.from, q.to];
    const late = await overdue(client, args);
    const rows = [
      ...(await taskFigures(client, [...args, q.now])),
      ...(await ladderAndRequests(client, args)),
      ...(await decidedReturns(client, args)),
      ...(await disputesOpened(client, args)),
    ];
    const county = zeroEvaluationCounts();
    const departments = new Map<string, EvaluationCounts>();
    const of = (department: string | null) =>
      department === null ? county : (departments.get(department) ?? departments.set(department, zeroEvaluationCounts()).get(department)!);
    for (const row of rows) {
      const target = of(row.department);
      for (const [k, v] of Object.entries(row)) if (k !== 'department' && v !== null) (target as unknown as Record<string, number>)[k] = Number(v);
    }
    const byDay = new Map<string, number>();
    for (const r of late) {
      of(r.department).overdue += r.overdue;
      county.overdue += r.overdue;
      byDay.set(r.day, (byDay.get(r.day) ?? 0) + r.overdue);
    }
    return {
      county,
      departments: [...departments.entries()]
        .filter(([, c]) => Object.values(c).some((v) => v !== 0))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([department, c]) => ({ department, ...c })),
      overdueByDay: [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, n]) => ({ day, overdue: n })),
      clues: await clueCountsIn(client, q),
    };
  });
}

/** Assigned, 按时签收, 按期办结 and the supervision orders' answers, from the tasks' views (see EvaluationCounts), as of `$4`. */
async function taskFigures(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH t AS MATERIALIZED (  -- each deadline read from the view once, not once per use
       SELECT department, state, assigned_at, closed_at, task_id LIKE '%/supervision:%' AS is_order,
              coalesce((view->>'signedAt')::timestamptz, (view->'returned'->>'at')::timestamptz) AS responded_at,
              CASE WHEN state IN ('submitted', 'completed') THEN (view->>'submittedAt')::timestamptz END AS done_at,
              (SELECT max((d->>'dueAt')::timestamptz) FROM jsonb_array_elements(view->'deadlines') d WHERE d->>'kind' = 'sign-for') AS sign_due,
              (SELECT max((d->>'dueAt')::timestamptz) FROM jsonb_array_elements(view->'deadlines') d WHERE d->>'kind' = 'handle') AS handle_due
         FROM tasks
        WHERE county = $1 AND assigned_at < $3::timestamptz AND (closed_at IS NULL OR closed_at >= $2::timestamptz)
     ),
     s AS (
       SELECT *,
              assigned_at >= $2::timestamptz AS assigned_in,
              assigned_at >= $2::timestamptz AND sign_due IS NOT NULL
                AND (responded_at IS NOT NULL OR sign_due < coalesce(closed_at, $4::timestamptz)) AS sign_counted,
              handle_due IS NOT NULL AND state NOT IN ('returned', 'cancelled', 'reassigned')
                AND least(done_at, handle_due) >= $2::timestamptz AND least(done_at, handle_due) < $3::timestamptz
                AND least(done_at, handle_due) <= $4::timestamptz AS close_counted
         FROM t
     )
     SELECT department,
            count(*) FILTER (WHERE assigned_in)::int AS assigned,
            count(*) FILTER (WHERE sign_counted)::int AS "signDue",
            count(*) FILTER (WHERE sign_counted AND responded_at <= sign_due)::int AS "signedInTime",
            count(*) FILTER (WHERE close_counted)::int AS "closeDue",
            count(*) FILTER (WHERE close_counted AND done_at <= handle_due)::int AS "closedInTime",
            count(*) FILTER (WHERE is_order AND assigned_in)::int AS "ordersIssued",
            count(*) FILTER (WHERE is_order AND close_counted)::int AS "ordersDue",
            count(*) FILTER (WHERE is_order AND close_counted AND done_at <= handle_due)::int AS "ordersAnsweredInTime"
       FROM s
      GROUP BY GROUPING SETS ((department), ())`,
    args,
  );
  return res.rows;
}

/**
 * Tasks that fell overdue in the period for the first time on a deadline of the department
 * (see EvaluationCounts), by department and Asia/Shanghai day (China keeps +08:00 all year).
 */
async function overdue(db: Queryable, args: unknown[]): Promise<{ department: string; day: string; overdue: number }[]> {
  const res = await db.query<{ department: string; day: string; overdue: number }>(
    `SELECT ${actingDepartment} AS department, to_char(e.at AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD') AS day, count(*)::int AS overdue
       FROM timeline_events e
       JOIN tasks t ON t.task_id = e.workflow_id
      WHERE e.type = 'overdue' AND e.at >= $2::timestamptz AND e.at < $3::timestamptz AND t.county = $1
        -- the first on the same side: the task's own deadlines, or its review
        AND NOT EXISTS (
              SELECT 1 FROM timeline_events p
               WHERE p.workflow_id = e.workflow_id AND p.type = 'overdue' AND p.seq < e.seq
                 AND (p.data->>'deadline' = 'review') IS NOT DISTINCT FROM (e.data->>'deadline' = 'review'))
        AND ${actingDepartment} IS NOT NULL
      GROUP BY 1, 2`,
    args,
  );
  return res.rows;
}

/** The ladder's cards and escalations, returns and extensions during the period, by the department that acts. */
async function ladderAndRequests(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH e AS (
       SELECT e.type, ${actingDepartment} AS department
         FROM timeline_events e
         JOIN tasks t ON t.task_id = e.workflow_id
        WHERE e.type IN ('ladder.yellow-card', 'ladder.red-card', 'ladder.escalation', 'returned', 'return.disputed', 'extension.requested', 'extension.approved')
          AND e.at >= $2::timestamptz AND e.at < $3::timestamptz AND t.county = $1
     )
     SELECT department,
            count(*) FILTER (WHERE type = 'ladder.yellow-card')::int AS "yellowCards",
            count(*) FILTER (WHERE type = 'ladder.red-card')::int AS "redCards",
            count(*) FILTER (WHERE type = 'ladder.escalation')::int AS escalations,
            count(*) FILTER (WHERE type IN ('returned', 'return.disputed'))::int AS returns,
            count(*) FILTER (WHERE type = 'extension.requested')::int AS "extensionsRequested",
            count(*) FILTER (WHERE type = 'extension.approved')::int AS "extensionsApproved"
       FROM e
      WHERE department IS NOT NULL
      GROUP BY GROUPING SETS ((department), ())`,
    args,
  );
  return res.rows;
}

/**
 * Disputes over a return decided during the period (the dispute's own `dispute.decided`, as
 * db/reports.ts `accountabilityFlags` reads it): upheld, or designated back to the returner.
 */
async function decidedReturns(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH d AS (
       SELECT d.view->>'returnedBy' AS department, e.data->>'department' = d.view->>'returnedBy' AS back
         FROM timeline_events e
         JOIN disputes d ON d.dispute_id = e.workflow_id
        WHERE e.type = 'dispute.decided' AND e.at >= $2::timestamptz AND e.at < $3::timestamptz AND d.county = $1
     )
     SELECT department, count(*) FILTER (WHERE NOT back)::int AS "returnsUpheld", count(*) FILTER (WHERE back)::int AS "returnsDesignatedBack"
       FROM d
      GROUP BY GROUPING SETS ((department), ())`,
    args,
  );
  return res.rows;
}

/**
 * Disputes opened during the period with a party of the county: the first party is of the
 * dispute's county, the others of `other_county` when it crosses counties (domain/dispute.ts).
 */
async function disputesOpened(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH o AS (
       SELECT d.county, d.other_county, d.parties
         FROM timeline_events e
         JOIN disputes d ON d.dispute_id = e.workflow_id
        WHERE e.type = 'dispute.opened' AND e.at >= $2::timestamptz AND e.at < $3::timestamptz AND (d.county = $1 OR d.other_county = $1)
     )
     SELECT p.department, count(*)::int AS disputes
       FROM o CROSS JOIN LATERAL unnest(o.parties) WITH ORDINALITY p(department, i)
      WHERE (p.i = 1 AND o.county = $1) OR (p.i > 1 AND coalesce(o.other_county, o.county) = $1)
      GROUP BY p.department
     UNION ALL
     SELECT NULL, count(*)::int FROM o`,
    args,
  );
  return res.rows;
}
