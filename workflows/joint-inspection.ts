/**
 * The joint inspection (进一次门、查多项事), in workflows/joint-inspection/: messages.ts (its query
 * and updates), run.ts (a run's state and recording), checks.ts (each department's check as a
 * department task, the credit it feeds), publication.ts (谁公开 on the initiator's task) and
 * workflow.ts (notice, checks, end, publication). This module is the one the rest imports.
 */
export * from './joint-inspection/messages.js';
export { jointInspection } from './joint-inspection/workflow.js';
