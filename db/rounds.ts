/**
 * Rounds (migration 0023): the seed recorded before the registry snapshot, the snapshot and the
 * draw, the launch of each drawn subject's inspection, the recusal log. Every write is guarded so
 * a retried activity finds what the first attempt stored and never takes a second snapshot, a
 * second draw or a second inspection id.
 */
import type pg from 'pg';
import type { DrawPlan, DrawResult, RecentInspection, RegistrySnapshot, SnapshotInspector, SnapshotSubject } from '../domain/draw.js';
import type { Plan } from '../domain/inspection-plan.js';
import type { RoundState } from '../domain/round.js';
import type { Queryable } from './pool.js';

export interface LaunchPlan {
  initiator: string;
  /** Per department of the plan (lead first): the items it checks. */
  checks: { department: string; items: string[] }[];
}

export interface RoundRow {
  roundId: string;
  planId: string;
  county: string;
  scheduledOn: string;
  publishedValue: string;
  seed: string;
  seededAt: string;
  requestedBy: string;
  snapshotHash: string | null;
  snapshotAt: string | null;
  drawnAt: string | null;
  visitOn: string | null;
  launchPlan: LaunchPlan | null;
  state: RoundState;
  launchedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const day = (d: Date | string | null) => (d === null ? null : typeof d === 'string' ? d : d.toISOString().slice(0, 10));

const columns = `round_id, plan_id, county, scheduled_on::text AS scheduled_on, published_value, seed, seeded_at, requested_by, snapshot_hash,
  snapshot_at, drawn_at, visit_on::text AS visit_on, launch_plan, state, launched_at`;

const toRound = (r: any): RoundRow => ({
  roundId: r.round_id,
  planId: r.plan_id,
  county: r.county,
  scheduledOn: day(r.scheduled_on)!,
  publishedValue: r.published_value,
  seed: r.seed,
  seededAt: iso(r.seeded_at)!,
  requestedBy: r.requested_by,
  snapshotHash: r.snapshot_hash,
  snapshotAt: iso(r.snapshot_at),
  drawnAt: iso(r.drawn_at),
  visitOn: day(r.visit_on),
  launchPlan: r.launch_plan,
  state: r.state,
  launchedAt: iso(r.launched_at),
});

export async function getRound(db: Queryable, roundId: string): Promise<RoundRow | undefined> {
  const r = (await db.query(`SELECT ${columns} FROM rounds WHERE round_id = $1`, [roundId])).rows[0];
  return r ? toRound(r) : undefined;
}

/** Records the round and its seed once; a retry (or a second start of the same id) reads the first. */
export async function recordSeed(
  db: Queryable,
  r: { roundId: string; planId: string; county: string; scheduledOn: string; publishedValue: string; seed: string; requestedBy: string },
): Promise<RoundRow> {
  await db.query(
    `INSERT INTO rounds (round_id, plan_id, county, scheduled_on, published_value, seed, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (round_id) DO NOTHING`,
    [r.roundId, r.planId, r.county, r.scheduledOn, r.publishedValue, r.seed, r.requestedBy],
  );
  return (await getRound(db, r.roundId))!;
}

/** The subjects of a plan's target, as the draw sees them (no names, no addresses). */
export async function snapshotSubjects(db: Queryable, county: string, target: Plan['target']): Promise<SnapshotSubject[]> {
  const res = await db.query<SnapshotSubject>(
    `SELECT subject_id AS id, kind, county, township, trade, tags, credit_grade AS "creditGrade" FROM subjects
      WHERE county = $1 AND registered_at IS NOT NULL AND erased_at IS NULL
        AND ($2::text[] IS NULL OR tags && $2) AND ($3::text[] IS NULL OR trade = ANY($3)) AND ($4::text[] IS NULL OR kind = ANY($4))
      ORDER BY subject_id`,
    [county, target.tags?.length ? target.tags : null, target.trades?.length ? target.trades : null, target.kinds?.length ? target.kinds : null],
  );
  return res.rows;
}

/** The inspectors of the departments in the county, as the draw sees them (no names). */
export async function snapshotInspectors(db: Queryable, county: string, departments: string[]): Promise<SnapshotInspector[]> {
  const res = await db.query<SnapshotInspector>(
    `SELECT inspector_id AS id, department, certificate_no AS "certificateNo", qualifications, specialties, active, conflicts
       FROM inspectors WHERE county = $1 AND department = ANY($2) ORDER BY inspector_id`,
    [county, departments],
  );
  return res.rows;
}

/**
 * Earlier (and already scheduled) inspections that matter to a draw: every item of each one on a
 * date within `window`, and each subject's latest before it (whose inspectors are recused). The
 * date is the visit's, else the day it ended, else the day it was created. Cancelled ones do not count.
 * One still `scheduled` has checked nothing yet: it leaves the subject out for its items, but names
 * no inspectors to recuse (its teams have not been to the subject; a draw that joins its visit
 * merges into it).
 */
export async function recentInspections(db: Queryable, county: string, window: { from: string; to: string }): Promise<RecentInspection[]> {
  const res = await db.query<{ subject_id: string; items: string[]; on: string; inspector_ids: string[] }>(
    `WITH dated AS (
       SELECT subject_id, items, CASE WHEN state = 'scheduled' THEN '{}'::text[] ELSE inspector_ids END AS inspector_ids, inspection_id,
              COALESCE(visit_on, ended_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date) AS on_date
         FROM inspections WHERE county = $1 AND state <> 'cancelled')
     SELECT subject_id, items, on_date::text AS on, inspector_ids FROM dated WHERE on_date BETWEEN $2 AND $3
     UNION
     SELECT * FROM (SELECT DISTINCT ON (subject_id) subject_id, items, on_date::text AS on, inspector_ids FROM dated
                     WHERE on_date < $2 ORDER BY subject_id, on_date DESC, inspection_id DESC) latest`,
    [county, window.from, window.to],
  );
  const out: RecentInspection[] = [];
  for (const r of res.rows) for (const itemId of r.items) out.push({ subjectId: r.subject_id, itemId, on: r.on, inspectorIds: r.inspector_ids });
  return out.sort((a, b) => (a.subjectId + a.itemId + a.on < b.subjectId + b.itemId + b.on ? -1 : 1));
}

/** Inspections of each of the county's subjects in `year` (not cancelled), for the yearly cap. */
export async function inspectionsThisYear(db: Queryable, county: string, year: number): Promise<Record<string, number>> {
  const res = await db.query<{ subject_id: string; n: number }>(
    `SELECT subject_id, count(*)::int AS n FROM inspections WHERE county = $1 AND state <> 'cancelled'
        AND date_part('year', COALESCE(visit_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date)) = $2 GROUP BY subject_id ORDER BY subject_id`,
    [county, year],
  );
  return Object.fromEntries(res.rows.map((r) => [r.subject_id, r.n]));
}

/** Stores the snapshot once (never replaced: a retry after a crash keeps the first). */
export async function storeSnapshot(db: Queryable, roundId: string, snapshot: RegistrySnapshot, plan: DrawPlan, hash: string): Promise<void> {
  await db.query(
    `UPDATE rounds SET snapshot = $2::jsonb, draw_plan = $3::jsonb, snapshot_hash = $4, snapshot_at = now(), state = 'snapshotted'
      WHERE round_id = $1 AND snapshot IS NULL`,
    [roundId, JSON.stringify(snapshot), JSON.stringify(plan), hash],
  );
}

export async function loadSnapshot(
  db: Queryable,
  roundId: string,
): Promise<{ snapshot: RegistrySnapshot; plan: DrawPlan; result: DrawResult | null } | undefined> {
  const r = (await db.query('SELECT snapshot, draw_plan, result FROM rounds WHERE round_id = $1 AND snapshot IS NOT NULL', [roundId])).rows[0];
  return r ? { snapshot: r.snapshot, plan: r.draw_plan, result: r.result } : undefined;
}

/** The recorded draw (recusals included), or undefined before the draw. */
export async function loadResult(db: Queryable, roundId: string): Promise<DrawResult | undefined> {
  const r = (await db.query('SELECT result FROM rounds WHERE round_id = $1', [roundId])).rows[0];
  return r?.result ?? undefined;
}

/** Stores the draw once, with the visits' date and what each department checks. */
export async function storeResult(db: Queryable, roundId: string, result: DrawResult, visitOn: string | null, launchPlan: LaunchPlan): Promise<void> {
  await db.query(
    `UPDATE rounds SET result = $2::jsonb, visit_on = $3, launch_plan = $4::jsonb, drawn_at = now(), state = 'drawn' WHERE round_id = $1 AND result IS NULL`,
    [roundId, JSON.stringify(result), visitOn, JSON.stringify(launchPlan)],
  );
}

export async function setRoundState(db: Queryable, roundId: string, state: RoundState): Promise<void> {
  await db.query(
    `UPDATE rounds SET state = $2, launched_at = CASE WHEN $2 = 'launched' THEN COALESCE(launched_at, now()) ELSE launched_at END WHERE round_id = $1`,
    [roundId, state],
  );
}

/** How many subjects of the round were started as new inspections and how many merged into open ones. */
export async function launchCounts(db: Queryable, roundId: string): Promise<{ started: number; merged: number }> {
  const res = await db.query<{ kind: 'started' | 'merged'; n: number }>(
    'SELECT kind, count(*)::int AS n FROM round_launches WHERE round_id = $1 GROUP BY kind',
    [roundId],
  );
  const get = (k: string) => res.rows.find((r) => r.kind === k)?.n ?? 0;
  return { started: get('started'), merged: get('merged') };
}

/** One advisory lock per subject while a round decides its inspection (two rounds never both start one). */
export const lockSubject = (client: pg.PoolClient, subjectId: string) => client.query('SELECT pg_advisory_xact_lock(7233035, hashtext($1))', [subjectId]);

/** One recusal at a time per round (the log's counter is its length + 1). */
export const lockRoundRecusals = (client: pg.PoolClient, roundId: string) => client.query('SELECT pg_advisory_xact_lock(7233036, hashtext($1))', [roundId]);
