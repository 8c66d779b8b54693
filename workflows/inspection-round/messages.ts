/**
 * The inspection round's messages (imported by the API and the tests): a subject's application
 * for recusal (行政处罚法 art. 43), recorded by an officer, which the round answers with a logged
 * re-draw and then delivers to the inspection (`replaceInspectors`).
 */
import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { inspectionIdSchema, recusalBodySchema, type RecusalArgs, type RecusalOutcome } from '../../domain/round.js';

export const recusalArgsSchema = recusalBodySchema.extend({
  inspectionId: inspectionIdSchema,
  requestedBy: z.string().min(1).max(100).describe('The key id of the officer who recorded the application'),
});

export const recusalUpdate = defineUpdate<RecusalOutcome, [RecusalArgs]>('recusal');

/** The round's input: the plan and who started it (a key id, or `schedule`). */
export interface InspectionRoundInput {
  planId: string;
  requestedBy: string;
  /** State carried over a continue-as-new (a round of thousands of inspections, or many recusals). */
  carried?: RoundCarry;
}

export interface RoundCarry {
  scheduledOn: string;
  phase: 'launching' | 'open';
  /** The last subject whose inspection was launched (launching). */
  after: string | null;
  drawn: number;
  started: number;
  merged: number;
  /** The day after which the round takes no more recusals (the plan's window's end). */
  closesOn: string;
  /** Logged re-draws not yet delivered to their inspections. */
  pending: number[];
}

export interface InspectionRoundResult {
  drawn: number;
  started: number;
  merged: number;
}
