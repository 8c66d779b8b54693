/**
 * The risk warning (风险预警), in workflows/risk-warning/: messages.ts (its query and updates, and
 * the shape of a department's verification and disposal on its task), run.ts (a run's state, who
 * may act, recording), handling.ts (the departments' verification and disposal tasks) and
 * workflow.ts (push, verification, joint review, disposal, feedback). This module is the one the
 * rest imports.
 */
export * from './risk-warning/messages.js';
export { riskWarning } from './risk-warning/workflow.js';
