/**
 * The supervision ladder's arithmetic (DOMAIN §4, §10), pure: when each rung of a clock fires,
 * which rungs are due at an instant, the escalation level they make. The workflow asks for a
 * clock through a (local) activity, which runs `resolveClock` with the calendar in force and so
 * records the result in history: replay never depends on later calendar edits.
 *
 * - Day-scale clocks (working or calendar days) are chased in office hours: a rung that falls n
 *   working days from the deadline is delivered at 09:00 +08:00 of that working day; a rung at or
 *   after the deadline (n ≥ 0) falls on a working day after the deadline's own day (the chase the
 *   next working day, never at 23:59:59). The recorded deadline itself stays the legal end of day.
 * - Hour- and minute-scale clocks (evacuation, hand-over to the police), and day limits a task
 *   asks to ladder in hours (`scale: 'hours'`: the 3 days of a criminal transfer, which the police
 *   work through holidays), escalate in hours and run through nights and holidays: by default the reminder at half time, the chase at the deadline,
 *   yellow +2 h, red +4 h, escalation +8 h (`hoursAfterDeadline` on a rung overrides).
 * - After the last rung, chasing goes on every working day at 09:00 until the work is done.
 */
import {
  addWorkingDays,
  isWorkingDay,
  resolveDeadline,
  shanghaiDate,
  shiftByWorkingDays,
  toShanghaiIso,
  type Calendar,
  type TimeLimitRuleInput,
} from './calendar/index.js';
import { rungLevel, type LadderRung, type Rung } from './task.js';

const HOUR_MS = 3_600_000;
/** How many daily chases a resolution carries; the workflow asks for more when it runs out. */
export const DAILY_CHASES_PER_RESOLUTION = 20;

/** Default hour offsets of hour-scale ladders; `half` = half way from the start to the deadline. */
const defaultHourOffsets: Record<Rung, number | 'half'> = {
  reminder: 'half',
  chase: 0,
  'yellow-card': 2,
  'red-card': 4,
  escalation: 8,
};

export type ClockKind = 'sign-for' | 'handle' | 'review';
/** The event a clock counts from, as the rule names it (DOMAIN §4). */
export type ClockOrigin = 'assignment' | 'sign-for' | 'previous-step' | 'matter-opened' | 'submission' | 'rework';

export interface ClockRequest {
  kind: ClockKind;
  /** Start event instant (epoch ms) the rule counts from. */
  startMs: number;
  /** Which event `startMs` is, for the deadline's view. */
  origin?: ClockOrigin;
  rule: TimeLimitRuleInput;
  ladder: LadderRung[];
  /** Workflow time when asked: reminders that would fall before it are dropped (nothing to remind). */
  nowMs: number;
  /** Approved extensions: the rule's deadline moved by this many working days. */
  extraWorkingDays?: number;
  /** Calendar days added to the deadline (an extension counted in days, e.g. a seizure's). */
  extraCalendarDays?: number;
  /** Also resolve the window for returning the task (退回), counted from the same start. */
  returnWindow?: TimeLimitRuleInput;
  /** `hours`: an hour-scale ladder even for a day limit (a transfer's 3 days run through holidays). */
  scale?: 'hours';
}

export interface RungTime {
  rung: Rung;
  atMs: number;
  at: string;
  notify: LadderRung['notify'];
}

export interface ResolvedClock {
  kind: ClockKind;
  startMs: number;
  rule: TimeLimitRuleInput;
  extraWorkingDays: number;
  extraCalendarDays?: number;
  dueAtMs: number;
  dueAt: string;
  provisional: boolean;
  rungs: RungTime[];
  /** Absent in clocks resolved before these were recorded. */
  origin?: ClockOrigin;
  calendarRevision?: number;
  /** Working days at 09:00 after the last rung: chased until the work is done. */
  dailyChases?: number[];
  returnWindow?: { dueAtMs: number; dueAt: string };
}

const isDayScale = (rule: TimeLimitRuleInput) => rule.unit === 'working_day' || rule.unit === 'calendar_day';

/** 09:00 +08:00 on a Shanghai date (YYYY-MM-DD). */
const morningOf = (date: string) => Date.parse(`${date}T09:00:00.000+08:00`);

/** When a rung `n` working days from the deadline is delivered (office hours, see the header). */
export function dayRungAt(dueAtMs: number, n: number, cal: Calendar): number {
  // n = 0 is "overdue": the first working morning after the deadline's day.
  return morningOf(addWorkingDays(shanghaiDate(dueAtMs), n === 0 ? 1 : n, cal));
}

/** When a rung of an hour-scale clock fires. */
export function hourRungAt(startMs: number, dueAtMs: number, r: LadderRung): number {
  const offset = r.hoursAfterDeadline ?? defaultHourOffsets[r.rung];
  return offset === 'half' ? startMs + Math.floor((dueAtMs - startMs) / 2) : dueAtMs + offset * HOUR_MS;
}

/** The next `count` working mornings (09:00 +08:00) strictly after `afterMs`. */
export function workingMornings(afterMs: number, count: number, cal: Calendar): number[] {
  const out: number[] = [];
  let date = shanghaiDate(afterMs);
  if (isWorkingDay(date, cal) && morningOf(date) > afterMs) out.push(morningOf(date));
  while (out.length < count) {
    date = addWorkingDays(date, 1, cal);
    out.push(morningOf(date));
  }
  return out;
}

/** Resolves a deadline, its ladder and the chasing after it, with `cal`. */
export function resolveClock(req: ClockRequest, cal: Calendar, calendarRevision?: number): ResolvedClock {
  const extra = req.extraWorkingDays ?? 0;
  const base = resolveDeadline(req.startMs, req.rule, cal);
  const shifted = extra > 0 ? shiftByWorkingDays(base.dueAtMs, extra, cal) : base;
  const days = req.extraCalendarDays ?? 0;
  // Calendar days run through holidays (the statute's 日), from the deadline's own instant.
  const moved = days > 0 ? { ...shifted, dueAtMs: shifted.dueAtMs + days * 86_400_000, dueAt: toShanghaiIso(shifted.dueAtMs + days * 86_400_000) } : shifted;
  const due = { ...moved, provisional: base.provisional || moved.provisional };
  const dayScale = req.scale !== 'hours' && isDayScale(req.rule);
  const rungs = req.ladder
    .map((r) => {
      const atMs = dayScale ? dayRungAt(due.dueAtMs, r.workingDaysAfterDeadline, cal) : hourRungAt(req.startMs, due.dueAtMs, r);
      return { rung: r.rung, atMs, at: toShanghaiIso(atMs), notify: r.notify };
    })
    // A reminder due before the clock even started (e.g. "1 working day before" a 1-day limit)
    // would fire at once and say nothing new: drop it. Rungs after the deadline always stay.
    .filter((r) => r.atMs > req.nowMs || r.atMs >= due.dueAtMs)
    .sort((a, b) => a.atMs - b.atMs);
  const last = Math.max(due.dueAtMs, ...rungs.map((r) => r.atMs));
  return {
    kind: req.kind,
    startMs: req.startMs,
    rule: req.rule,
    extraWorkingDays: extra,
    ...(days > 0 ? { extraCalendarDays: days } : {}),
    dueAtMs: due.dueAtMs,
    dueAt: due.dueAt,
    provisional: due.provisional,
    rungs,
    ...(req.origin ? { origin: req.origin } : {}),
    ...(calendarRevision !== undefined ? { calendarRevision } : {}),
    dailyChases: workingMornings(last, DAILY_CHASES_PER_RESOLUTION, cal),
    ...(req.returnWindow ? { returnWindow: (({ dueAtMs, dueAt }) => ({ dueAtMs, dueAt }))(resolveDeadline(req.startMs, req.returnWindow, cal)) } : {}),
  };
}

/** The escalation level the fired rungs make (0 when none). */
export function escalationLevel(fired: Iterable<Rung>): number {
  return Math.max(0, ...[...fired].map((r) => rungLevel[r]));
}

/** Rungs of `clock` due at `nowMs` that have not fired yet, in order. */
export function dueRungs(clock: Pick<ResolvedClock, 'rungs'>, fired: ReadonlySet<Rung>, nowMs: number): RungTime[] {
  return clock.rungs.filter((r) => !fired.has(r.rung) && r.atMs <= nowMs);
}
