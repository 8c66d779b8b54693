/**
 * The clue's messages (imported by the API and the tests). The reply is the lead department's
 * submission of its task (`submit` on the task), so the clue has no reply update of its own.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { satisfactions, type ClueView } from '../../domain/clue.js';
import { departmentSchema } from '../../domain/departments.js';
import { principalSchema } from '../../domain/principal.js';
import { safeText } from '../../domain/text.js';

/** 派单 by the 12345 office (`gov-services`): the lead department and its co-handlers. */
export const dispatchBodySchema = z.object({
  department: departmentSchema,
  coHandlers: z.array(departmentSchema).max(10).default([]),
});
export const dispatchInputSchema = dispatchBodySchema.extend({ actor: principalSchema });

/** 回访: what the complainant said of the reply, as the 12345 office heard it. */
export const visitBodySchema = z.object({
  satisfaction: z.enum(satisfactions),
  note: safeText().trim().max(2000).optional(),
});
export const visitInputSchema = visitBodySchema.extend({ actor: principalSchema });

/** A supervisor's decision after a second unsatisfied visit-back: close it, or have it handled again. */
export const decisionBodySchema = z.object({
  decision: z.enum(['close', 'rehandle']),
  reason: safeText().trim().min(2).max(2000),
});
export const decisionInputSchema = decisionBodySchema.extend({ actor: principalSchema });

export const getClueQuery = defineQuery<ClueView>('getClue');
export const dispatchClueUpdate = defineUpdate<ClueView, [z.input<typeof dispatchInputSchema>]>('dispatchClue');
export const visitClueUpdate = defineUpdate<ClueView, [z.input<typeof visitInputSchema>]>('visitClue');
export const decideClueUpdate = defineUpdate<ClueView, [z.input<typeof decisionInputSchema>]>('decideClue');
