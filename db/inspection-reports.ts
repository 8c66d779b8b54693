/**
 * The inspections report (GET /v1/reports/inspections, issue 14 §5): per plan and department of a
 * county's year, what was planned, drawn, inspected, merged, prevented and published on time.
 * Each figure is defined here, where it is counted.
 *
 * - An inspection belongs to the year of its visit (or, without a visit, of its creation, China
 *   time); cancelled ones are left out.
 * - `drawn`: checks of the department in the year's inspections with the plan's id (a round's
 *   draw lands as such a check, a joined one included); ad-hoc checks are under `planId: null`.
 *   (Counted from the inspections: the rounds' own draws, with their skips, are the rounds'.)
 * - `inspected`: those whose department has recorded its result.
 * - `joint`: those in an inspection of two or more departments (进一次门、查多项事).
 * - `published` / `publishedOnTime`: those whose inspection is published / was published by its
 *   due date; `publicationDue`: published, or past the due date unpublished (the denominator).
 * - `duplicatesPrevented`: ad-hoc inspections refused 409 `recently_inspected` in the year (China time).
 */
import type { PlanFrequency } from '../domain/inspection-plan.js';
import type { Queryable } from './pool.js';

export interface CheckCounts {
  drawn: number;
  inspected: number;
  joint: number;
  published: number;
  publishedOnTime: number;
  publicationDue: number;
}
export interface InspectionReportRows {
  plans: { planId: string; name: string; lead: string; cooperating: string[]; items: string[]; frequency: PlanFrequency }[];
  checks: ({ planId: string | null; department: string } & CheckCounts)[];
  inspections: { all: number; joint: number; publishedOnTime: number; publicationDue: number };
  refusals: { department: string; recent: number; yearlyCap: number }[];
}

const yearOf = `extract(year FROM coalesce(visit_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date))`;

export async function inspectionReportRows(db: Queryable, county: string, year: number): Promise<InspectionReportRows> {
  const plans = await db.query<{ plan_id: string; name: string; lead: string; cooperating: string[]; items: string[]; frequency: PlanFrequency }>(
    'SELECT plan_id, name, lead, cooperating, items, frequency FROM plans WHERE county = $1 AND year = $2 ORDER BY plan_id',
    [county, year],
  );
  const checks = await db.query<{ plan_id: string | null; department: string } & Record<keyof CheckCounts, string>>(
    `WITH c AS (
       SELECT i.inspection_id, i.state, i.departments, i.view, x->>'department' AS department, x->>'planId' AS plan_id
         FROM inspections i, jsonb_array_elements(i.checks) x
        WHERE i.county = $1 AND i.state <> 'cancelled' AND ${yearOf} = $2
     )
     SELECT plan_id, department,
            count(*) AS drawn,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(view->'results') r WHERE r->>'department' = c.department)) AS inspected,
            count(*) FILTER (WHERE cardinality(departments) >= 2) AS joint,
            count(*) FILTER (WHERE state = 'published') AS published,
            count(*) FILTER (WHERE state = 'published' AND (view->'publication'->>'onTime')::boolean) AS "publishedOnTime",
            count(*) FILTER (WHERE state = 'published' OR (state = 'publishing' AND (view->'publication'->>'dueAt')::timestamptz < now())) AS "publicationDue"
       FROM c GROUP BY plan_id, department ORDER BY plan_id NULLS LAST, department`,
    [county, year],
  );
  const all = await db.query<{ all: string; joint: string; on_time: string; due: string }>(
    `SELECT count(*) AS all, count(*) FILTER (WHERE cardinality(departments) >= 2) AS joint,
            count(*) FILTER (WHERE state = 'published' AND (view->'publication'->>'onTime')::boolean) AS on_time,
            count(*) FILTER (WHERE state = 'published' OR (state = 'publishing' AND (view->'publication'->>'dueAt')::timestamptz < now())) AS due
       FROM inspections WHERE county = $1 AND state <> 'cancelled' AND ${yearOf} = $2`,
    [county, year],
  );
  const refusals = await db.query<{ department: string; recent: string; cap: string }>(
    `SELECT department, count(*) FILTER (WHERE reason = 'recent') AS recent, count(*) FILTER (WHERE reason = 'yearly-cap') AS cap
       FROM inspection_refusals WHERE county = $1 AND extract(year FROM at AT TIME ZONE 'Asia/Shanghai') = $2
      GROUP BY department ORDER BY department`,
    [county, year],
  );
  return {
    plans: plans.rows.map((r) => ({ planId: r.plan_id, name: r.name, lead: r.lead, cooperating: r.cooperating, items: r.items, frequency: r.frequency })),
    checks: checks.rows.map((r) => ({
      planId: r.plan_id,
      department: r.department,
      drawn: Number(r.drawn),
      inspected: Number(r.inspected),
      joint: Number(r.joint),
      published: Number(r.published),
      publishedOnTime: Number(r.publishedOnTime),
      publicationDue: Number(r.publicationDue),
    })),
    inspections: {
      all: Number(all.rows[0]!.all),
      joint: Number(all.rows[0]!.joint),
      publishedOnTime: Number(all.rows[0]!.on_time),
      publicationDue: Number(all.rows[0]!.due),
    },
    refusals: refusals.rows.map((r) => ({ department: r.department, recent: Number(r.recent), yearlyCap: Number(r.cap) })),
  };
}
