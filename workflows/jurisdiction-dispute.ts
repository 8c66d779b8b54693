/**
 * The jurisdiction dispute (管辖争议), in workflows/jurisdiction-dispute/: messages.ts (its Updates,
 * Query and the Signal to the matter), run.ts (a run's input, ladder and view, who arbitrates and
 * who is told, recording), decision.ts (positions, decisions, the temporary lead), ladder.ts (the
 * rungs and their clocks, the end without a decision) and workflow.ts (handler wiring and the
 * ladder's run). This module is the one the rest of the code imports.
 */
export * from './jurisdiction-dispute/messages.js';
export { jurisdictionDispute } from './jurisdiction-dispute/workflow.js';
