/**
 * The matter's messages (its query and updates, imported by the API and the tests), its patches
 * and the types its modules share.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z, type ZodType } from 'zod';
import { cancelMatterBodySchema, type MatterView } from '../../domain/matter.js';
import { principalSchema } from '../../domain/principal.js';
import { reassignBodySchema, type TaskResult } from '../../domain/task.js';
import { parseOrRefuse } from '../refusal.js';

export const cancelMatterInputSchema = cancelMatterBodySchema.extend({ actor: principalSchema });
export const reassignTaskInputSchema = reassignBodySchema.extend({ taskId: z.string().min(1).max(300), actor: principalSchema });
export const getMatterQuery = defineQuery<MatterView>('getMatter');
export const cancelMatterUpdate = defineUpdate<MatterView, [z.input<typeof cancelMatterInputSchema>]>('cancelMatter');
/**
 * A supervisor (of the county or its city) moves a running step to another department (改派):
 * the task ends as `reassigned` and the same step is issued to that department with fresh
 * clocks. Answers with the new task once it is assigned.
 */
export const reassignTaskUpdate = defineUpdate<{ taskId: string; department: string }, [z.input<typeof reassignTaskInputSchema>]>('reassignTask');

/** Patches: runs started before each keeps its old behaviour on replay. */
export const PATCH = {
  /**
   * A step whose task is cancelled, terminated or fails outside the API is recorded, raised to the
   * county supervisors and issued again, instead of ending the matter (or letting it carry on
   * without the step's outcome).
   */
  reissueInterruptedSteps: 'reissue-interrupted-steps',
  /**
   * The matter ends only after every task and dispute it started has ended (a dispute still open
   * is cancelled first), so no child outlives its matter and the timeline records the tasks' ends
   * before the matter's. Before it, parallel steps ended at the first cancelled sibling and an
   * open dispute was left to the parent-close policy.
   */
  childrenCloseFirst: 'children-close-first',
  /**
   * Publication on its own clock (DOMAIN §9): counted from the end of the check, published by the
   * system at the deadline when the lead has not, versions, penalty decisions published, complaint
   * handling withheld. Before it, the lead's task ran from the end of the matter.
   */
  publicationClock: 'publication-clock',
  /** Children start with REJECT_DUPLICATE, and a taken id moves on to the next one. */
  freshChildIds: 'fresh-child-ids',
  /**
   * The subject and facts (personal data, and the bulk of a matter's view) go to the record once,
   * with the first event; later recording inputs leave them out and the row keeps them.
   */
  slimRecording: 'slim-recording',
  /**
   * The criminal transfer runs as its own child workflow (`criminalTransfer`, 国务院令第310号 step
   * by step) when the matter's catalogue has its steps; before it, three tasks ran inline.
   */
  transferWorkflow: 'criminal-transfer-workflow',
  /**
   * A returned step stays with its department while the dispute runs (原职责划分, DOMAIN §5);
   * before it, the task ended on return and nobody worked it until the decision.
   */
  workDuringDispute: 'work-during-dispute',
} as const;

/** A step's return as its task reported it (a step that works through disputes). */
export type StepReturn = { taskId: string; department: string; reason: string; suggestedDepartment?: string | undefined; basis?: 'law' | 'duties' | undefined };

/** How one issue of a step ended; `interrupted` is the matter's own word for an outside end. */
export type StepResult = Omit<TaskResult, 'state'> & { taskId: string; state: TaskResult['state'] | 'interrupted' };

/** A jurisdiction dispute's designation, carried by the step's next issue. */
export type Designation = { disputeId: string; basis: 'law' | 'duties' };
/** A step whose department keeps working it through a dispute; the designation its next issue carries. */
export type ThroughDisputes = { designation?: Designation };

/** How a finished matter ended, for the timeline and the public record. */
export interface MatterOutcome {
  code: string;
  summary: string;
  /** Not published, and why (complaint handling, mediation: DOMAIN §9). */
  withheld?: string;
  /** What the public reads when it differs from the record (a transfer under investigation is left out). */
  public?: { code: string; summary: string };
}

/**
 * A scenario's facts, parsed. The API checks them first; a matter started some other way with bad
 * facts fails at once (non-retryable) instead of retrying its first workflow task forever.
 */
export function parseFacts<S extends ZodType>(schema: S, facts: unknown): z.infer<S> {
  return parseOrRefuse(schema, facts, { type: 'InvalidFacts', prefix: ['facts'] });
}
