// The worker's workflowsPath: re-exports every workflow type and nothing else.
export { departmentTask } from './department-task.js';
export { calendarPublication } from './calendar-publication.js';
export { jurisdictionDispute } from './jurisdiction-dispute.js';
export { criminalTransfer } from './criminal-transfer.js';
export { selfBuiltHousingMatter } from './scenarios/self-built-housing.js';
export { refinedOilMatter } from './scenarios/refined-oil.js';
export { prepaidCardMatter } from './scenarios/prepaid-card.js';
export { auditVerification } from './audit-verification.js';
export { clue } from './clue.js';
export { riskWarning } from './risk-warning.js';
export { approvalFollowUp } from './approval-follow-up.js';
export { planningSeason, planningSeasonLaunch } from './planning-season.js';
export { inspectionRound } from './inspection-round.js';
export { jointInspection } from './joint-inspection.js';
