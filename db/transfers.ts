import type { TransferView } from '../domain/transfer.js';
import type { Queryable } from './pool.js';

/** Writes the transfer's read model; an older event (a retried activity) never overwrites a newer one. */
export async function upsertTransferView(db: Queryable, v: TransferView): Promise<void> {
  await db.query(
    `INSERT INTO transfers (transfer_id, matter_id, county, agency, police, state, step, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
     ON CONFLICT (transfer_id) DO UPDATE SET
       state = EXCLUDED.state, step = EXCLUDED.step, last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE transfers.last_seq < EXCLUDED.last_seq`,
    [v.transferId, v.matterId, v.county, v.agency, v.police, v.state, v.step, v.lastEventSeq, v],
  );
}

/** The transfer as last recorded (outlives Temporal's retention). */
export async function getTransferRow(db: Queryable, transferId: string): Promise<TransferView | undefined> {
  const res = await db.query<{ view: TransferView }>('SELECT view FROM transfers WHERE transfer_id = $1', [transferId]);
  return res.rows[0]?.view;
}
