/**
 * The department task (部门任务), in workflows/department-task/: messages.ts (its Updates, Query
 * and Signals), run.ts (a run's state, who may act, recording), clock.ts (deadlines, the ladder,
 * daily chases), actions/ (one module per officer action) and workflow.ts (handler wiring and the
 * main loop). This module is the one the rest of the code imports.
 */
export * from './department-task/messages.js';
export { departmentTask } from './department-task/workflow.js';
