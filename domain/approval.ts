/**
 * 审管衔接 (approval ↔ supervision, DOMAIN §6; 001 item 17, 002 item 17): the approval bureau's
 * events (a licence granted, changed or revoked, a filing accepted) reach the competent department
 * as a post-approval supervision task (事后监管) with a clock: the first check within N working
 * days of the approval, N per licence type (default 30), county-configurable. A finding of that
 * check that touches the licence is pushed back to the approval bureau. Pure: the workflow and the
 * API share it.
 */
import { z } from 'zod';
import { countySchema, departmentInCounty, departmentSchema } from './departments.js';
import { subjectSchema } from './matter.js';
import { principalSchema } from './principal.js';
import { safeText } from './text.js';
import { licenceSchema, licenceTypeSchema } from './licence.js';
import { isoDateTimeSchema } from './time.js';

export { approvalBureau } from './departments.js';

export const approvalEvents = ['licence-granted', 'licence-changed', 'licence-revoked', 'filing'] as const;
export type ApprovalEvent = (typeof approvalEvents)[number];
export const approvalEventNames: Record<ApprovalEvent, string> = {
  'licence-granted': '准予许可',
  'licence-changed': '许可变更',
  'licence-revoked': '许可注销/撤销',
  filing: '备案',
};

export { licenceSchema, licenceTypeSchema, type Licence } from './licence.js';

/** Whom the licence is held by (personal data for a person or a sole trader: the payload codec seals it; never in ids, search attributes, notifications or the read model). */
export const approvalSubjectSchema = subjectSchema.pick({ name: true, kind: true, creditCode: true, address: true });

/** `POST /v1/approvals`: one event as the approval bureau's system sends it. */
export const approvalBodySchema = z.object({
  event: z
    .enum(approvalEvents)
    .describe('licence-granted: 准予许可; licence-changed: 许可变更; licence-revoked: 许可注销或撤销 (the check is that the activity stopped); filing: 备案'),
  licence: licenceSchema,
  subject: approvalSubjectSchema,
  county: countySchema,
  competentDepartment: departmentSchema
    .optional()
    .describe('The department that supervises the licensed activity (行业主管/监管部门); default: the county’s approval rules by licence type'),
  decidedAt: isoDateTimeSchema
    .optional()
    .describe(
      'When the bureau decided (granted, changed, revoked, accepted the filing): the first check counts from it; default when it is received. Not in the future, nor more than 30 days before the receipt',
    ),
});
export type ApprovalBody = z.infer<typeof approvalBodySchema>;

// ---- The county's approval rules: licence type → competent department and first-check clock ----

const workingDays = (max: number) => z.number().int().min(1).max(max);

export const approvalRuleSchema = z.object({
  type: licenceTypeSchema,
  name: safeText().trim().min(1).max(100).optional().describe('What users read, e.g. `食品经营许可`'),
  department: departmentSchema.describe('The competent department (监管部门) that checks the licensed activity'),
  firstCheckWorkingDays: workingDays(365).optional().describe('The first check within this many working days of the approval; default the county’s'),
});
export type ApprovalRule = z.infer<typeof approvalRuleSchema>;

export const approvalSettingsSchema = z.object({
  /** 首次检查: working days from the approval event, for a licence type whose row names none (DOMAIN §6: 30). */
  firstCheckWorkingDays: workingDays(365).default(30),
  /** 签收 of the check task (DOMAIN §4: 1 working day). It buys no time: the check counts from the approval. */
  signForWorkingDays: workingDays(5).default(1),
});
export type ApprovalSettings = z.infer<typeof approvalSettingsSchema>;
export const defaultApprovalSettings: ApprovalSettings = approvalSettingsSchema.parse({});

export const approvalRulesSchema = z.object({
  licences: z
    .array(approvalRuleSchema)
    .max(300)
    .refine((rs) => new Set(rs.map((r) => r.type)).size === rs.length, 'each licence type at most once'),
});
export type ApprovalRules = z.infer<typeof approvalRulesSchema>;

/** A county's rules also hold: every township a row names is the county's own. */
export function rulesOutsideCounty(rules: ApprovalRules, county: string): number[] {
  return rules.licences.flatMap((r, i) => (departmentInCounty(r.department, county) ? [] : [i]));
}

export interface Routing {
  department: string;
  /** Where the department came from: named in the event, or the county's row for its licence type. */
  by: 'event' | 'county-rules';
  firstCheckWorkingDays: number;
  licenceTypeName?: string | undefined;
}

/**
 * Who checks an event and within how long. The event's `competentDepartment` wins (the approval
 * bureau knows the licence it issued); else the county's row for the licence type. The limit is
 * the row's, else the county's default (30 working days), whoever names the department.
 * Undefined when neither names a department: the API refuses the event (422
 * `no_competent_department`) and nothing is recorded, so the bureau can send it again with one.
 */
export function routeApproval(
  rules: ApprovalRules | undefined,
  settings: ApprovalSettings,
  event: { licence: { type: string }; competentDepartment?: string | undefined },
): Routing | undefined {
  const row = rules?.licences.find((r) => r.type === event.licence.type);
  const department = event.competentDepartment ?? row?.department;
  if (!department) return undefined;
  return {
    department,
    by: event.competentDepartment ? 'event' : 'county-rules',
    firstCheckWorkingDays: row?.firstCheckWorkingDays ?? settings.firstCheckWorkingDays,
    ...(row?.name ? { licenceTypeName: row.name } : {}),
  };
}

// ---- The check and its outcomes ----

/**
 * The outcome that touches the licence: the competent department found that the licence's
 * conditions no longer hold, the activity exceeds it or was licensed on false materials, or (a
 * revoked licence) the activity goes on. It is pushed back to the approval bureau.
 */
export const licenceIssueOutcome = 'licence-issue';

/** A check's outcome codes: what the task's submission must choose from. */
export function checkOutcomes(event: ApprovalEvent): readonly string[] {
  return event === 'licence-revoked' ? ['ceased', licenceIssueOutcome] : ['compliant', 'rectification', licenceIssueOutcome];
}

export const checkOutcomeNames: Record<string, string> = {
  compliant: '符合许可条件',
  rectification: '发现问题，已责令整改（不涉及许可）',
  ceased: '已停止许可事项活动',
  [licenceIssueOutcome]: '发现涉及许可的问题，推送审批部门',
};

/** What the check is, in the task's title: after a revocation, whether the licensed activity stopped. */
export function checkWords(event: ApprovalEvent): string {
  return event === 'licence-revoked' ? '许可注销后核查' : '许可后首次检查';
}

// ---- The workflow's input and view ----

export const approvalStates = ['checking', 'closed', 'cancelled'] as const;
export type ApprovalState = (typeof approvalStates)[number];
export const approvalStateNames: Record<ApprovalState, string> = { checking: '事后监管检查中', closed: '已办结', cancelled: '已撤销' };

/**
 * What `approvalFollowUp` is started with: the event, the department and clock the API resolved
 * (pinned to the run: later rule edits never change it), and who sent it. The subject (personal
 * data for a person or a sole trader) travels only here, sealed by the payload codec, and in the
 * check task's instructions.
 */
export const approvalInputSchema = z.object({
  county: countySchema,
  event: z.enum(approvalEvents),
  licence: licenceSchema.extend({ typeName: safeText().max(100).optional() }),
  subject: approvalSubjectSchema,
  department: departmentSchema,
  routedBy: z.enum(['event', 'county-rules']),
  firstCheckWorkingDays: workingDays(365),
  signForWorkingDays: workingDays(5).default(1),
  /** The approval (epoch ms): the first check's clock counts from it. */
  decidedAt: z.number().int(),
  /** When the platform received it (epoch ms). */
  receivedAt: z.number().int(),
  /** Who sent it (set by the API from the caller): named on the event's record. */
  receivedBy: principalSchema.optional(),
});
export type ApprovalInput = z.infer<typeof approvalInputSchema>;
export type ApprovalInputDraft = z.input<typeof approvalInputSchema>;

const time = z.string();
export const approvalViewSchema = z.object({
  followUpId: z.string(),
  county: z.string(),
  event: z.enum(approvalEvents),
  eventName: z.string(),
  licence: z.object({ type: z.string(), typeName: z.string().optional(), number: z.string() }),
  /** The subject's kind and credit code (an organisation's, public); its name and address stay in the sealed input and the check task. */
  subject: z.object({ kind: subjectSchema.shape.kind, creditCode: z.string().optional() }),
  department: z.string().describe('The competent department that checks'),
  routedBy: z.enum(['event', 'county-rules']).describe('event: named by the approval bureau; county-rules: by the county’s rule for the licence type'),
  state: z.enum(approvalStates),
  stateName: z.string(),
  decidedAt: time.describe('The approval: the first check counts from it'),
  receivedAt: time,
  firstCheck: z.object({ workingDays: z.number().int(), outcomes: z.array(z.string()) }),
  tasks: z.array(z.object({ taskId: z.string(), department: z.string(), state: z.string() })),
  check: z
    .object({ taskId: z.string(), outcome: z.string(), outcomeName: z.string(), summary: z.string(), findings: z.string().optional(), at: time })
    .optional(),
  /** The reverse push: the check found an issue touching the licence and the approval bureau was told. */
  licenceIssue: z.object({ taskId: z.string(), at: time }).optional(),
  closedAt: time.optional(),
  lastEventSeq: z.number().int(),
});
export type ApprovalView = z.infer<typeof approvalViewSchema>;
