import type { Pool, Queryable } from './pool.js';
import { inTransaction } from './sql.js';

/**
 * The counts behind a county's clue figures for a period (issue 13 §4, DOMAIN §6: the Beijing
 * 接诉即办 evaluation), per department and for the county. Rates are the API's (numerator and
 * denominator from here). What each count is, exactly:
 *
 * - `received`: the county's clues taken in during the period, merged repeats (并单) included;
 *   a department's: the clues dispatched to it (lead or co-handler) in the period, each once.
 * - `repeats`: repeats taken in during the period; a department's: those that joined a clue it
 *   leads (now).
 * - `signDue` / `signedInTime` (响应率): clue tasks assigned in the period whose sign-for is
 *   settled: signed for, or returned (退单) unsigned, or still unsigned when the sign-for deadline
 *   passed (before the task ended, or by now); in time: signed (or returned) by that deadline.
 *   A task ended unsigned before its deadline (its clue returned by the lead, cancelled) is not counted.
 * - `closeDue` / `closedInTime` (按期办结率): clue tasks with a handling deadline (signed for) that
 *   were not returned, cancelled or reassigned, counted in the period their timeliness was
 *   settled: the instant of their answer (submission) if it came by the deadline in force
 *   (extensions included), else the deadline itself, if it has passed. So a task counts in one
 *   period only: "due or closed in the period".
 * - `returns`: clue tasks returned (退单) during the period.
 * - `redispatches`: dispatches in the period that were not the clue's first (派单 after a 退单);
 *   a department's: those that sent the clue to it as lead.
 * - `visited` / `satisfied` / `basically`: clues whose latest visit-back (回访) was in the period,
 *   by that visit's judgement; a department's: those it answered (the reply's department).
 * - `warningsIssued` / `warningsFedBack` / `feedbackHours`: risk warnings pushed in the period
 *   (withdrawn ones left out), those closed with the issuer's feedback by now, and their hours
 *   from the push to the feedback, summed; a department's: the warnings pushed to it.
 */
export interface ClueCounts {
  received: number;
  repeats: number;
  returns: number;
  redispatches: number;
  signDue: number;
  signedInTime: number;
  closeDue: number;
  closedInTime: number;
  visited: number;
  satisfied: number;
  basically: number;
  warningsIssued: number;
  warningsFedBack: number;
  feedbackHours: number;
}

export interface ClueReportCounts {
  county: ClueCounts;
  /** Every department with a count other than 0 in the period, by code. */
  departments: (ClueCounts & { department: string })[];
}

const zero = (): ClueCounts => ({
  received: 0,
  repeats: 0,
  returns: 0,
  redispatches: 0,
  signDue: 0,
  signedInTime: 0,
  closeDue: 0,
  closedInTime: 0,
  visited: 0,
  satisfied: 0,
  basically: 0,
  warningsIssued: 0,
  warningsFedBack: 0,
  feedbackHours: 0,
});

/**
 * The conditions on a clue event `e` of the county `$1` in the period `[$2, $3)`, on its type
 * (timeline_clue_events, 0017). A clue's own events: its tasks' ids go on after a `/`.
 */
const clueEventIn = `e.workflow_id LIKE 'clue:%' AND split_part(e.workflow_id, ':', 2) = $1
     AND e.at >= $2::timestamptz AND e.at < $3::timestamptz AND e.workflow_id NOT LIKE '%/%'`;

/** A row of a query grouped by department, with the county's row (department null) beside them. */
type Row = { department: string | null } & Record<string, number | string | null>;

/**
 * The counts of `county` for `[from, to)` as of `now` (instants), read in one snapshot
 * (REPEATABLE READ), so the county's row and its departments' add up.
 */
export async function clueReportCounts(pool: Pool, q: ClueReportQuery): Promise<ClueReportCounts> {
  return inTransaction(pool, async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return clueCountsIn(client, q);
  });
}

export interface ClueReportQuery {
  county: string;
  /** The period's first instant (inclusive) and its end (exclusive). */
  from: string;
  to: string;
  /** What is still open is judged as of this instant. */
  now: string;
}

/**
 * The same counts inside a transaction the caller opened (the evaluation report reads them in its
 * own snapshot, beside its task figures, db/evaluation-reports.ts).
 */
export async function clueCountsIn(client: Queryable, q: ClueReportQuery): Promise<ClueReportCounts> {
  const args = [q.county, q.from, q.to];
  const rows = [
    ...(await intake(client, args)),
    ...(await repeatsByDepartment(client, args)),
    ...(await dispatches(client, args)),
    ...(await taskFigures(client, [...args, q.now])),
    ...(await visits(client, args)),
    ...(await warnings(client, args)),
  ];
  const county = zero();
  const departments = new Map<string, ClueCounts>();
  for (const row of rows) {
    const target = row.department === null ? county : (departments.get(row.department) ?? departments.set(row.department, zero()).get(row.department)!);
    for (const [k, v] of Object.entries(row)) if (k !== 'department' && v !== null) (target as unknown as Record<string, number>)[k] = Number(v);
  }
  return {
    county,
    // A department whose every count is 0 (its open tasks judged in a later period) is left out.
    departments: [...departments.entries()]
      .filter(([, c]) => Object.values(c).some((v) => v !== 0))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([department, c]) => ({ department, ...c })),
  };
}

/** The county's intake: every clue received in the period, and the repeats among them. */
async function intake(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `SELECT NULL::text AS department, count(*)::int AS received, count(*) FILTER (WHERE merged_into IS NOT NULL)::int AS repeats
       FROM clues
      WHERE county = $1 AND received_at >= $2::timestamptz AND received_at < $3::timestamptz`,
    args,
  );
  return res.rows;
}

/** Repeats received in the period, by the department leading the clue they joined. */
async function repeatsByDepartment(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `SELECT coalesce(j.department, j.view->'dispatches'->-1->>'department') AS department, count(*)::int AS repeats
       FROM clues r
       JOIN clues j ON j.clue_id = r.merged_into
      WHERE r.county = $1 AND r.received_at >= $2::timestamptz AND r.received_at < $3::timestamptz AND r.merged_into IS NOT NULL
        AND coalesce(j.department, j.view->'dispatches'->-1->>'department') IS NOT NULL
      GROUP BY 1`,
    args,
  );
  return res.rows;
}

/**
 * Dispatches (派单) in the period, to the lead and each co-handler: the clues each department
 * received, and the re-dispatches (a dispatch after the clue's first). The county's
 * re-dispatches are every department's as lead (each dispatch has one lead).
 */
async function dispatches(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH d AS (
       SELECT e.workflow_id, x.department, x.lead,
              EXISTS (SELECT 1 FROM timeline_events p WHERE p.workflow_id = e.workflow_id AND p.type = 'dispatched' AND p.seq < e.seq) AS again
         FROM timeline_events e
        CROSS JOIN LATERAL (
              SELECT e.data->>'department' AS department, true AS lead
              UNION ALL
              SELECT c, false FROM jsonb_array_elements_text(coalesce(e.data->'coHandlers', '[]'::jsonb)) c
            ) x
        WHERE e.type = 'dispatched' AND ${clueEventIn}
     )
     SELECT department, count(DISTINCT workflow_id)::int AS received, count(*) FILTER (WHERE lead AND again)::int AS redispatches
       FROM d WHERE department IS NOT NULL GROUP BY department
     UNION ALL
     SELECT NULL, NULL, count(*) FILTER (WHERE lead AND again)::int FROM d`,
    args,
  );
  return res.rows;
}

/** 响应率, 按期办结率 and 退单 from the clue tasks (see ClueCounts), as of `$4`. */
async function taskFigures(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH t AS MATERIALIZED (  -- each deadline read from the view once, not once per use
       SELECT department, state, assigned_at, closed_at,
              coalesce((view->>'signedAt')::timestamptz, (view->'returned'->>'at')::timestamptz) AS responded_at,
              (view->'returned'->>'at')::timestamptz AS returned_at,
              CASE WHEN state IN ('submitted', 'completed') THEN (view->>'submittedAt')::timestamptz END AS done_at,
              (SELECT max((d->>'dueAt')::timestamptz) FROM jsonb_array_elements(view->'deadlines') d WHERE d->>'kind' = 'sign-for') AS sign_due,
              (SELECT max((d->>'dueAt')::timestamptz) FROM jsonb_array_elements(view->'deadlines') d WHERE d->>'kind' = 'handle') AS handle_due
         FROM tasks
        WHERE county = $1 AND task_id LIKE 'clue:%' AND assigned_at < $3::timestamptz AND (closed_at IS NULL OR closed_at >= $2::timestamptz)
     ),
     s AS (
       SELECT *,
              assigned_at >= $2::timestamptz AND sign_due IS NOT NULL
                AND (responded_at IS NOT NULL OR sign_due < coalesce(closed_at, $4::timestamptz)) AS sign_counted,
              handle_due IS NOT NULL AND state NOT IN ('returned', 'cancelled', 'reassigned')
                AND least(done_at, handle_due) >= $2::timestamptz AND least(done_at, handle_due) < $3::timestamptz
                AND least(done_at, handle_due) <= $4::timestamptz AS close_counted
         FROM t
     )
     SELECT department,
            count(*) FILTER (WHERE sign_counted)::int AS "signDue",
            count(*) FILTER (WHERE sign_counted AND responded_at <= sign_due)::int AS "signedInTime",
            count(*) FILTER (WHERE close_counted)::int AS "closeDue",
            count(*) FILTER (WHERE close_counted AND done_at <= handle_due)::int AS "closedInTime",
            count(*) FILTER (WHERE state = 'returned' AND returned_at >= $2::timestamptz AND returned_at < $3::timestamptz)::int AS returns
       FROM s
      GROUP BY GROUPING SETS ((department), ())`,
    args,
  );
  return res.rows;
}

/** Clues whose latest visit-back (回访) was in the period, by its judgement and the department that answered. */
async function visits(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH v AS (
       SELECT c.view->'reply'->>'department' AS department, e.data->>'satisfaction' AS satisfaction
         FROM timeline_events e
         JOIN clues c ON c.clue_id = e.workflow_id
        WHERE e.type = 'visited' AND ${clueEventIn}
          AND NOT EXISTS (SELECT 1 FROM timeline_events l WHERE l.workflow_id = e.workflow_id AND l.type = 'visited' AND l.seq > e.seq)
     )
     SELECT department, count(*)::int AS visited,
            count(*) FILTER (WHERE satisfaction = 'satisfied')::int AS satisfied,
            count(*) FILTER (WHERE satisfaction = 'basically')::int AS basically
       FROM v
      GROUP BY GROUPING SETS ((department), ())
     HAVING GROUPING(department) = 1 OR department IS NOT NULL`,
    args,
  );
  return res.rows;
}

/** Risk warnings pushed in the period (withdrawn ones left out): 闭环率 and the time to feedback. */
async function warnings(db: Queryable, args: unknown[]): Promise<Row[]> {
  const res = await db.query<Row>(
    `WITH w AS (
       SELECT departments, view->'feedback'->>'at' IS NOT NULL AS fed_back,
              extract(epoch FROM (view->'feedback'->>'at')::timestamptz - created_at) / 3600 AS hours
         FROM risk_warnings
        WHERE county = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND state <> 'cancelled'
     )
     SELECT d.department, count(*)::int AS "warningsIssued", count(*) FILTER (WHERE fed_back)::int AS "warningsFedBack",
            coalesce(sum(hours) FILTER (WHERE fed_back), 0)::float8 AS "feedbackHours"
       FROM w CROSS JOIN LATERAL unnest(w.departments) d(department)
      GROUP BY d.department
     UNION ALL
     SELECT NULL, count(*)::int, count(*) FILTER (WHERE fed_back)::int, coalesce(sum(hours) FILTER (WHERE fed_back), 0)::float8 FROM w`,
    args,
  );
  return res.rows;
}
