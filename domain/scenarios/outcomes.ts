import { transferOutcomes } from '../transfer.js';
/**
 * The outcome codes the scenario workflows branch on, step by step. Each scenario reads a step's
 * outcome through these tuples and switches over them exhaustively (a `never` default), so a step
 * that ends without one of them can never fall through to an all-clear branch. The catalogue lists
 * the same codes for the same steps (test/unit/outcomes.test.ts holds the two together).
 */
export const housingOutcomes = {
  'survey.locality': ['hazard-suspected', 'no-hazard', 'hazard-found'],
  'survey.housing': ['appraisal-needed', 'no-hazard', 'hazard-found'],
  'survey.planning': ['legal', 'illegal'],
  'survey.business': ['compliant', 'violation'],
  appraisal: ['A', 'B', 'C', 'D'],
  'demolition.order': ['demolished', 'not-demolished'],
  'emergency.follow-up': ['repaired', 'demolished'],
  'correction.order': ['corrected', 'demolished', 'not-corrected'],
  reinspection: ['rectified', 'not-rectified'],
} as const;

export const refinedOilOutcomes = {
  'inspection.lead': ['compliant', 'violation', 'unlicensed'],
  'inspection.safety': ['compliant', 'violation', 'unlicensed'],
  'inspection.quality': ['compliant', 'violation', 'unlicensed'],
  'inspection.tax': ['compliant', 'violation'],
  'inspection.ecology': ['compliant', 'violation'],
  'disposal.seal': ['sealed'],
  'disposal.seizure': ['released', 'confiscated'],
  'disposal.follow-up': ['closed', 'reopened'],
  reinspection: ['rectified', 'not-rectified'],
} as const;

export const prepaidCardOutcomes = {
  acceptance: ['accepted', 'rejected'],
  mediation: ['agreed', 'agreed-violation-suspected', 'failed'],
  verification: ['no-violation', 'violation', 'fraud'],
  'disposal.sector': ['corrected', 'not-corrected'],
  'disposal.penalty': ['decided'],
} as const;

/** 行刑衔接 steps, shared by every scenario that transfers a case (国务院令第310号). */
export const criminalTransferOutcomes = {
  'transfer.approve': ['approve', 'refuse'],
  'transfer.police-decision': ['filed', 'not-filed'],
} as const;
/** Kept for matters that ran the transfer inline (before the `criminalTransfer` workflow). */

/** The union of every list above, by scenario, for the consistency test. */
export const branchingOutcomes = {
  'self-built-housing': { ...housingOutcomes },
  'refined-oil': { ...refinedOilOutcomes, ...transferOutcomes },
  'prepaid-card': { ...prepaidCardOutcomes, ...transferOutcomes },
} as const;

/** For a `switch` over outcome codes: the compiler proves every code is handled. */
export function unreachable(value: never): never {
  throw new Error(`unhandled outcome ${String(value)}`);
}
