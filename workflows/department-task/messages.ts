/**
 * The department task's messages (wire name = constant name minus the suffix), its patches and
 * what a run carries across continue-as-new. Imported by the API, the matter and the tests.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ZodType, z } from 'zod';
import type { ResolvedClock } from '../../domain/ladder.js';
import type { Principal } from '../../domain/principal.js';
import type {
  cancelInputSchema,
  DepartmentTaskInputDraft,
  extensionDecisionInputSchema,
  extensionInputSchema,
  ExtensionView,
  returnInputSchema,
  reviewInputSchema,
  Rung,
  signInputSchema,
  submitInputSchema,
  TaskView,
} from '../../domain/task.js';

/**
 * Patches (running tasks started before them keep their old behaviour on replay):
 * - review-clock: a submission starts the lead's review clock with its ladder;
 * - record-overdue: the moment a deadline passes is recorded, rung or not;
 * - daily-chase: after the last rung, the department is chased every working morning;
 * - serial-actions: concurrent actions are applied one at a time, in the order they were accepted;
 * - licence-push: a task completed with a finding that touches a licence tells the approval bureau
 *   (asked only when a submission carries `touchesLicence`, which no earlier run could).
 */
export const PATCH = {
  reviewClock: 'review-clock',
  recordOverdue: 'record-overdue',
  dailyChase: 'daily-chase',
  serialActions: 'serial-actions',
  licencePush: 'licence-push',
} as const;

type Input<S extends ZodType> = z.input<S>;
export const signUpdate = defineUpdate<TaskView, [Input<typeof signInputSchema>]>('sign');
export const submitUpdate = defineUpdate<TaskView, [Input<typeof submitInputSchema>]>('submit');
export const reviewUpdate = defineUpdate<TaskView, [Input<typeof reviewInputSchema>]>('review');
export const returnUpdate = defineUpdate<TaskView, [Input<typeof returnInputSchema>]>('return');
export const requestExtensionUpdate = defineUpdate<ExtensionView, [Input<typeof extensionInputSchema>]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<ExtensionView, [Input<typeof extensionDecisionInputSchema>]>('decideExtension');
export const cancelUpdate = defineUpdate<TaskView, [Input<typeof cancelInputSchema>]>('cancel');
export const getTaskQuery = defineQuery<TaskView>('getTask');
/** Sent when a year's holiday schedule is published or corrected (PUT /v1/calendar/{year}). */
export const recomputeDeadlinesSignal = defineSignal<[{ year: number }]>('recomputeDeadlines');
/**
 * Sent by the parent matter when a supervisor moves the step to another department (改派): the
 * task ends as `reassigned` and the matter issues the same step to that department.
 */
export const reassignSignal = defineSignal<[{ department: string; reason: string; actor: Principal }]>('reassign');
/** Sent by the matter when a jurisdiction dispute designates this task's department (it keeps the task). */
export const designatedSignal = defineSignal<[{ disputeId: string; basis: 'law' | 'duties' }]>('designated');
/**
 * Sent by a task that works through disputes to its matter when its department returns it: the
 * matter opens the dispute while the task stays open.
 */
export const stepReturnedSignal =
  defineSignal<[{ taskId: string; department: string; reason: string; suggestedDepartment?: string; basis?: 'law' | 'duties' }]>('stepReturned');

/** State carried across continue-as-new. */
export interface Carried {
  view: TaskView;
  clock?: ResolvedClock;
  fired: Rung[];
  returnWindow?: { dueAtMs: number; dueAt: string };
  lastChaseMs?: number;
  recomputeRequested?: boolean;
}

export interface DepartmentTaskArgs extends DepartmentTaskInputDraft {
  /** Set only by continue-as-new. */
  carried?: Carried;
}

export type Reassignment = { department: string; reason: string; actor: Principal };
