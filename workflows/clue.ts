/**
 * The clue (问题线索), in workflows/clue/: messages.ts (its query and updates), run.ts (a run's
 * state, who may act, recording), handling.ts (the lead's and co-handlers' department tasks) and
 * workflow.ts (dispatch, handling, reply, visit-back). This module is the one the rest imports.
 */
export * from './clue/messages.js';
export { clue } from './clue/workflow.js';
