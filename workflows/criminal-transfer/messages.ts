/**
 * The criminal transfer's messages: its Query, and the Signal to the parent matter. Imported by
 * the API, the matter and the tests.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TransferView } from '../../domain/transfer.js';

export const getTransferQuery = defineQuery<TransferView>('getTransfer');
/**
 * Sent to the matter once the head approved the transfer: from then on the matter may not end
 * without it (a fine never replaces a transfer, art. 11).
 */
export const transferApprovedSignal = defineSignal<[{ transferId: string }]>('transferApproved');
