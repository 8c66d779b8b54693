// The workflow bundle's entry point (worker/worker.ts `workflowsPath`): every workflow type of
// workflows/index.ts, each loaded only when a run of that type asks for it.
//
// Why not workflows/index.ts itself: Temporal's reusable V8 context gives every workflow run its
// own module cache, so whatever the entry point imports is evaluated again for every run that
// enters the worker's cache (and for every run woken after eviction). index.ts imports every
// workflow and so the whole domain (the Zod schemas of clues, risk warnings, the registry,
// inspections …); a department task needs a third of it. Here the SDK's `mod[workflowType]`
// (@temporalio/workflow worker-interface) reads one getter, which requires one workflow's
// module graph. The order modules are evaluated in changes no command: the replay tests replay
// every recorded history through this entry (npm run bench:workflow-load measures the saving).
//
// Keep the names equal to workflows/index.ts (test/replay/replay.test.ts checks it).
'use strict';

const workflows = {
  departmentTask: () => require('../workflows/department-task.js').departmentTask,
  calendarPublication: () => require('../workflows/calendar-publication.js').calendarPublication,
  jurisdictionDispute: () => require('../workflows/jurisdiction-dispute.js').jurisdictionDispute,
  criminalTransfer: () => require('../workflows/criminal-transfer.js').criminalTransfer,
  selfBuiltHousingMatter: () => require('../workflows/scenarios/self-built-housing.js').selfBuiltHousingMatter,
  refinedOilMatter: () => require('../workflows/scenarios/refined-oil.js').refinedOilMatter,
  prepaidCardMatter: () => require('../workflows/scenarios/prepaid-card.js').prepaidCardMatter,
  auditVerification: () => require('../workflows/audit-verification.js').auditVerification,
  clue: () => require('../workflows/clue.js').clue,
  riskWarning: () => require('../workflows/risk-warning.js').riskWarning,
  approvalFollowUp: () => require('../workflows/approval-follow-up.js').approvalFollowUp,
  planningSeason: () => require('../workflows/planning-season.js').planningSeason,
  planningSeasonLaunch: () => require('../workflows/planning-season.js').planningSeasonLaunch,
  inspectionRound: () => require('../workflows/inspection-round.js').inspectionRound,
  jointInspection: () => require('../workflows/joint-inspection.js').jointInspection,
};

for (const [name, load] of Object.entries(workflows)) Object.defineProperty(exports, name, { enumerable: true, get: load });
