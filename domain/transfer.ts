import { z } from 'zod';
import { countySchema, departmentSchema } from './departments.js';
import { ladderSchema } from './task.js';
import { taskSpecSchema } from './scenarios/schema.js';
import { safeText } from './text.js';
import { transferMaterialSchema } from './transfer-materials.js';

/**
 * 行刑衔接: the transfer of a case suspected to be a crime to the police, by
 * 《行政执法机关移送涉嫌犯罪案件的规定》 (国务院令第310号, rev. 2020), DOMAIN §8. Each step is a department
 * task of the agency (行政执法机关) or the police, clocked from the event the article names:
 *
 * | step                      | who            | limit                                   | article |
 * |---------------------------|----------------|-----------------------------------------|---------|
 * | transfer.report           | agency (专案组) | county default; the article says 立即     | art. 5  |
 * | transfer.approve          | agency head    | 3 days from the report                  | art. 5  |
 * | transfer.handover         | agency         | 24 hours from the approval              | art. 5, 6 |
 * | transfer.police-decision  | police         | sign 24 h; decide 3 days from receipt   | art. 7, 8 |
 * | transfer.evidence         | agency         | 3 days from the filing notice           | art. 12 |
 * | transfer.reconsider       | agency         | 3 days from the not-filing notice       | art. 9  |
 * | transfer.reconsideration  | police         | 3 days from the request                 | art. 9  |
 * | transfer.supervision      | agency         | 3 days from the reconsideration decision | art. 9  |
 *
 * Days are calendar days, not moved past holidays (the police work through them) unless a county
 * configures it, and every step is laddered in hours.
 */
export const transferStepKeys = [
  'transfer.report',
  'transfer.approve',
  'transfer.handover',
  'transfer.police-decision',
  'transfer.evidence',
  'transfer.reconsider',
  'transfer.reconsideration',
  'transfer.supervision',
] as const;
export type TransferStepKey = (typeof transferStepKeys)[number];

/** Outcome codes of each step: the transfer branches on them. */
export const transferOutcomes = {
  'transfer.report': ['reported'],
  'transfer.approve': ['approve', 'refuse'],
  'transfer.handover': ['transferred'],
  'transfer.police-decision': ['filed', 'not-filed', 'forwarded'],
  'transfer.evidence': ['handed-over'],
  'transfer.reconsider': ['reconsideration', 'procuratorate', 'accept'],
  'transfer.reconsideration': ['filed', 'not-filed'],
  'transfer.supervision': ['procuratorate', 'accept'],
} as const satisfies Record<TransferStepKey, readonly string[]>;

export const transferStepNames: Record<TransferStepKey | 'ended', string> = {
  'transfer.report': '专案组报告',
  'transfer.approve': '负责人审批',
  'transfer.handover': '移送公安机关',
  'transfer.police-decision': '公安机关审查立案',
  'transfer.evidence': '移交涉案物品',
  'transfer.reconsider': '对不予立案决定的处理',
  'transfer.reconsideration': '公安机关复议',
  'transfer.supervision': '建议检察院立案监督',
  ended: '已结束',
};

export const criminalTransferInputSchema = z.object({
  county: countySchema,
  matterId: safeText().min(1).max(200),
  scenario: safeText().max(64),
  reason: safeText().trim().min(1).max(500).describe('The suspected offence, e.g. 非法经营'),
  agency: departmentSchema.describe('The administrative agency that transfers (行政执法机关)'),
  police: departmentSchema.describe('The police of the same level (同级公安机关)'),
  steps: z.record(z.enum(transferStepKeys), taskSpecSchema),
  ladder: ladderSchema,
  matterOpenedAt: z.number().int().optional(),
});
export type CriminalTransferInput = z.infer<typeof criminalTransferInputSchema>;

export type TransferOutcome = 'refused' | 'filed' | 'not-filed';
export type TransferState = 'running' | TransferOutcome | 'cancelled';

export const transferStates = ['running', 'refused', 'filed', 'not-filed', 'cancelled'] as const;
const policeDecisionSchema = z.enum(['filed', 'not-filed']);

/** The transfer as its workflow reports it (Query result, read model). */
export const transferViewSchema = z.object({
  transferId: z.string(),
  matterId: z.string(),
  county: z.string(),
  scenario: z.string(),
  agency: z.string(),
  police: z.string(),
  reason: z.string(),
  state: z.enum(transferStates),
  step: z.enum([...transferStepKeys, 'ended']),
  stepName: z.string(),
  /** The officers of the case group who reported (art. 5). */
  caseGroup: z.array(z.object({ name: z.string(), certificateNo: z.string().optional() })).optional(),
  reportedAt: z.string().optional(),
  /** The head's decision (art. 5); a refusal keeps its reason on the record. */
  approval: z.object({ decision: z.enum(['approve', 'refuse']), reason: z.string(), at: z.string() }).optional(),
  handedOver: z.object({ at: z.string(), materials: z.array(transferMaterialSchema) }).optional(),
  /** Forwarded by a police organ that had no jurisdiction (art. 7), in order. */
  forwarded: z.array(z.object({ organ: z.string(), county: z.string().optional(), at: z.string(), withinHours: z.boolean() })),
  policeDecision: z.object({ decision: policeDecisionSchema, reason: z.string(), at: z.string(), county: z.string() }).optional(),
  reconsideration: z.object({ requestedAt: z.string(), decision: policeDecisionSchema.optional(), decidedAt: z.string().optional() }).optional(),
  procuratorateSuggestedAt: z.string().optional(),
  evidenceHandedOverAt: z.string().optional(),
  tasks: z.array(
    z.object({
      taskId: z.string(),
      key: z.enum(transferStepKeys),
      department: z.string(),
      county: z.string(),
      state: z.string(),
      outcome: z.string().optional(),
    }),
  ),
  createdAt: z.string(),
  closedAt: z.string().optional(),
  cancelled: z.object({ reason: z.string(), at: z.string() }).optional(),
  lastEventSeq: z.number().int(),
});
export type TransferView = z.infer<typeof transferViewSchema>;

/** What the transfer tells its matter. */
export interface TransferResult {
  transferId: string;
  outcome: TransferOutcome;
  procuratorateSuggested: boolean;
}
