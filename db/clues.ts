import type { ClueView } from '../domain/clue.js';
import type { Queryable } from './pool.js';

/** Writes the clue's read model; an older event (a retried activity) never overwrites a newer one. */
export async function upsertClueView(db: Queryable, v: ClueView): Promise<void> {
  await db.query(
    `INSERT INTO clues (clue_id, county, category, state, department, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (clue_id) DO UPDATE SET
       state = EXCLUDED.state, department = EXCLUDED.department, last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE clues.last_seq < EXCLUDED.last_seq`,
    [v.clueId, v.county, v.category, v.state, v.department ?? null, v.lastEventSeq, v],
  );
}

/** The clue as last recorded (outlives Temporal's retention). */
export async function getClueRow(db: Queryable, clueId: string): Promise<ClueView | undefined> {
  const res = await db.query<{ view: ClueView }>('SELECT view FROM clues WHERE clue_id = $1', [clueId]);
  return res.rows[0]?.view;
}
