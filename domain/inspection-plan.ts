/**
 * Annual inspection plans, rounds and joint inspections (双随机、一公开, 进一次门、查多项事; DOMAIN §7,
 * issue 14 §2–§5): the shapes shared by the plan API, the planning season, the round and the joint
 * inspection, so each is built against one contract. Pure: no I/O.
 *
 *   plan:<county>:<year>-<seq>            an annual plan (not a workflow; its rounds run from a Schedule)
 *   season:<county>:<year>                the planning season of a county and year (planningSeason)
 *   <planId>/round…                       a round of a plan (inspectionRound): Schedule or by hand
 *   inspection:<county>:<year>-<seq>      a (joint) inspection of one subject (jointInspection)
 *   inspection:…/task:<department>:<n>    a department's check and result within it
 */
import { z } from 'zod';
import { countySchema, departmentSchema } from './departments.js';
import { creditGrades, itemIdSchema, subjectIdSchema, tagSchema, tradeSchema, type CreditGrade } from './registry.js';
import { safeText } from './text.js';
import { isoDateSchema, maxYear, minYear } from './time.js';

const seq = (n: number, width = 4) => String(n).padStart(width, '0');
const distinct = (xs: string[]) => new Set(xs).size === xs.length;

export const planWorkflowIds = {
  plan: (county: string, year: number, n: number) => `plan:${county}:${year}-${seq(n)}`,
  season: (county: string, year: number) => `season:${county}:${year}`,
  inspection: (county: string, year: number, n: number) => `inspection:${county}:${year}-${seq(n)}`,
};

export const planIdSchema = z
  .string()
  .regex(/^plan:\d{6}:\d{4}-\d{4,}$/, 'expected a plan id (plan:<county>:<year>-<seq>)')
  .describe('The plan’s id, e.g. `plan:610124:2027-0001`');

// ---------------------------------------------------------------- ratios (信用分级分类监管)

/**
 * Per credit grade, the share of a plan's eligible subjects drawn each round. DOMAIN §7's local
 * example: A ≤ 5%, B 5–20%, C 21–60%, D 61–100%; E (严重失信, where graded) as strict as D. A plan of
 * general items stays within these bands; a plan with a key item (重点事项) may raise any grade up
 * to 1 (DOMAIN §7: 重点 items may raise count, ratio and frequency). The defaults are each band's
 * upper end: the most a general plan may do, so a county that writes nothing inspects as much as
 * the rule allows and lowers it deliberately.
 */
export const ratioBands: Record<CreditGrade, { min: number; max: number }> = {
  A: { min: 0.0001, max: 0.05 },
  B: { min: 0.05, max: 0.2 },
  C: { min: 0.21, max: 0.6 },
  D: { min: 0.61, max: 1 },
  E: { min: 0.61, max: 1 },
};
export const defaultRatios = { A: 0.05, B: 0.2, C: 0.6, D: 1 } as const;

/** A fraction in (0, 1] in steps of 0.0001 (the draw computes in basis points: domain/draw.ts rule 4). */
const ratioSchema = z
  .number()
  .gt(0)
  .max(1)
  .refine((r) => Math.abs(r * 10000 - Math.round(r * 10000)) < 1e-9, 'a fraction in steps of 0.0001 (0.05 = 5%)');

export const planFrequencies = ['once', 'half-yearly', 'quarterly', 'monthly'] as const;
export type PlanFrequency = (typeof planFrequencies)[number];
export const planFrequencyNames: Record<PlanFrequency, string> = { once: '每年一次', 'half-yearly': '每半年', quarterly: '每季度', monthly: '每月' };

/** `POST /v1/plans`: annex 2 of 周政办发〔2024〕13号 (计划名称, 牵头/配合单位, 监管事项, 监管对象, 检查数量（比例、频次）, 检查起止时间). */
/** The cross-field rules run on a body whose fields are each valid: a malformed field is named once, alone. */
const valid = (payload: { issues: unknown[] }) => payload.issues.length === 0;

export const planBodySchema = z
  .object({
    county: countySchema,
    year: z.number().int().min(minYear).max(maxYear).describe('The plan’s year (plans are due by 31 March of it)'),
    name: safeText().trim().min(2).max(200).describe('计划名称'),
    lead: departmentSchema.describe('牵头单位: its inspectors lead the visits'),
    cooperating: z.array(departmentSchema).max(20).default([]).describe('配合单位 (not the lead, each once)'),
    items: z.array(itemIdSchema).min(1).max(50).describe('监管事项: published items of the county’s list (each once)'),
    target: z
      .object({
        tags: z.array(tagSchema).max(20).optional().describe('Subjects with any of these tags (标签化管理)'),
        trades: z.array(tradeSchema).max(20).optional().describe('Subjects of these trades'),
        kinds: z.array(safeText().trim().min(1).max(40)).max(20).optional().describe('Subjects of these kinds'),
      })
      .default({})
      .describe('监管对象: which registered subjects the plan draws from (nothing given: all of the county’s)'),
    ratios: z
      .object({ A: ratioSchema, B: ratioSchema, C: ratioSchema, D: ratioSchema, E: ratioSchema.optional() })
      .partial()
      .default({})
      .describe('检查比例 per credit grade, fractions (0.05 = 5%); left out: the band’s upper end (A 0.05, B 0.2, C 0.6, D 1; E as D)'),
    frequency: z.enum(planFrequencies).describe('检查频次: rounds per year (`once`, `half-yearly`, `quarterly`, `monthly`) within the window'),
    window: z.object({ from: isoDateSchema, to: isoDateSchema }).describe('检查起止时间 (dates, inclusive, within the plan’s year)'),
  })
  .refine((b) => distinct(b.cooperating) && !b.cooperating.includes(b.lead), {
    message: 'cooperating departments are distinct and exclude the lead',
    path: ['cooperating'],
    when: valid,
  })
  .refine((b) => distinct(b.items), { message: 'each item once', path: ['items'], when: valid })
  .refine((b) => b.window.from <= b.window.to, { message: 'the window ends on or after its start', path: ['window', 'to'], when: valid })
  .refine((b) => b.window.from.startsWith(`${b.year}-`) && b.window.to.startsWith(`${b.year}-`), {
    message: 'the window lies within the plan’s year',
    path: ['window'],
    when: valid,
  });
export type PlanBody = z.infer<typeof planBodySchema>;

export type PlanRatios = { A: number; B: number; C: number; D: number; E?: number };

/** The ratios a plan draws with: what it gave, the rest the band's upper end. */
export function effectiveRatios(given: Partial<PlanRatios>): PlanRatios {
  return { ...defaultRatios, ...given };
}

/**
 * Ratios outside the bands, for a plan without a key item: `[{ grade, ratio, band }]`; a plan with
 * a key item may go up to 1 but not below a band (A not disturbed without cause, never exempt).
 */
export function ratioViolations(ratios: PlanRatios, hasKeyItem: boolean): { grade: CreditGrade; ratio: number; min: number; max: number }[] {
  const out: { grade: CreditGrade; ratio: number; min: number; max: number }[] = [];
  for (const grade of creditGrades) {
    const ratio = ratios[grade];
    if (ratio === undefined) continue;
    const band = ratioBands[grade];
    const max = hasKeyItem ? 1 : band.max;
    if (ratio < band.min - 1e-12 || ratio > max + 1e-12) out.push({ grade, ratio, min: band.min, max });
  }
  return out;
}

/** A plan as stored (`plans` row) and answered by `GET /v1/plans/{planId}`. */
export interface Plan extends Omit<PlanBody, 'ratios'> {
  planId: string;
  ratios: PlanRatios;
  createdAt: string;
  createdBy: string;
}

// ---------------------------------------------------------------- joint inspections

/** One department's part of an inspection: its checklist (items) and its drawn inspectors. */
export const inspectionCheckSchema = z.object({
  department: departmentSchema,
  items: z.array(itemIdSchema).min(1).max(50).describe('The items this department checks (its checklist)'),
  inspectors: z.array(z.string().min(1).max(64)).min(2).max(20).describe('Its inspectors’ ids (at least 2, 国办发〔2024〕54号)'),
  planId: planIdSchema.optional(),
  roundId: z.string().min(1).max(300).optional().describe('The round that drew it; absent for an ad-hoc inspection'),
});
export type InspectionCheck = z.infer<typeof inspectionCheckSchema>;

/**
 * The input of a `jointInspection` workflow (its id = `inspectionId`). One subject, one visit (or
 * none when every item is checked in writing or off-site), one team led by the initiator's
 * inspectors, one checklist per department, one notice to the subject (随机抽查告知书).
 */
export interface JointInspectionInput {
  inspectionId: string;
  county: string;
  subjectId: string;
  /** The department whose inspectors lead (the plan's lead, or the first round's, or the ad-hoc requester). */
  initiator: string;
  checks: InspectionCheck[];
  /** The visit date (YYYY-MM-DD, China time); null when no item needs a visit. */
  visitOn: string | null;
  /** Why an ad-hoc inspection (e.g. `clue:…`, `warning:…`); absent for a drawn one. */
  cause?: string;
  /** The key id (or `schedule`) that started it. */
  requestedBy: string;
}

/**
 * Messages of a `jointInspection` (Update names): a later round whose draw would visit the same
 * subject within the merge window joins the open inspection instead of starting one
 * (`addChecks`, accepted only before the visit); a recusal's logged re-draw replaces inspectors of
 * one department (`replaceInspectors`).
 */
export const jointInspectionMessages = {
  addChecks: 'addChecks',
  replaceInspectors: 'replaceInspectors',
} as const;
export interface AddChecksArgs {
  checks: InspectionCheck[];
  requestedBy: string;
}
export interface ReplaceInspectorsArgs {
  department: string;
  removed: string[];
  added: string[];
  /** The round's recusal log counter (domain/draw.ts RecusalEntry.counter). */
  counter: number;
  requestedBy: string;
}

/** States of an inspection as its read model shows them. */
export const inspectionStates = ['scheduled', 'inspecting', 'publishing', 'published', 'cancelled'] as const;
export type InspectionState = (typeof inspectionStates)[number];

/** Defaults of DOMAIN §7 a county may override (configuration, issue 14 §4–§5). */
export const inspectionDefaults = {
  /** Draws of several departments visiting one subject within this many days become one joint inspection. */
  mergeWindowDays: 30,
  /** An inspection for the same item within this many days leaves a subject out of a draw. */
  recentWindowDays: 30,
  /** Results are published within this many working days of the end of the inspection (谁公开). */
  publishWithinWorkingDays: 20,
} as const;

export { subjectIdSchema };
