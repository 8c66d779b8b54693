/**
 * The approval follow-up (审管衔接), in workflows/approval-follow-up/: messages.ts (its query),
 * run.ts (a run's state, recording, who is told), check.ts (the competent department's check as a
 * department task) and workflow.ts (the event recorded, the check, the reverse push, closing). This
 * module is the one the rest imports.
 */
export * from './approval-follow-up/messages.js';
export { approvalFollowUp } from './approval-follow-up/workflow.js';
