/**
 * 问题线索 (clues, DOMAIN §6): a 12345 work order or another channel's lead, its intake body, the
 * county's dispatch catalogue (派单目录) and the clocks of the 12345 loop (国办发〔2020〕53号):
 * 受理 → 派单 → 签收 or 退单 → 办理 → 答复 → 回访. Pure: the clue workflow and the API share it.
 */
import { z } from 'zod';
import type { TimeLimitRuleInput } from './calendar/index.js';
import { countySchema, departmentSchema } from './departments.js';
import { subjectSchema } from './matter.js';
import { scenarioIdSchema, type ResolvedScenario, type ScenarioId } from './scenarios/schema.js';
import { safeText } from './text.js';
import { isoDateTimeSchema } from './time.js';

export const clueChannels = ['12345', 'online', 'association', 'media', 'department', 'other'] as const;
export const clueCategories = ['consultation', 'help', 'suggestion', 'complaint', 'report'] as const;
export const clueUrgencies = ['normal', 'urgent', 'emergency'] as const;
export type ClueCategory = (typeof clueCategories)[number];
export type ClueUrgency = (typeof clueUrgencies)[number];

export const clueCategoryNames: Record<ClueCategory, string> = {
  consultation: '咨询',
  help: '求助',
  suggestion: '建议',
  complaint: '投诉',
  report: '举报',
};

/** A mobile number (11 digits from 1) or a landline with its area code; digits and one hyphen only. */
const phoneSchema = z.string().regex(/^(?:1\d{10}|0\d{2,3}-?\d{7,8})$/, 'expected a mobile number or a landline with its area code');

/** Who called (personal data: encrypted at rest, masked in answers, never in ids or logs). */
export const complainantSchema = z
  .object({
    name: safeText().trim().min(1).max(50).optional(),
    phone: phoneSchema.optional(),
    anonymous: z.boolean().describe('An anonymous clue has neither name nor phone; it is handled like any other'),
    wantsReply: z.boolean().describe('The complainant asked to be told the outcome (答复)'),
  })
  .refine((c) => !c.anonymous || (c.name === undefined && c.phone === undefined), {
    message: 'an anonymous complainant has no name or phone',
    path: ['anonymous'],
  })
  .refine((c) => !c.wantsReply || c.phone !== undefined, { message: 'a reply needs a phone number', path: ['phone'] });

export const clueBodySchema = z.object({
  channel: z.enum(clueChannels),
  ref: safeText().trim().min(1).max(100).describe('The work order number in the source system (no personal data)'),
  category: z.enum(clueCategories),
  urgency: z.enum(clueUrgencies),
  county: countySchema,
  township: z
    .string()
    .regex(/^\d{9,12}$/, 'expected a township division code')
    .optional(),
  /**
   * The trade the 12345 platform classified the work order under (诉求分类), e.g. `education`,
   * `catering`: one of the dispatch catalogue's criteria. Optional: not every platform sends it.
   */
  trade: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,40}$/)
    .optional(),
  subject: subjectSchema.pick({ name: true, kind: true, creditCode: true, address: true }).optional(),
  complainant: complainantSchema.optional(),
  content: safeText().trim().min(1).max(4000),
  occurredAt: isoDateTimeSchema.optional(),
});
export type ClueBody = z.infer<typeof clueBodySchema>;

/**
 * One row of the county's dispatch catalogue: what it matches (every criterion given must hold;
 * keywords: any of them in the content) and who handles it. `duty` says whose duty the item is:
 * a functional department's item is never dispatched to a township (国办函〔2025〕66号), a
 * territorial one (属地) may name the clue's township as `locality`.
 */
export const dispatchRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,60}$/),
    match: z.object({
      categories: z.array(z.enum(clueCategories)).min(1).optional(),
      trades: z
        .array(z.string().regex(/^[a-z][a-z0-9-]{1,40}$/))
        .min(1)
        .optional(),
      subjectKinds: z.array(subjectSchema.shape.kind).min(1).optional(),
      keywords: z.array(safeText().trim().min(1).max(20)).min(1).max(50).optional(),
    }),
    duty: z.enum(['functional', 'territorial']),
    lead: z.union([departmentSchema, z.literal('locality')]),
    coHandlers: z
      .array(z.union([departmentSchema, z.literal('locality')]))
      .max(10)
      .default([]),
    /**
     * A rule may open a matter of this scenario from the clue at dispatch (转立事项 without the lead's
     * handling step). Its facts are these, with the clue's `township` and `trade` where the
     * scenario's facts take them; a clue without a subject, or whose facts the scenario refuses, is
     * handled by the lead as usual (recorded as `matter.not-opened`).
     */
    openMatter: z
      .object({
        scenario: scenarioIdSchema,
        facts: z.record(safeText().max(40), z.unknown()).optional().describe('Facts of the scenario fixed by the rule, e.g. `{ "signal": "complaint" }`'),
      })
      .optional(),
  })
  .refine((r) => Object.values(r.match).some((v) => v !== undefined), { message: 'a rule matches on at least one criterion', path: ['match'] })
  .refine((r) => r.duty === 'territorial' || ![r.lead, ...r.coHandlers].some(isTownship), {
    message: "a functional department's item is never dispatched to a township",
    path: ['lead'],
  });
export type DispatchRule = z.infer<typeof dispatchRuleSchema>;

export const dispatchCatalogueSchema = z
  .object({ rules: z.array(dispatchRuleSchema).max(500) })
  .refine((c) => new Set(c.rules.map((r) => r.id)).size === c.rules.length, { message: 'rule ids are unique', path: ['rules'] });
export type DispatchCatalogue = z.infer<typeof dispatchCatalogueSchema>;

function isTownship(d: string): boolean {
  return d === 'locality' || d.startsWith('township:');
}

/** What a clue is matched on: its classification, its subject's kind and its content. */
export type Dispatchable = Pick<ClueBody, 'category' | 'content'> & {
  trade?: string | undefined;
  township?: string | undefined;
  subject?: { kind: string } | undefined;
};

export interface Dispatch {
  ruleId: string;
  lead: string;
  coHandlers: string[];
  openMatter?: { scenario: ScenarioId; facts?: Record<string, unknown> | undefined };
}

/** The facts a rule's matter starts from: the clue's township and trade, then the rule's own. */
export function catalogueMatterFacts(clue: { township?: string | undefined; trade?: string | undefined }, ruleFacts: Record<string, unknown> = {}) {
  return { ...(clue.township ? { township: clue.township } : {}), ...(clue.trade ? { trade: clue.trade } : {}), ...ruleFacts };
}

/**
 * The catalogue's answer for a clue: the first rule, in the county's order, that matches it. The
 * county orders its catalogue (specific rows first), as the 12345 office reads it; no weighting
 * to second-guess. `locality` becomes the clue's township; a rule that needs one when the clue
 * names none does not match. No rule: undefined, and the 12345 office dispatches by hand.
 */
export function dispatchClue(catalogue: DispatchCatalogue, clue: Dispatchable): Dispatch | undefined {
  const content = clue.content.normalize('NFKC').toLowerCase();
  for (const rule of catalogue.rules) {
    const m = rule.match;
    if (m.categories && !m.categories.includes(clue.category)) continue;
    if (m.trades && (!clue.trade || !m.trades.includes(clue.trade))) continue;
    if (m.subjectKinds && (!clue.subject || !(m.subjectKinds as string[]).includes(clue.subject.kind))) continue;
    if (m.keywords && !m.keywords.some((k) => content.includes(k.normalize('NFKC').toLowerCase()))) continue;
    const place = (d: string) => (d === 'locality' ? (clue.township ? `township:${clue.township}` : undefined) : d);
    const lead = place(rule.lead);
    const coHandlers = rule.coHandlers.map(place);
    if (!lead || coHandlers.some((d) => d === undefined)) continue;
    return {
      ruleId: rule.id,
      lead,
      coHandlers: [...new Set(coHandlers as string[])].filter((d) => d !== lead),
      ...(rule.openMatter ? { openMatter: rule.openMatter } : {}),
    };
  }
  return undefined;
}

/** The clocks of the 12345 loop (DOMAIN §6), county-configurable; defaults from Sichuan 2025 and Tianjin. */
export const clueSettingsSchema = z.object({
  /** 办理: by category, in working days, counted from sign-for. */
  handleWorkingDays: z
    .object({
      consultation: z.number().int().min(1).max(60).default(3),
      help: z.number().int().min(1).max(60).default(7),
      suggestion: z.number().int().min(1).max(60).default(7),
      complaint: z.number().int().min(1).max(60).default(15),
      report: z.number().int().min(1).max(60).default(15),
    })
    .prefault({}),
  /** 签收: a normal clue in working days; urgent and emergency ones in minutes, through holidays. */
  signFor: z
    .object({
      normalWorkingDays: z.number().int().min(1).max(5).default(1),
      urgentMinutes: z
        .number()
        .int()
        .min(5)
        .max(24 * 60)
        .default(30),
      emergencyMinutes: z
        .number()
        .int()
        .min(5)
        .max(24 * 60)
        .default(15),
    })
    .prefault({}),
  /** 退单: within this many working days of the dispatch, with reason and basis. */
  returnWorkingDays: z.number().int().min(1).max(5).default(1),
  /** After this many dispatches the 12345 office designates the handler, who cannot return it. */
  maxDispatches: z.number().int().min(2).max(10).default(3),
  /** 回访: within this many working days of the reply. */
  visitWorkingDays: z.number().int().min(1).max(10).default(3),
  /** 并单: a repeat about the same subject and category within this many calendar days joins the open clue. */
  mergeWindowDays: z.number().int().min(1).max(365).default(30),
  /** 延期: at most this many working days, asked before the deadline. */
  maxExtensionWorkingDays: z.number().int().min(1).max(30).default(10),
  /**
   * 答复 after a matter: the lead answers within this many working days of the matter's end (its
   * handling was the matter's; the reply is a step of its own with its own clock).
   */
  replyAfterMatterWorkingDays: z.number().int().min(1).max(30).default(3),
});
export type ClueSettings = z.infer<typeof clueSettingsSchema>;
export const defaultClueSettings: ClueSettings = clueSettingsSchema.parse({});

/** The limits of a clue's department task, by its category and urgency. */
export function clueLimits(settings: ClueSettings, category: ClueCategory, urgency: ClueUrgency): { signFor: TimeLimitRuleInput; handle: TimeLimitRuleInput } {
  const signFor: TimeLimitRuleInput =
    urgency === 'normal'
      ? { amount: settings.signFor.normalWorkingDays, unit: 'working_day', startsFrom: 'assignment' }
      : { amount: urgency === 'urgent' ? settings.signFor.urgentMinutes : settings.signFor.emergencyMinutes, unit: 'minute', startsFrom: 'assignment' };
  return { signFor, handle: { amount: settings.handleWorkingDays[category], unit: 'working_day', startsFrom: 'sign-for' } };
}

/**
 * What makes two clues repeats of one another (并单): the subject's credit code, else its address
 * normalised (full-width forms folded, spaces and punctuation dropped, case folded), with the
 * category. No key (no subject, or a subject with neither): never merged.
 */
export function mergeKey(
  clue: Pick<ClueBody, 'category' | 'county'> & { subject?: { creditCode?: string | undefined; address?: string | undefined } | undefined },
): string | undefined {
  const s = clue.subject;
  if (s?.creditCode) return `${clue.county}|${clue.category}|uscc:${s.creditCode.toUpperCase()}`;
  const address = s?.address ? normaliseAddress(s.address) : '';
  return address ? `${clue.county}|${clue.category}|addr:${address}` : undefined;
}

export function normaliseAddress(address: string): string {
  return address
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
}

/** `13812341234` → `138****1234`; a landline keeps its area code and last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 8) return '*'.repeat(digits.length);
  const head = digits.startsWith('1') ? 3 : digits.length - 8 > 0 ? digits.length - 8 : 3;
  return `${digits.slice(0, head)}${'*'.repeat(digits.length - head - 4)}${digits.slice(-4)}`;
}

/** `张三` → `张*`, `欧阳娜娜` → `欧***`: the first character only. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

/** `merged`: a repeat joined to an open clue (并单); it has no workflow of its own and follows that clue. */
/** `in-matter`: the lead opened a matter from it (转立事项); the reply waits for the matter's end. */
export const clueStates = ['dispatching', 'handling', 'in-matter', 'replied', 'deciding', 'closed', 'cancelled', 'merged'] as const;
export type ClueState = (typeof clueStates)[number];
export const clueStateNames: Record<ClueState, string> = {
  dispatching: '待派单',
  handling: '办理中',
  'in-matter': '已转立事项，待事项办结',
  replied: '已答复待回访',
  deciding: '待督办决定',
  closed: '已办结',
  cancelled: '已撤销',
  merged: '已并单',
};
export const satisfactions = ['satisfied', 'basically', 'unsatisfied'] as const;
export const satisfactionNames: Record<(typeof satisfactions)[number], string> = { satisfied: '满意', basically: '基本满意', unsatisfied: '不满意' };

/**
 * What the clue workflow is started with. No personal data: the complainant's name and phone stay
 * with the intake (sealed at rest); the workflow knows only whether a reply is wanted.
 */
export const clueInputSchema = z.object({
  county: countySchema,
  channel: z.enum(clueChannels),
  ref: safeText().trim().min(1).max(100),
  category: z.enum(clueCategories),
  urgency: z.enum(clueUrgencies),
  township: z
    .string()
    .regex(/^\d{9,12}$/)
    .optional(),
  content: safeText().trim().min(1).max(4000),
  /** Whom the clue is about, for the departments' instructions (the payload codec seals it). */
  subject: subjectSchema.pick({ name: true, kind: true, creditCode: true, address: true }).optional(),
  complainant: z.object({ anonymous: z.boolean(), wantsReply: z.boolean() }).default({ anonymous: true, wantsReply: false }),
  /** The catalogue's dispatch at intake; none: the 12345 office dispatches by hand. */
  dispatch: z
    .object({
      ruleId: z.string(),
      lead: departmentSchema,
      coHandlers: z.array(departmentSchema).default([]),
      /**
       * The rule's matter, prepared by the API (its reserved id, the facts as checked, the county's
       * scenario), or why it cannot be opened (`refused`: the lead handles the clue as usual).
       */
      openMatter: z
        .object({
          scenario: scenarioIdSchema,
          matterId: z.string().optional(),
          facts: z.record(z.string(), z.unknown()).optional(),
          definition: z.custom<ResolvedScenario>((d) => typeof d === 'object' && d !== null).optional(),
          refused: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  settings: clueSettingsSchema.prefault({}),
  /** When the 12345 platform received it (epoch ms): the handling clock's matter-opened origin. */
  receivedAt: z.number().int().optional(),
});
export type ClueInput = z.infer<typeof clueInputSchema>;
export type ClueInputDraft = z.input<typeof clueInputSchema>;

const time = z.string();
export const clueViewSchema = z.object({
  clueId: z.string(),
  county: z.string(),
  channel: z.enum(clueChannels),
  ref: z.string(),
  category: z.enum(clueCategories),
  urgency: z.enum(clueUrgencies),
  state: z.enum(clueStates),
  stateName: z.string(),
  receivedAt: time,
  /** Whether the complainant is anonymous and wants a reply (their name and phone are never here). */
  complainant: z.object({ anonymous: z.boolean(), wantsReply: z.boolean() }).optional(),
  /** The department handling it now (the lead), and its co-handlers. */
  department: z.string().optional(),
  coHandlers: z.array(z.string()),
  dispatches: z.array(
    z.object({
      department: z.string(),
      coHandlers: z.array(z.string()),
      by: z.enum(['catalogue', 'office']),
      ruleId: z.string().optional(),
      designated: z.boolean(),
      at: time,
      returned: z.object({ reason: z.string(), at: time }).optional(),
    }),
  ),
  tasks: z.array(z.object({ taskId: z.string(), department: z.string(), role: z.enum(['lead', 'co-handler']), round: z.number().int(), state: z.string() })),
  reply: z.object({ summary: z.string(), department: z.string(), at: time }).optional(),
  visitDueAt: time.optional(),
  visits: z.array(z.object({ satisfaction: z.enum(satisfactions), note: z.string().optional(), at: time })),
  rounds: z.number().int().describe('How many times it was handled (2 after an unsatisfied visit-back)'),
  /**
   * The matter (综合监管一件事) the lead opened from it, at most one: the clue waits for its end
   * to reply. `interrupted`: it ended outside the API (terminated in the Temporal UI or CLI).
   */
  matter: z
    .object({
      matterId: z.string(),
      scenario: scenarioIdSchema,
      state: z.enum(['running', 'closed', 'cancelled', 'interrupted']),
      openedAt: time,
      endedAt: time.optional(),
      result: z.object({ code: z.string(), summary: z.string() }).optional(),
    })
    .optional(),
  decision: z.object({ decision: z.enum(['close', 'rehandle']), reason: z.string(), at: time }).optional(),
  closedAt: time.optional(),
  lastEventSeq: z.number().int(),
});
export type ClueView = z.infer<typeof clueViewSchema>;
