/**
 * The matter kit, in workflows/matter/: messages.ts (its query, updates, patches and shared
 * types), run.ts (a run's state, roles, stages, recording, fresh child ids), handlers.ts, issue.ts
 * (one department task as a child, issued again until settled), step.ts (a catalogue step as the
 * scenario sees it), clock.ts (limits, expiry, rectification periods), disputes.ts, transfer.ts,
 * inspection.ts (joint visit, 立案, rectification), publication.ts and kit.ts (`openMatter`).
 * This module is the one the scenarios, the API and the tests import.
 */
export { cancelMatterUpdate, getMatterQuery, parseFacts, reassignTaskUpdate, type MatterOutcome, type StepResult } from './matter/messages.js';
export { openMatter, type MatterKit } from './matter/kit.js';
