import type { DisputeView } from '../domain/dispute.js';
import type { Principal } from '../domain/principal.js';
import type { Queryable } from './pool.js';
import { keyset, Where, type Keyed } from './sql.js';
import { disputesVisibleTo } from './visibility.js';

export async function upsertDisputeView(db: Queryable, v: DisputeView): Promise<void> {
  await db.query(
    `INSERT INTO disputes (dispute_id, county, other_county, matter_id, state, rung, level, parties, arbiter_county, arbiter_department, due_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
     ON CONFLICT (dispute_id) DO UPDATE SET
       state = EXCLUDED.state, rung = EXCLUDED.rung, level = EXCLUDED.level, arbiter_county = EXCLUDED.arbiter_county,
       arbiter_department = EXCLUDED.arbiter_department, due_at = EXCLUDED.due_at, last_seq = EXCLUDED.last_seq,
       view = EXCLUDED.view, updated_at = now()
     WHERE disputes.last_seq < EXCLUDED.last_seq`,
    [
      v.disputeId,
      v.county,
      v.otherCounty ?? null,
      v.matterId ?? null,
      v.state,
      v.rung,
      v.level,
      v.parties,
      v.arbiter?.county ?? null,
      v.arbiter?.department ?? null,
      v.state === 'open' ? (v.dueAt ?? null) : null,
      v.lastEventSeq,
      v,
    ],
  );
}

/** The dispute as last recorded (the read model outlives Temporal's retention). */
export async function getDisputeRow(db: Queryable, disputeId: string): Promise<DisputeView | undefined> {
  const res = await db.query<{ view: DisputeView }>('SELECT view FROM disputes WHERE dispute_id = $1', [disputeId]);
  return res.rows[0]?.view;
}

const disputeOrder = keyset('desc', [{ sql: 'created_at', type: 'timestamptz' }, { sql: 'dispute_id' }]);

/**
 * Disputes the principal may see (db/visibility.ts), newest first, keyset-paginated: the rule
 * applies in SQL, so a page is full whenever a next one exists.
 */
export async function listDisputes(
  db: Queryable,
  p: Principal,
  f: { state?: string; limit: number; before?: { createdAt: string; disputeId: string } },
): Promise<Keyed<DisputeView, { createdAt: string; disputeId: string }>[]> {
  const w = disputesVisibleTo(new Where(), p).when(f.state, 'state = ?');
  if (f.before) disputeOrder.after(w, [f.before.createdAt, f.before.disputeId]);
  const res = await db.query<{ view: DisputeView; created_at: Date; dispute_id: string }>(
    `SELECT dispute_id, created_at, view FROM disputes WHERE ${w.sql} ORDER BY ${disputeOrder.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({ view: r.view, cursor: { createdAt: r.created_at.toISOString(), disputeId: r.dispute_id } }));
}
