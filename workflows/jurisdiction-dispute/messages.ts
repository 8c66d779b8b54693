/**
 * The jurisdiction dispute's messages (wire name = constant name minus the suffix): the parties'
 * positions and the arbiter's decision (Updates), its Query, and the Signal to the parent matter.
 * Imported by the API, the matter and the tests.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import type { decisionInputSchema, DisputeView, positionInputSchema } from '../../domain/dispute.js';

export const statePositionUpdate = defineUpdate<DisputeView, [z.input<typeof positionInputSchema>]>('statePosition');
export const decideDisputeUpdate = defineUpdate<DisputeView, [z.input<typeof decisionInputSchema>]>('decideDispute');
export const getDisputeQuery = defineQuery<DisputeView>('getDispute');
/** Sent to the parent matter when an arbiter designates a temporary lead in an emergency. */
export const temporaryLeadSignal = defineSignal<[{ disputeId: string; department: string; reasoning: string }]>('temporaryLead');
