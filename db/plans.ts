/**
 * Annual inspection plans (annex 2 of 周政办发〔2024〕13号; DOMAIN §7) and what the planning season
 * reads of them: which published items of a county a plan of the year covers. A plan is never
 * updated in place (a correction is a new plan), so its row is written once.
 */
import { coverage, type LeadCoverage } from '../domain/planning-season.js';
import type { Plan, PlanBody, PlanRatios } from '../domain/inspection-plan.js';
import { currentItems } from './inspection-items.js';
import type { Queryable } from './pool.js';
import { keyset, Where } from './sql.js';

interface PlanRow {
  plan_id: string;
  county: string;
  year: number;
  name: string;
  lead: string;
  cooperating: string[];
  items: string[];
  target: Plan['target'];
  ratios: PlanRatios;
  frequency: Plan['frequency'];
  window_from: string;
  window_to: string;
  created_at: Date;
  created_by: string;
}

// `window_*` as text: a date column read by `pg` becomes a Date at local midnight, not the day.
const columns = `plan_id, county, year, name, lead, cooperating, items, target, ratios, frequency,
  to_char(window_from, 'YYYY-MM-DD') AS window_from, to_char(window_to, 'YYYY-MM-DD') AS window_to, created_at, created_by`;

const toPlan = (r: PlanRow): Plan => ({
  planId: r.plan_id,
  county: r.county,
  year: r.year,
  name: r.name,
  lead: r.lead,
  cooperating: r.cooperating,
  items: r.items,
  target: r.target,
  ratios: r.ratios,
  frequency: r.frequency,
  window: { from: r.window_from, to: r.window_to },
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
});

/**
 * Stores a plan under its reserved id, with its effective ratios, and answers it as stored. Run
 * again under the same id (a retried request whose first attempt wrote it) it writes nothing and
 * answers the stored plan: `created` tells which.
 */
export async function createPlan(
  client: Queryable,
  o: { planId: string; body: PlanBody; ratios: PlanRatios; createdBy: string },
): Promise<{ plan: Plan; created: boolean }> {
  const b = o.body;
  const inserted = await client.query<PlanRow>(
    `INSERT INTO plans (plan_id, county, year, name, lead, cooperating, items, target, ratios, frequency, window_from, window_to, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (plan_id) DO NOTHING
     RETURNING ${columns}`,
    [
      o.planId,
      b.county,
      b.year,
      b.name,
      b.lead,
      b.cooperating,
      b.items,
      JSON.stringify(b.target),
      JSON.stringify(o.ratios),
      b.frequency,
      b.window.from,
      b.window.to,
      o.createdBy,
    ],
  );
  if (inserted.rows[0]) return { plan: toPlan(inserted.rows[0]), created: true };
  return { plan: (await getPlan(client, o.planId))!, created: false };
}

export async function getPlan(db: Queryable, planId: string): Promise<Plan | undefined> {
  const res = await db.query<PlanRow>(`SELECT ${columns} FROM plans WHERE plan_id = $1`, [planId]);
  return res.rows[0] ? toPlan(res.rows[0]) : undefined;
}

const planOrder = keyset('asc', [{ sql: 'plan_id' }]);

/** A county's plans of a year (optionally of one lead), in number order, keyset-paginated by plan id. */
export async function listPlans(
  db: Queryable,
  f: { county: string; year: number; lead?: string | undefined; after?: string | undefined; limit: number },
): Promise<Plan[]> {
  const w = new Where().add('county = ?', f.county).add('year = ?', f.year).when(f.lead, 'lead = ?');
  if (f.after !== undefined) planOrder.after(w, [f.after]);
  const res = await db.query<PlanRow>(`SELECT ${columns} FROM plans WHERE ${w.sql} ORDER BY ${planOrder.orderBy} LIMIT ${w.param(f.limit)}`, w.args);
  return res.rows.map(toPlan);
}

/** Every item some plan of the county and year names. */
export async function plannedItems(db: Queryable, county: string, year: number): Promise<string[]> {
  const res = await db.query<{ item: string }>('SELECT DISTINCT unnest(items) AS item FROM plans WHERE county = $1 AND year = $2', [county, year]);
  return res.rows.map((r) => r.item);
}

/** Per lead department of the county's published items: which a plan of the year covers (the planning season's check). */
export async function seasonCoverage(db: Queryable, county: string, year: number): Promise<LeadCoverage[]> {
  const items = await currentItems(db, county);
  return coverage(items, await plannedItems(db, county, year));
}

/** Counties whose list has a published item in force: those a planning season is started for. */
export async function countiesWithPublishedItems(db: Queryable): Promise<string[]> {
  const res = await db.query<{ county: string }>(
    `SELECT DISTINCT county FROM (SELECT DISTINCT ON (county, item_id) county, published FROM inspection_items ORDER BY county, item_id, version DESC) current
      WHERE published ORDER BY county`,
  );
  return res.rows.map((r) => r.county);
}
