/**
 * The planning season (DOMAIN §7: annual work plans per item by 31 March; issue 14 §2): per county
 * and year, which lead departments have published items of the county's list without a plan, and
 * the clock that reminds them from 1 March and chases them after 31 March with the supervision
 * ladder (DOMAIN §4). Pure: the planningSeason workflow, its activities and the API share it.
 */
import { z } from 'zod';
import { countySchema } from './departments.js';
import { ladderSchema, defaultLadder } from './task.js';
import { maxYear, minYear } from './time.js';

/** Reminders start on this day (China time): the month before plans are due. */
export const seasonOpensOn = (year: number) => `${year}-03-01`;
/** Plans are due by the end of this day (China time, DOMAIN §7). */
export const seasonDueOn = (year: number) => `${year}-03-31`;

/**
 * The deadline as the calendar activity resolves it: 30 calendar days counted from 1 March
 * 00:00 +08:00 end on 31 March 23:59:59 +08:00, not moved to a working day (the date is the
 * rule's, not a count of days). The ladder's rungs around it are working days (DOMAIN §4).
 */
export const seasonRule = { amount: 30, unit: 'calendar_day', extendToWorkingDay: false } as const;
export const seasonStartMs = (year: number) => Date.parse(`${seasonOpensOn(year)}T00:00:00.000+08:00`);

export const planningSeasonInputSchema = z.object({
  county: countySchema,
  year: z.number().int().min(minYear).max(maxYear),
  /** The county's ladder for late plans; default the task ladder of DOMAIN §4. */
  ladder: ladderSchema.default(defaultLadder),
});
export type PlanningSeasonInput = z.input<typeof planningSeasonInputSchema>;

/** `planned`: every published item it leads has a plan this year; `due`: not yet, before the deadline; `late`: not yet, after it. */
export const leadPlanStates = ['planned', 'due', 'late'] as const;
export type LeadPlanState = (typeof leadPlanStates)[number];
export const leadPlanStateNames: Record<LeadPlanState, string> = { planned: '已制定计划', due: '待制定', late: '逾期未制定' };

export interface LeadCoverage {
  department: string;
  /** The published items of the county's list it leads. */
  published: string[];
  /** Those of them some plan of the year covers. */
  planned: string[];
  /** Those no plan covers yet. */
  missing: string[];
}

/**
 * Per lead department of a published item: its items and which a plan of the year covers. An
 * item counts as planned when any plan of the county and year names it (a joint plan led by
 * another department covers it too: one plan per item, not one per department).
 */
export function coverage(items: { itemId: string; lead: string; published: boolean }[], plannedItems: Iterable<string>): LeadCoverage[] {
  const planned = new Set(plannedItems);
  const byLead = new Map<string, LeadCoverage>();
  for (const i of items) {
    if (!i.published) continue;
    const c = byLead.get(i.lead) ?? { department: i.lead, published: [], planned: [], missing: [] };
    c.published.push(i.itemId);
    (planned.has(i.itemId) ? c.planned : c.missing).push(i.itemId);
    byLead.set(i.lead, c);
  }
  return [...byLead.values()].sort((a, b) => a.department.localeCompare(b.department));
}

export function leadState(c: LeadCoverage, nowMs: number, dueAtMs: number): LeadPlanState {
  if (c.missing.length === 0) return 'planned';
  return nowMs > dueAtMs ? 'late' : 'due';
}
