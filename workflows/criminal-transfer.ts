/**
 * The criminal transfer (行刑衔接), in workflows/criminal-transfer/: messages.ts (its Query and the
 * Signal to the matter), run.ts (a run's input and view, recording, what the UI shows), step.ts
 * (one step as a department task, issued again when interrupted), ending.ts (how it ends, and the
 * agency's acts after the police decide) and workflow.ts (the articles in order). This module is
 * the one the rest of the code imports.
 */
export * from './criminal-transfer/messages.js';
export { criminalTransfer } from './criminal-transfer/workflow.js';
