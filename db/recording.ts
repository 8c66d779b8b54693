import type { ApprovalView } from '../domain/approval.js';
import type { ClueView } from '../domain/clue.js';
import type { DisputeView } from '../domain/dispute.js';
import type { EventRecord, ViewRecord } from '../domain/events.js';
import type { InspectionView } from '../domain/inspection.js';
import type { MatterView } from '../domain/matter.js';
import type { RiskWarningView } from '../domain/risk-warning.js';
import type { TaskView } from '../domain/task.js';
import type { TransferView } from '../domain/transfer.js';
import { upsertApprovalView } from './approvals.js';
import { upsertClueView } from './clues.js';
import { upsertDisputeView } from './disputes.js';
import { upsertInspectionView } from './inspections.js';
import { insertAuditVerification, recordEvent, type ChainVerification } from './events.js';
import { upsertMatterView, type RecordedMatterView } from './matters.js';
import { upsertRiskWarningView } from './risk-warnings.js';
import type { Pool, Queryable } from './pool.js';
import { inTransaction } from './sql.js';
import { ensureMatterSubject } from './subjects.js';
import { upsertTaskView } from './tasks.js';
import { upsertTransferView } from './transfers.js';
import { viewToWrite, type ViewTable } from './views.js';

/**
 * What the recording activities write, each event in one transaction: its timeline entry, audit
 * entry and notifications, and the workflow's row in the read model (a whole view, or a patch
 * applied to the locked row, db/views.ts).
 */
type Recorded = {
  tasks: TaskView;
  matters: MatterView | RecordedMatterView;
  disputes: DisputeView;
  transfers: TransferView;
  clues: ClueView;
  risk_warnings: RiskWarningView;
  approvals: ApprovalView;
  inspections: InspectionView;
};

const upserts: { [T in ViewTable]: (db: Queryable, v: Recorded[T]) => Promise<void> } = {
  tasks: upsertTaskView,
  matters: upsertMatterView,
  disputes: upsertDisputeView,
  transfers: upsertTransferView,
  clues: upsertClueView,
  risk_warnings: upsertRiskWarningView,
  approvals: upsertApprovalView,
  inspections: upsertInspectionView,
};

/** Writes one event of a task, matter, dispute, criminal transfer, clue, risk warning or approval follow-up with its view, atomically. */
export async function recordViewEvent<T extends ViewTable>(pool: Pool, table: T, input: { event: EventRecord } & ViewRecord<Recorded[T]>): Promise<void> {
  await inTransaction(pool, async (client) => {
    const view = await viewToWrite(client, table, input);
    if (view) await upserts[table](client, view);
    // A matter's subject comes with its first write (a whole view), and only then.
    if (table === 'matters' && 'view' in input && 'subject' in input.view) {
      const matter = input.view as MatterView;
      await ensureMatterSubject(client, matter.matterId, matter.county, matter.subject);
    }
    // The event last: its audit entry holds the county's chain lock until COMMIT, and every event
    // of the county waits for that lock, not for this workflow's read-model write above.
    await recordEvent(client, input.event);
  });
}

/**
 * Stores a verification run and its events (one per county chain: the result in the county's own
 * trail, a break told to its supervisors, the head sent to its city's), atomically.
 */
export async function recordAuditVerification(
  pool: Pool,
  input: { workflowId: string; at: string; chains: ChainVerification[]; legacyOk: boolean; events: EventRecord[] },
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await insertAuditVerification(client, input);
    for (const e of input.events) await recordEvent(client, e);
  });
}
