/**
 * The clue's messages (imported by the API and the tests). The reply is the lead department's
 * submission of its task (`submit` on the task), so the clue has no reply update of its own.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { satisfactions, type ClueView } from '../../domain/clue.js';
import { departmentSchema } from '../../domain/departments.js';
import { principalSchema } from '../../domain/principal.js';
import type { ResolvedScenario } from '../../domain/scenarios/schema.js';
import { scenarioIdSchema } from '../../domain/scenarios/schema.js';
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

/**
 * 转立事项: the lead opens a matter (综合监管一件事) of a scenario from the clue, about its subject;
 * the facts are checked against the scenario's own schema by the API (a 400 naming `body.facts.…`).
 */
export const clueMatterBodySchema = z.object({
  scenario: scenarioIdSchema,
  facts: z.record(z.string(), z.unknown()).optional().describe('Scenario-specific facts, validated per scenario (as for POST /v1/matters)'),
});
/**
 * What the API sends the clue: the matter's id (reserved by the API, `matter:<county>:<scenario>:<year>-<seq>`
 * like any matter's), its facts as checked, and the scenario as resolved for the county now (the
 * snapshot the matter keeps for life).
 */
export const openMatterInputSchema = z.object({
  matterId: z.string().regex(/^matter:\d{6}:[a-z-]+:\d{4}-\d+$/),
  scenario: scenarioIdSchema,
  facts: z.record(z.string(), z.unknown()),
  definition: z.custom<ResolvedScenario>(
    (d) => typeof d === 'object' && d !== null && 'id' in d && 'roles' in d && 'stages' in d,
    'expected a resolved scenario',
  ),
  actor: principalSchema,
});

export const getClueQuery = defineQuery<ClueView>('getClue');
export const dispatchClueUpdate = defineUpdate<ClueView, [z.input<typeof dispatchInputSchema>]>('dispatchClue');
export const visitClueUpdate = defineUpdate<ClueView, [z.input<typeof visitInputSchema>]>('visitClue');
export const decideClueUpdate = defineUpdate<ClueView, [z.input<typeof decisionInputSchema>]>('decideClue');
export const openMatterUpdate = defineUpdate<ClueView, [z.input<typeof openMatterInputSchema>]>('openMatter');
