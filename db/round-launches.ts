/**
 * The launch of a round's inspections and its recusal log (migration 0023). A drawn subject's
 * inspection is decided once, under the subject's lock: merged into an open inspection visiting
 * it within the merge window (进一次门、查多项事), else a new inspection whose id is allocated here,
 * so a retried batch starts the same workflow and never a second one.
 */
import type pg from 'pg';
import { planWorkflowIds } from '../domain/inspection-plan.js';
import { addDays } from '../domain/round.js';
import { nextSeq } from './ids.js';
import type { Queryable } from './pool.js';
import { lockSubject } from './rounds.js';

export interface Launch {
  subjectId: string;
  inspectionId: string;
  kind: 'started' | 'merged';
  visitOn: string | null;
  delivered: boolean;
}

const toLaunch = (r: any): Launch => ({ subjectId: r.subject_id, inspectionId: r.inspection_id, kind: r.kind, visitOn: r.visit_on, delivered: r.delivered });
const launchColumns = 'subject_id, inspection_id, kind, visit_on::text AS visit_on, delivered';

/**
 * An open inspection of the subject visiting within `days` of `visitOn`, the nearest first: one
 * the jointInspection has recorded as `scheduled`, or one another round started that has not
 * recorded its row yet (it is scheduled until it does).
 */
async function openInspectionNear(db: Queryable, o: { roundId: string; subjectId: string; visitOn: string; days: number }): Promise<string | undefined> {
  const from = addDays(o.visitOn, -o.days);
  const to = addDays(o.visitOn, o.days);
  const res = await db.query<{ inspection_id: string }>(
    `SELECT inspection_id FROM (
       SELECT inspection_id, visit_on FROM inspections WHERE subject_id = $1 AND state = 'scheduled' AND visit_on BETWEEN $2 AND $3
       UNION
       SELECT l.inspection_id, l.visit_on FROM round_launches l
        WHERE l.subject_id = $1 AND l.kind = 'started' AND l.round_id <> $4 AND l.visit_on BETWEEN $2 AND $3
          AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.inspection_id = l.inspection_id)) open
     ORDER BY abs(visit_on - $5::date), inspection_id LIMIT 1`,
    [o.subjectId, from, to, o.roundId, o.visitOn],
  );
  return res.rows[0]?.inspection_id;
}

/** The subject's launch in this round: as decided before, or decided now (the caller's transaction). */
export async function decideLaunch(
  client: pg.PoolClient,
  o: { roundId: string; county: string; year: number; subjectId: string; visitOn: string | null; mergeWindowDays: number },
): Promise<Launch> {
  await lockSubject(client, o.subjectId);
  const prior = (await client.query(`SELECT ${launchColumns} FROM round_launches WHERE round_id = $1 AND subject_id = $2`, [o.roundId, o.subjectId])).rows[0];
  if (prior) return toLaunch(prior);
  // A round without visits (written / off-site items only) does not join a visit: nothing to share.
  const target = o.visitOn
    ? await openInspectionNear(client, { roundId: o.roundId, subjectId: o.subjectId, visitOn: o.visitOn, days: o.mergeWindowDays })
    : undefined;
  const inspectionId = target ?? planWorkflowIds.inspection(o.county, o.year, await nextSeq(client, `inspection:${o.county}:${o.year}`));
  const res = await client.query(
    `INSERT INTO round_launches (round_id, subject_id, inspection_id, kind, visit_on) VALUES ($1, $2, $3, $4, $5) RETURNING ${launchColumns}`,
    [o.roundId, o.subjectId, inspectionId, target ? 'merged' : 'started', o.visitOn],
  );
  return toLaunch(res.rows[0]);
}

/**
 * A merge the open inspection refused (its visit has begun, or it ended meanwhile): the subject
 * gets a new inspection after all, its id allocated once.
 */
export async function launchAnew(client: pg.PoolClient, o: { roundId: string; county: string; year: number; subjectId: string }): Promise<Launch> {
  await lockSubject(client, o.subjectId);
  const id = planWorkflowIds.inspection(o.county, o.year, await nextSeq(client, `inspection:${o.county}:${o.year}`));
  const res = await client.query(
    `UPDATE round_launches SET inspection_id = $3, kind = 'started' WHERE round_id = $1 AND subject_id = $2 AND kind = 'merged' AND NOT delivered
     RETURNING ${launchColumns}`,
    [o.roundId, o.subjectId, id],
  );
  if (res.rows[0]) return toLaunch(res.rows[0]);
  return toLaunch(
    (await client.query(`SELECT ${launchColumns} FROM round_launches WHERE round_id = $1 AND subject_id = $2`, [o.roundId, o.subjectId])).rows[0],
  );
}

export async function markDelivered(db: Queryable, roundId: string, subjectId: string): Promise<void> {
  await db.query('UPDATE round_launches SET delivered = true WHERE round_id = $1 AND subject_id = $2', [roundId, subjectId]);
}

/** The round (of a plan the department takes part in) that launched the inspection, with the subject. */
export async function roundOfInspection(
  db: Queryable,
  inspectionId: string,
  department: string,
): Promise<{ roundId: string; subjectId: string; county: string } | undefined> {
  const r = (
    await db.query<{ round_id: string; subject_id: string; county: string }>(
      `SELECT l.round_id, l.subject_id, r.county FROM round_launches l JOIN rounds r USING (round_id) JOIN plans p ON p.plan_id = r.plan_id
        WHERE l.inspection_id = $1 AND (p.lead = $2 OR $2 = ANY(p.cooperating)) ORDER BY r.seeded_at DESC LIMIT 1`,
      [inspectionId, department],
    )
  ).rows[0];
  return r ? { roundId: r.round_id, subjectId: r.subject_id, county: r.county } : undefined;
}

/** Whether an inspection id was launched by any round (the recusal route's 404 otherwise). */
export async function inspectionCounty(db: Queryable, inspectionId: string): Promise<string | undefined> {
  const r = (
    await db.query<{ county: string }>(
      `SELECT county FROM inspections WHERE inspection_id = $1
       UNION ALL SELECT r.county FROM round_launches l JOIN rounds r USING (round_id) WHERE l.inspection_id = $1 LIMIT 1`,
      [inspectionId],
    )
  ).rows[0];
  return r?.county;
}

export interface RecusalRow {
  counter: number;
  inspectionId: string;
  subjectId: string;
  department: string;
  removed: string[];
  added: string[];
  requestedBy: string;
  delivered: boolean;
}

const toRecusal = (r: any): RecusalRow => ({
  counter: r.counter,
  inspectionId: r.inspection_id,
  subjectId: r.subject_id,
  department: r.department,
  removed: r.removed,
  added: r.added,
  requestedBy: r.requested_by,
  delivered: r.delivered,
});

export async function recusalByRequest(db: Queryable, roundId: string, requestId: string): Promise<RecusalRow | undefined> {
  const r = (await db.query('SELECT * FROM round_recusals WHERE round_id = $1 AND request_id = $2', [roundId, requestId])).rows[0];
  return r ? toRecusal(r) : undefined;
}

export async function recusalByCounter(db: Queryable, roundId: string, counter: number): Promise<RecusalRow | undefined> {
  const r = (await db.query('SELECT * FROM round_recusals WHERE round_id = $1 AND counter = $2', [roundId, counter])).rows[0];
  return r ? toRecusal(r) : undefined;
}

export async function insertRecusal(
  client: pg.PoolClient,
  r: Omit<RecusalRow, 'delivered'> & { roundId: string; reason: string; requestId: string },
): Promise<void> {
  await client.query(
    `INSERT INTO round_recusals (round_id, counter, inspection_id, subject_id, department, removed, added, reason, request_id, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [r.roundId, r.counter, r.inspectionId, r.subjectId, r.department, r.removed, r.added, r.reason, r.requestId, r.requestedBy],
  );
}

export async function markRecusalDelivered(db: Queryable, roundId: string, counter: number): Promise<void> {
  await db.query('UPDATE round_recusals SET delivered = true WHERE round_id = $1 AND counter = $2', [roundId, counter]);
}
