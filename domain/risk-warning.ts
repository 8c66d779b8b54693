/**
 * 风险预警 (risk warnings, DOMAIN §6; 晋政办发〔2023〕39号 item 13): generate → push (推送, to the
 * departments responsible by the county's catalogue and the subject's trade) → verify (核查, each
 * department, on the level's clock) → for a major warning, a joint review of the departments
 * concerned (跨部门综合研判) → dispose (处置) → feedback to the issuer (反馈). The loop closes only
 * with feedback. Three warnings of one trade in one township within 30 days suggest a special
 * campaign (专项整治) to the county's supervisors. Pure: the workflow and the API share it.
 */
import { z } from 'zod';
import { dispatchClue, type DispatchCatalogue } from './clue.js';
import { countySchema, departmentSchema } from './departments.js';
import { subjectSchema } from './matter.js';
import { safeText } from './text.js';
import { toShanghaiIso } from './calendar/index.js';

export const riskLevels = ['red', 'orange', 'yellow', 'blue'] as const;
export const riskLevelSchema = z.enum(riskLevels).describe('Warning level: red (most severe), orange, yellow, blue');
export type RiskLevel = (typeof riskLevels)[number];
export const riskLevelNames: Record<RiskLevel, string> = { red: '红色预警', orange: '橙色预警', yellow: '黄色预警', blue: '蓝色预警' };

export const riskSources = ['model', 'department'] as const;
export type RiskSource = (typeof riskSources)[number];

/** The same trade codes the clue's catalogue matches on (诉求分类 / 行业), e.g. `catering`, `refined-oil`. */
const tradeSchema = z.string().regex(/^[a-z][a-z0-9-]{1,40}$/);
const townshipSchema = z.string().regex(/^\d{9,12}$/, 'expected a township division code');
const modelSchema = safeText().trim().min(1).max(100).describe('The risk model that raised it (its name or id and version); no personal data');

/** Whom a warning is about (personal data for a person or a sole trader: the payload codec seals it, and it never enters ids, search attributes, notifications or the read model). */
export const warningSubjectSchema = subjectSchema.pick({ name: true, kind: true, creditCode: true, address: true });

/** One indicator that raised the warning: a model's output or a department's measurement. */
export const indicatorSchema = z.object({
  name: safeText().trim().min(1).max(100).describe('What was measured, e.g. `退费投诉数`, `储罐液位异常`'),
  value: z.union([z.number(), safeText().trim().min(1).max(100)]).describe('Its value (a number, or a short text such as `3次/周`)'),
  threshold: z
    .union([z.number(), safeText().trim().min(1).max(100)])
    .optional()
    .describe('The threshold it crossed, if the model has one'),
});
export type Indicator = z.infer<typeof indicatorSchema>;

/** A model's warning names its model, and says what it measured. */
const modelNamed = { message: 'a model’s warning names its model', path: ['model'] };
const hasModel = (w: { source: RiskSource; model?: string | undefined }) => w.source !== 'model' || w.model !== undefined;
const modelMeasured = { message: 'a model’s warning carries at least one indicator', path: ['indicators'] };
const hasIndicators = (w: { source: RiskSource; indicators: unknown[] }) => w.source !== 'model' || w.indicators.length > 0;
const distinct = (ds: string[]) => new Set(ds).size === ds.length;

/** `POST /v1/risk-warnings`: a warning as the issuer (a risk model, a department) sends it. */
export const riskWarningBodySchema = z
  .object({
    county: countySchema,
    source: z
      .enum(riskSources)
      .describe('`model`: raised by a risk model (the platform’s operator or system key); `department`: by a department (the caller’s)'),
    model: modelSchema.optional(),
    level: riskLevelSchema,
    subject: warningSubjectSchema,
    /** The subject's trade: with its kind, what the catalogue pushes the warning on. */
    trade: tradeSchema.optional().describe('The subject’s trade (行业), e.g. `catering`: what the catalogue matches, and the special-campaign rule counts'),
    township: townshipSchema.optional().describe('Township (乡镇/街道) division code of the subject: the special-campaign rule counts per township'),
    indicators: z.array(indicatorSchema).max(50),
    summary: safeText().trim().min(1).max(2000).describe('What the warning says, in the issuer’s words; the subject is named in `subject`, not here'),
    departments: z
      .array(departmentSchema)
      .min(1)
      .max(10)
      .refine(distinct, 'each department at most once')
      .optional()
      .describe('The departments to push it to, when the issuer names them; otherwise the county’s catalogue decides by trade and subject kind'),
  })
  .refine(hasModel, modelNamed)
  .refine(hasIndicators, modelMeasured);
export type RiskWarningBody = z.infer<typeof riskWarningBodySchema>;

// ---- Push (推送): who must verify ----

/** What a warning is matched on: its trade, its township (for `locality`), its subject's kind and its words. */
export type Pushable = Pick<RiskWarningBody, 'summary' | 'indicators'> & {
  trade?: string | undefined;
  township?: string | undefined;
  subject: { kind: string };
};

export interface Push {
  /** The catalogue row that matched; absent when the issuer named the departments. */
  ruleId?: string;
  /** Every department that verifies, the row's lead first. */
  departments: string[];
}

/**
 * The departments responsible for a warning, by the county's dispatch catalogue (the clue's
 * 派单目录, reused: one list of who is responsible for what per county, not two to keep in step).
 *
 * - Rows that match on a 12345 category are not for warnings (a warning is no citizen's request
 *   and has no category); every other row matches as for a clue: trade, subject kind, keywords
 *   (in the summary and the indicators' names), every criterion given must hold.
 * - The first matching row in the county's order answers, as for a clue, and its lead **and** its
 *   co-handlers are all responsible: each verifies within its own remit (a black station is the
 *   commerce bureau's licence, the market's quality, the emergency bureau's safety), so none waits
 *   for another. Every matching row's departments would push a warning to every catch-all row too
 *   (e.g. "enterprise → market") and make nobody's the first duty (推诿); a county that wants more
 *   departments on a trade lists them as co-handlers of its row.
 * - `locality` is the warning's township; a row that needs one when the warning names none does not match.
 *
 * Undefined when nothing matches: the issuer names the departments, or the API refuses the warning.
 */
export function responsibleDepartments(catalogue: DispatchCatalogue, warning: Pushable): Push | undefined {
  const rules = catalogue.rules.filter((r) => r.match.categories === undefined);
  const content = [warning.summary, ...warning.indicators.map((i) => i.name)].join('\n');
  // The category is never looked at: no row left matches on one.
  const d = dispatchClue({ rules }, { category: 'report', content, trade: warning.trade, township: warning.township, subject: warning.subject });
  return d ? { ruleId: d.ruleId, departments: [d.lead, ...d.coHandlers] } : undefined;
}

/** The departments the issuer named, else the catalogue's answer, else undefined. */
export function pushTargets(catalogue: DispatchCatalogue | undefined, body: Pushable & { departments?: string[] | undefined }): Push | undefined {
  if (body.departments?.length) return { departments: [...new Set(body.departments)] };
  return catalogue ? responsibleDepartments(catalogue, body) : undefined;
}

// ---- Clocks and who is told, county-configurable ----

const workingDays = (d: number, max = 30) => z.number().int().min(1).max(max).default(d);
/** Who, besides the departments pushed to (each told by its own task), hears of a warning at its push. */
export const pushAudienceSchema = z.enum(['county-supervisors', 'county-government', 'higher-authority']);
export type PushAudience = z.infer<typeof pushAudienceSchema>;

export const riskWarningSettingsSchema = z.object({
  /** 核查: by level, in working days, counted from the push (DOMAIN §6: red 1, orange 3, yellow 5, blue 10). */
  verificationWorkingDays: z.object({ red: workingDays(1), orange: workingDays(3), yellow: workingDays(5), blue: workingDays(10) }).prefault({}),
  /**
   * 签收 of a verification task. It cannot buy time: the verification clock counts from the push
   * whatever the sign-for (a red warning's 1 working day is the same deadline).
   */
  signForWorkingDays: workingDays(1, 5),
  /**
   * 处置: working days from the start of disposal. DOMAIN names no limit for a warning's disposal;
   * 10 is the longest of the short limits counted in working days (行政强制法 art. 69: limits up
   * to 10 days are working days) and the 12345 extension cap. What needs longer (a penalty case,
   * 90 days from filing under 行政处罚法 art. 60) is opened as a matter (`openMatter`) with its own
   * statutory clocks, so the warning's loop does not wait on it.
   */
  disposalWorkingDays: workingDays(10, 60),
  /** 延期 of a disposal task, at most (a verification's at most its own length: a red warning's 1 working day gains 1, not 10). */
  maxDisposalExtensionWorkingDays: z.number().int().min(0).max(30).default(10),
  /** 跨部门综合研判: working days for the supervisors to hold it (DOMAIN §10: review by the lead, 2). */
  reviewWorkingDays: workingDays(2, 10),
  /** 反馈: working days for the issuer to take the feedback once disposal ends (as the 12345 visit-back, 3). */
  feedbackWorkingDays: workingDays(3, 10),
  /** The levels a joint review is held for ("a major warning", DOMAIN §6). */
  jointReviewLevels: z.array(riskLevelSchema).max(4).default(['red', 'orange']),
  /** Who is told at the push, by level ("levels set who is told", DOMAIN §6). */
  toldAtPush: z
    .object({
      red: z.array(pushAudienceSchema).max(3).default(['county-supervisors', 'county-government']),
      orange: z.array(pushAudienceSchema).max(3).default(['county-supervisors']),
      yellow: z.array(pushAudienceSchema).max(3).default([]),
      blue: z.array(pushAudienceSchema).max(3).default([]),
    })
    .prefault({}),
  /** 专项整治: this many warnings of one trade in one township within `windowDays` suggest a campaign. */
  campaign: z.object({ threshold: z.number().int().min(2).max(50).default(3), windowDays: z.number().int().min(1).max(365).default(30) }).prefault({}),
});
export type RiskWarningSettings = z.infer<typeof riskWarningSettingsSchema>;
export const defaultRiskWarningSettings: RiskWarningSettings = riskWarningSettingsSchema.parse({});

/** The level's verification limit: working days from the push (the `matter-opened` origin of the task's clock). */
export function verificationLimit(settings: RiskWarningSettings, level: RiskLevel) {
  return { amount: settings.verificationWorkingDays[level], unit: 'working_day', startsFrom: 'matter-opened' } as const;
}

export function needsJointReview(settings: RiskWarningSettings, level: RiskLevel): boolean {
  return settings.jointReviewLevels.includes(level);
}

// ---- 专项整治: the special-campaign rule ----

/** A warning of the county as the read model has it, for the campaign rule. */
export interface RecentWarning {
  warningId: string;
  trade?: string | undefined;
  township?: string | undefined;
  /** When it was pushed (ISO 8601). */
  issuedAt: string;
  /** It carried a campaign suggestion itself. */
  campaignSuggested?: boolean | undefined;
}

export const campaignSuggestionSchema = z.object({
  trade: tradeSchema,
  township: townshipSchema,
  windowDays: z.number().int().min(1).max(365),
  /** The warnings counted, oldest first, this one last (ids carry no personal data). */
  warningIds: z.array(z.string().max(200)).min(2).max(51),
});
export type CampaignSuggestion = z.infer<typeof campaignSuggestionSchema>;

const DAY_MS = 86_400_000;

/**
 * Whether `warning` suggests a special campaign (专项整治) to the county's supervisors: with it,
 * at least `threshold` warnings of the same trade in the same township were pushed within the
 * `windowDays` ending at its push. A warning without a trade or a township never does.
 *
 * Once suggested, the same trade and township are not suggested again while a warning that
 * carried the suggestion is inside the window: the fourth and fifth warnings of a cluster add
 * nothing the supervisors were not told, and a problem that persists is raised again a window
 * later. `recent` is what the read model holds (db/risk-warnings.ts, cancelled ones left out);
 * entries of other trades or townships, outside the window, later than the warning, or the
 * warning itself are ignored, so the caller may pass a wider set.
 */
export function campaignSuggestion(
  recent: readonly RecentWarning[],
  warning: { warningId: string; trade?: string | undefined; township?: string | undefined; issuedAt: string },
  rule: { threshold: number; windowDays: number } = defaultRiskWarningSettings.campaign,
): CampaignSuggestion | undefined {
  const { trade, township } = warning;
  if (!trade || !township) return undefined;
  const at = Date.parse(warning.issuedAt);
  const from = at - rule.windowDays * DAY_MS;
  const within = recent
    .filter((r) => r.warningId !== warning.warningId && r.trade === trade && r.township === township)
    .filter((r) => {
      const t = Date.parse(r.issuedAt);
      return t > from && t <= at;
    })
    .sort((a, b) => Date.parse(a.issuedAt) - Date.parse(b.issuedAt) || a.warningId.localeCompare(b.warningId));
  if (within.length + 1 < rule.threshold) return undefined;
  if (within.some((r) => r.campaignSuggested)) return undefined;
  // At most the 50 latest before it: the suggestion lists the cluster, not the whole history.
  return { trade, township, windowDays: rule.windowDays, warningIds: [...within.slice(-50).map((r) => r.warningId), warning.warningId] };
}

// ---- The workflow's input and view ----

export const riskWarningStates = ['verifying', 'reviewing', 'disposing', 'awaiting-feedback', 'closed', 'cancelled'] as const;
export type RiskWarningState = (typeof riskWarningStates)[number];
export const riskWarningStateNames: Record<RiskWarningState, string> = {
  verifying: '核查中',
  reviewing: '待综合研判',
  disposing: '处置中',
  'awaiting-feedback': '待反馈',
  closed: '已反馈闭环',
  cancelled: '已撤销',
};

/** The steps a department does as a department task of the warning. */
export const riskWarningSteps = ['verification', 'disposal'] as const;
export type RiskWarningStep = (typeof riskWarningSteps)[number];

/**
 * What the risk-warning workflow is started with: the body with the push resolved by the API (the
 * departments, the catalogue row), the issuing department of a department's warning, the county's
 * settings and ladder pinned to the run, and a campaign suggestion the API found at intake. No
 * personal data beyond the subject, which the payload codec seals.
 */
export const riskWarningInputSchema = z
  .object({
    county: countySchema,
    source: z.enum(riskSources),
    model: modelSchema.optional(),
    /** A department's warning: the department that issued it (the caller's), which takes the feedback. */
    issuingDepartment: departmentSchema.optional(),
    level: riskLevelSchema,
    subject: warningSubjectSchema,
    trade: tradeSchema.optional(),
    township: townshipSchema.optional(),
    indicators: z.array(indicatorSchema).max(50),
    summary: safeText().trim().min(1).max(2000),
    departments: z.array(departmentSchema).min(1).max(10).refine(distinct, 'each department at most once'),
    ruleId: z.string().max(61).optional(),
    settings: riskWarningSettingsSchema.prefault({}),
    campaign: campaignSuggestionSchema.optional(),
  })
  .refine(hasModel, modelNamed)
  .refine((w) => w.source !== 'department' || w.issuingDepartment !== undefined, {
    message: 'a department’s warning names its issuing department',
    path: ['issuingDepartment'],
  });
export type RiskWarningInput = z.infer<typeof riskWarningInputSchema>;
export type RiskWarningInputDraft = z.input<typeof riskWarningInputSchema>;

const time = z.string();
export const riskWarningViewSchema = z.object({
  warningId: z.string(),
  county: z.string(),
  source: z.enum(riskSources),
  model: z.string().optional(),
  issuingDepartment: z.string().optional(),
  level: riskLevelSchema,
  levelName: z.string(),
  trade: z.string().optional(),
  township: z.string().optional(),
  /** The subject's kind and credit code (an organisation's, public); its name and address stay in the sealed input and the departments' tasks. */
  subject: z.object({ kind: subjectSchema.shape.kind, creditCode: z.string().optional() }),
  indicators: z.array(indicatorSchema),
  summary: z.string(),
  /** The departments it was pushed to (they verify), the catalogue row's lead first. */
  departments: z.array(z.string()),
  ruleId: z.string().optional(),
  state: z.enum(riskWarningStates),
  stateName: z.string(),
  issuedAt: time.describe('When it was pushed: the verification clock counts from it'),
  limits: z.object({ verificationWorkingDays: z.number().int(), disposalWorkingDays: z.number().int() }),
  tasks: z.array(z.object({ taskId: z.string(), department: z.string(), step: z.enum(riskWarningSteps), state: z.string() })),
  verifications: z.array(z.object({ department: z.string(), taskId: z.string(), confirmed: z.boolean(), findings: z.string().optional(), at: time })),
  reviewDueAt: time.optional(),
  jointReview: z
    .object({
      conclusion: z.string(),
      disposers: z.array(z.string()).describe('The departments that dispose'),
      jointInspection: z.boolean(),
      at: time,
    })
    .optional(),
  disposals: z.array(
    z.object({ department: z.string(), taskId: z.string(), measures: z.string(), openMatter: z.boolean(), jointInspection: z.boolean(), at: time }),
  ),
  feedbackDueAt: time.optional(),
  feedback: z.object({ summary: z.string(), at: time }).optional(),
  campaign: campaignSuggestionSchema.optional(),
  closedAt: time.optional(),
  lastEventSeq: z.number().int(),
});
export type RiskWarningView = z.infer<typeof riskWarningViewSchema>;

/**
 * The view as the warning is pushed, before any step: the workflow's first, and the row the API
 * writes at intake (so the special-campaign rule counts a warning whose first record has not
 * landed yet). `pushedAtMs` is the verification clock's origin.
 */
export function initialRiskWarningView(input: RiskWarningInput, warningId: string, pushedAtMs: number): RiskWarningView {
  return {
    warningId,
    county: input.county,
    source: input.source,
    ...(input.model ? { model: input.model } : {}),
    ...(input.issuingDepartment ? { issuingDepartment: input.issuingDepartment } : {}),
    level: input.level,
    levelName: riskLevelNames[input.level],
    ...(input.trade ? { trade: input.trade } : {}),
    ...(input.township ? { township: input.township } : {}),
    subject: { kind: input.subject.kind, ...(input.subject.creditCode ? { creditCode: input.subject.creditCode } : {}) },
    indicators: input.indicators,
    summary: input.summary,
    departments: input.departments,
    ...(input.ruleId ? { ruleId: input.ruleId } : {}),
    state: 'verifying',
    stateName: riskWarningStateNames.verifying,
    issuedAt: toShanghaiIso(pushedAtMs),
    limits: { verificationWorkingDays: input.settings.verificationWorkingDays[input.level], disposalWorkingDays: input.settings.disposalWorkingDays },
    tasks: [],
    verifications: [],
    disposals: [],
    ...(input.campaign ? { campaign: input.campaign } : {}),
    lastEventSeq: 0,
  };
}
