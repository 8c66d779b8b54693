import { z } from 'zod';
import { countySchema, departmentName, divisionName } from './departments.js';
import { principalSchema } from './principal.js';
import { isoDateTimeSchema } from './time.js';
import type { ResolvedScenario } from './scenarios/schema.js';
import { scenarioIdSchema, scenarioWorkflowTypes } from './scenarios/schema.js';
import { SA } from './search-attributes.js';
import { safeText } from './text.js';

/** 综合监管一件事: one cross-department matter about one subject. */
export const subjectSchema = z.object({
  name: safeText()
    .trim()
    .min(1)
    .max(200)
    .describe('Name of the subject (a station, an owner, a card issuer). Personal data: never in ids, search attributes or logs'),
  kind: z.enum(['enterprise', 'individual-business', 'person', 'house', 'other']).describe('Kind of subject'),
  creditCode: z
    .string()
    .regex(/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/, 'expected an 18-character unified social credit code')
    .optional(),
  address: safeText().max(300).optional(),
  tags: z.array(safeText().max(40)).max(20).optional(),
});
export type Subject = z.infer<typeof subjectSchema>;

export const sourceSchema = z.object({
  channel: z.enum(['12345', 'online', 'inspection-plan', 'department', 'risk-model', 'media', 'association', 'other']),
  ref: safeText().max(100).optional().describe('Reference in the source system (no personal data)'),
  receivedAt: isoDateTimeSchema
    .optional()
    .describe(
      'When the complaint or signal was received (e.g. the 12345 work order); limits that count from the opening of the matter count from it (消费者权益保护法 art. 46)',
    ),
});

export const createMatterBodySchema = z.object({
  scenario: scenarioIdSchema,
  county: countySchema,
  subject: subjectSchema,
  facts: z.record(z.string(), z.unknown()).optional().describe('Scenario-specific facts, validated per scenario'),
  source: sourceSchema.optional(),
});

export const matterStatuses = ['open', 'closed', 'cancelled'] as const;
export type MatterStatus = (typeof matterStatuses)[number];

export const matterTaskRefSchema = z.object({
  taskId: z.string(),
  key: z.string(),
  department: z.string(),
  /**
   * `reassigned`: a supervisor moved the step to another department; `interrupted`: the task was
   * cancelled, terminated or failed outside the API (Temporal UI, CLI): both are issued again.
   */
  state: z.enum(['running', 'completed', 'returned', 'cancelled', 'reassigned', 'interrupted']),
  outcome: z.string().optional(),
  /** The task this one took over from (re-issued after a reassignment or an interruption). */
  replaces: z.string().optional(),
});
export type MatterTaskRef = z.infer<typeof matterTaskRefSchema>;

/** The matter as its workflow reports it (Query result, read model). */
export const matterViewSchema = z.object({
  matterId: z.string(),
  county: z.string(),
  scenario: scenarioIdSchema,
  scenarioName: z.string(),
  definitionVersion: z.number().int(),
  leadDepartment: z.string(),
  subject: subjectSchema,
  facts: z.record(z.string(), z.unknown()),
  status: z.enum(matterStatuses),
  stage: z.string(),
  stageName: z.string(),
  createdAt: z.string(),
  closedAt: z.string().optional(),
  tasks: z.array(matterTaskRefSchema),
  /** Findings that drove the branches, e.g. `{ grade: 'D', legality: 'illegal' }`. */
  findings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  result: z.object({ code: z.string(), summary: z.string() }).optional(),
  /** Jurisdiction disputes opened by returned tasks (管辖争议). */
  disputes: z
    .array(z.object({ disputeId: z.string(), taskKey: z.string(), state: z.enum(['open', 'decided', 'ended']), parties: z.array(z.string()) }))
    .optional(),
  /** Criminal transfers (行刑衔接, the `criminalTransfer` child workflow). */
  transfers: z
    .array(z.object({ transferId: z.string(), state: z.enum(['running', 'refused', 'filed', 'not-filed', 'cancelled']), approved: z.boolean() }))
    .optional(),
  /** The public inspection result (一公开): its current version and who published it. */
  published: z.object({ at: z.string(), resultId: z.string(), version: z.number().int().optional(), by: z.enum(['lead', 'system']).optional() }).optional(),
  /** Penalty decisions published (DOMAIN §9), one result each. */
  penaltiesPublished: z.array(z.object({ resultId: z.string(), department: z.string(), at: z.string() })).optional(),
  /** Why nothing was published (complaint handling and mediation are not: DOMAIN §9). */
  withheld: z.object({ reason: z.string(), at: z.string() }).optional(),
  cancelled: z.object({ reason: z.string(), at: z.string() }).optional(),
  /** The clue (问题线索) the matter was opened from, whose reply waits for its outcome. */
  clueId: z.string().optional(),
  lastEventSeq: z.number().int(),
});
export type MatterView = z.infer<typeof matterViewSchema>;

export interface MatterInput {
  county: string;
  subject: Subject;
  facts: Record<string, unknown>;
  /** Where it came from; `clueId` only when a clue's lead opened it (never from a request body). */
  source?: z.infer<typeof sourceSchema> & { clueId?: string };
  /** The scenario as resolved for the county at start: the matter keeps it for life. */
  definition: ResolvedScenario;
  createdBy: z.infer<typeof principalSchema>['keyId'];
  /** Who launched it (absent in matters launched before principals): named on `opened`. */
  launchedBy?: z.infer<typeof principalSchema>;
}

export const cancelMatterBodySchema = z.object({ reason: safeText().trim().min(1).max(2000) });

/** A matter's state at its start: the workflow begins from it, the API answers a launch with it. */
export function initialMatterView(matterId: string, input: MatterInput, createdAt: string): MatterView {
  const def = input.definition;
  const first = def.stages[0]!;
  return {
    matterId,
    county: input.county,
    scenario: def.id,
    scenarioName: def.name.zh,
    definitionVersion: def.version,
    leadDepartment: def.roles.lead!,
    subject: input.subject,
    facts: input.facts,
    status: 'open',
    stage: first.key,
    stageName: first.name,
    createdAt,
    tasks: [],
    findings: {},
    ...(input.source?.clueId ? { clueId: input.source.clueId } : {}),
    lastEventSeq: 0,
  };
}

/**
 * How a matter is started, wherever it is started from (POST /v1/matters, or a clue's workflow
 * as its child): its workflow type, id, input, and what supervisors see in the Temporal UI and
 * search by. One place, so a matter opened from a clue is the same kind of matter. No personal
 * data: the subject's kind at most, never its name.
 */
export function matterStartOptions(workflowId: string, input: MatterInput) {
  const def = input.definition;
  return {
    workflowType: scenarioWorkflowTypes[def.id],
    workflowId,
    args: [input] as [MatterInput],
    staticSummary: `${def.name.zh} · ${divisionName(input.county)} · ${departmentName(def.roles.lead!)}牵头`,
    staticDetails: `**${def.name.zh}**（${def.name.en}）· 目录版本 ${def.version}${def.countyOverrideVersion ? `，县级调整 v${def.countyOverrideVersion}` : ''}\n\n依据：${def.legalBases.join('；')}`,
    typedSearchAttributes: [
      { key: SA.County, value: input.county },
      { key: SA.Scenario, value: def.id },
      { key: SA.LeadDepartment, value: def.roles.lead! },
      { key: SA.MatterStage, value: def.stages[0]!.key },
    ],
  };
}
