/**
 * The inspection round (双随机), in workflows/inspection-round/: messages.ts (its recusal Update and
 * input) and workflow.ts (seed, snapshot, draw, launch, recusals). This module is the one the rest imports.
 */
export * from './inspection-round/messages.js';
export { inspectionRound } from './inspection-round/workflow.js';
