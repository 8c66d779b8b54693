import { divisionPrefix } from '../domain/departments.js';
import type { DisputeView } from '../domain/dispute.js';
import type { Principal } from '../domain/principal.js';
import { hasRole } from '../domain/principal.js';
import type { Queryable } from './pool.js';

export async function upsertDisputeView(db: Queryable, v: DisputeView): Promise<void> {
  await db.query(
    `INSERT INTO disputes (dispute_id, county, other_county, matter_id, state, rung, level, parties, arbiter_county, arbiter_department, due_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
     ON CONFLICT (dispute_id) DO UPDATE SET
       state = EXCLUDED.state, rung = EXCLUDED.rung, level = EXCLUDED.level, arbiter_county = EXCLUDED.arbiter_county,
       arbiter_department = EXCLUDED.arbiter_department, due_at = EXCLUDED.due_at, last_seq = EXCLUDED.last_seq,
       view = EXCLUDED.view, updated_at = now()
     WHERE disputes.last_seq < EXCLUDED.last_seq`,
    [v.disputeId, v.county, v.otherCounty ?? null, v.matterId ?? null, v.state, v.rung, v.level, v.parties,
      v.arbiter?.county ?? null, v.arbiter?.department ?? null, v.state === 'open' ? v.dueAt ?? null : null, v.lastEventSeq, v],
  );
}

/** The dispute as last recorded (the read model outlives Temporal's retention). */
export async function getDisputeRow(db: Queryable, disputeId: string): Promise<DisputeView | undefined> {
  const res = await db.query<{ view: DisputeView }>('SELECT view FROM disputes WHERE dispute_id = $1', [disputeId]);
  return res.rows[0]?.view;
}

/**
 * Disputes the principal may see: as a party (their department of their county: the first party
 * is of the dispute's county, the others of `other_county` when set), as an arbiter
 * of any rung of it (justice bureau, staffing office, county government, the city), or as a
 * supervisor of a county or city that covers it (need to know: not operators or admins).
 */
export async function listDisputes(db: Queryable, p: Principal, f: { state?: string; limit: number; before?: { createdAt: string; disputeId: string } }) {
  const prefix = `${divisionPrefix(p.county)}%`;
  const args: unknown[] = [p.county, p.department ?? null, prefix, hasRole(p, 'supervisor')];
  const where = [`(
      ($2::text IS NOT NULL AND ((county = $1 AND parties[1] = $2) OR (coalesce(other_county, county) = $1 AND $2 = ANY(parties[2:]))))
   OR ($2::text IN ('justice', 'staffing-office', 'county-government') AND county = $1)
   OR (arbiter_county = $1 AND ($2::text IS NULL OR arbiter_department = $2 OR arbiter_department IS NULL))
   OR ($4::boolean AND (county LIKE $3 OR other_county LIKE $3))
  )`];
  if (f.state) {
    args.push(f.state);
    where.push(`state = $${args.length}`);
  }
  if (f.before) {
    args.push(f.before.createdAt, f.before.disputeId);
    where.push(`(created_at, dispute_id) < ($${args.length - 1}::timestamptz, $${args.length})`);
  }
  args.push(f.limit);
  const res = await db.query<{ view: DisputeView; created_at: Date; dispute_id: string }>(
    `SELECT dispute_id, created_at, view FROM disputes WHERE ${where.join(' AND ')} ORDER BY created_at DESC, dispute_id DESC LIMIT $${args.length}`,
    args,
  );
  return res.rows;
}
