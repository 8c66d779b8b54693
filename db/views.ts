import type { ViewRecord } from '../domain/events.js';
import type { Queryable } from './pool.js';

/** The read-model tables a workflow's view is written to, with their key column and the view's key field. */
const tables = {
  tasks: { column: 'task_id', field: 'taskId' },
  matters: { column: 'matter_id', field: 'matterId' },
  disputes: { column: 'dispute_id', field: 'disputeId' },
  transfers: { column: 'transfer_id', field: 'transferId' },
  clues: { column: 'clue_id', field: 'clueId' },
  risk_warnings: { column: 'warning_id', field: 'warningId' },
  approvals: { column: 'follow_up_id', field: 'followUpId' },
  inspections: { column: 'inspection_id', field: 'inspectionId' },
} as const;
export type ViewTable = keyof typeof tables;

/**
 * The whole view a recording writes (domain/events.ts ViewRecord): a whole view as given, or a
 * patch applied to the row's view, the row locked until the transaction ends so two writes of one
 * workflow cannot interleave. Undefined when the row is already at the patch's sequence or later
 * (a retry, or a later write that landed first), exactly like the upsert's own `last_seq` guard.
 */
export async function viewToWrite<V extends { lastEventSeq: number }>(db: Queryable, table: ViewTable, written: ViewRecord<V>): Promise<V | undefined> {
  if ('view' in written) return written.view;
  const { column, field } = tables[table];
  const { set, unset } = written.patch;
  const id = (set as Record<string, unknown>)[field];
  if (typeof id !== 'string') throw new Error(`a ${table} patch without its ${field}`);
  const res = await db.query<{ view: Record<string, unknown>; last_seq: number }>(`SELECT view, last_seq FROM ${table} WHERE ${column} = $1 FOR UPDATE`, [id]);
  const row = res.rows[0];
  // The workflow sends a patch only after one of its writes has landed, so the row exists; if it
  // does not (restored from an older backup), the error is retried and names only the id.
  if (!row) throw new Error(`no ${table} row for ${id} to apply the write of #${set.lastEventSeq} to`);
  if (row.last_seq >= set.lastEventSeq) return undefined;
  const merged: Record<string, unknown> = { ...row.view, ...set };
  for (const k of unset) delete merged[k];
  return merged as V;
}
