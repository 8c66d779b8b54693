/**
 * Statutory deadlines on China's official working-day calendar (DOMAIN §4, §8).
 *
 * This module is pure: no Node built-ins, no I/O, no Intl, and it never reads the process's local
 * time zone. Temporal workflows import it, and a deadline computed during replay must equal the one
 * computed the first time, on any machine. All arithmetic is on "day numbers" (days since
 * 1970-01-01 as a Shanghai calendar date) and on epoch milliseconds with a fixed +08:00 offset;
 * China has had no daylight saving time since 1991, so the offset is right for every date the
 * service can see (the tz database differs only in the summers of 1986–1991).
 *
 * Conventions (each is relied on by the workflows and pinned by test/unit/calendar.*.test.ts):
 *
 * 1. Working day. A date is a working day if it is an adjusted working day (调休上班), or it is
 *    Monday–Friday and not inside a published holiday range. A year that is not in the data is
 *    *provisional*: only weekends are known, so Monday–Friday count as working days. Any result
 *    whose computation depended on the status of a day in an unpublished year carries
 *    `provisional: true`, so it can be re-resolved when the State Council publishes the year
 *    (usually in November). For a working_day limit those days run from the day after the start
 *    date to the deadline: the start date itself never counts, so a start on 2024-12-31 with a
 *    deadline in 2025 is not provisional. (Sure answers stay put; only provisional ones move.)
 * 2. "Within N working days" is the N-th working day *after* the date of the start event: the start
 *    day is never counted (民法典 art. 201), whatever its status and whatever the time of day, so a
 *    task assigned on a holiday or a Sunday starts counting on the first working day after it.
 * 3. Day limits (working_day, calendar_day) end at the end of their last day, 23:59:59.999 +08:00,
 *    or at the calendar's `officeClose` time ('17:30' → 17:30:00.000 +08:00) when one is configured.
 *    The start of a limit is an instant; only its Shanghai date matters for day limits. A start
 *    string without an offset is Shanghai wall-clock time (Date.parse would use the local zone).
 * 4. A calendar_day limit's last day is the start date + N days. If that day is not a working day
 *    the limit ends with the next working day (民法典 art. 203) unless the rule says
 *    `extendToWorkingDay: false`. Only the days from the nominal last day to the extended one can
 *    change the result, so only they make it provisional (with the extension switched off a
 *    calendar_day limit never is).
 * 5. hour and minute limits are elapsed time from the start instant. They run through nights and
 *    holidays, never depend on the holiday schedule and are never provisional.
 * 6. addWorkingDays(d, n): n > 0 is the n-th working day after d; n < 0 is the |n|-th working day
 *    before d; d itself is never counted. n = 0 returns d unchanged (even if d is not a working day):
 *    "0 working days after the deadline" is the deadline itself, which is where the supervision
 *    ladder puts its chase (催办).
 *    workingDaysBetween(a, b) counts the working days in (a, b] and is negative when b < a, so
 *    workingDaysBetween(d, addWorkingDays(d, n)) === n for every n > 0, and for every n when d is
 *    a working day.
 *
 * Speed: `compileCalendar` builds a table covering the published years plus a margin of
 * provisional years on either side (MARGIN_YEARS_BEFORE / MARGIN_YEARS_AFTER): a working flag per
 * day, prefix sums of working days and of unpublished days, the list of working days and the date
 * strings. Inside the table a deadline is a couple of array reads; outside it the code falls back
 * to walking day by day on weekends alone (every day outside the table is unpublished).
 */
import { z } from 'zod';
import { cnWorkdayCalendarData } from './data.js';
import type { TimeLimitRuleInput } from './rules.js';

/** One published year: holiday ranges (放假, inclusive) and adjusted working weekend days (调休上班). */
export interface CalendarYearData {
  holidays: { name: string; from: string; to: string }[];
  adjustedWorkdays: string[];
}

declare const compiledBrand: unique symbol;

/**
 * A compiled calendar. Build it with `compileCalendar`; its lookup tables are internal, so the
 * type is branded and cannot be written as an object literal.
 */
export interface Calendar {
  /** Years whose official schedule is known, ascending. Every other year is provisional. */
  readonly publishedYears: readonly number[];
  /** 'HH:MM' at which day limits end, or null for the end of the day (23:59:59.999). */
  readonly officeClose: string | null;
  readonly [compiledBrand]: true;
}

/** What `Calendar` hides. Day numbers count days since 1970-01-01; indices count from `firstDay`. */
interface CompiledCalendar {
  readonly publishedYears: readonly number[];
  readonly officeClose: string | null;
  readonly published: ReadonlySet<number>;
  /** Day number of table index 0 (1 January of the first table year). */
  readonly firstDay: number;
  /** Day number of the last table day (31 December of the last table year). */
  readonly lastDay: number;
  readonly length: number;
  /** 1 if the day is a working day. */
  readonly working: Uint8Array;
  /** [i] = number of working days at indices [0, i); length + 1 entries. */
  readonly workBefore: Int32Array;
  /** Indices of the working days, ascending: workList[workBefore[i]] is the first working day >= i. */
  readonly workList: Int32Array;
  /** [i] = number of days in unpublished years at indices [0, i); length + 1 entries. */
  readonly unpubBefore: Int32Array;
  /**
   * 'YYYY-MM-DD' of each index, formatted on first use and kept, so the hot path formats a day once.
   * Not filled up front: the table spans ~30 years (11,000 days) and every workflow run evaluates
   * this module afresh in Temporal's sandbox, where formatting them all was ~40% of the cost of
   * loading the workflow code (test/bench/workflow-load.ts).
   */
  readonly dates: (string | undefined)[];
  /** Milliseconds after local midnight at which a day limit ends. */
  readonly endOfDayMs: number;
  /** 'THH:MM:SS.mmm+08:00' of endOfDayMs. */
  readonly endOfDaySuffix: string;
}

export interface ResolvedDeadline {
  /** Epoch milliseconds of the deadline. */
  dueAtMs: number;
  /** The same instant in ISO-8601 with the +08:00 offset, e.g. 2026-10-09T23:59:59.999+08:00. */
  dueAt: string;
  /** True when the result depends on a year whose holiday schedule is not published yet. */
  provisional: boolean;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Asia/Shanghai is UTC+08:00 all year (no DST since 1991). */
const OFFSET_MS = 8 * HOUR_MS;
const END_OF_DAY_MS = DAY_MS - 1;
/** Provisional years kept in the fast table before the first and after the last published year. */
const MARGIN_YEARS_BEFORE = 5;
const MARGIN_YEARS_AFTER = 10;
/** Table span for a calendar with no published year at all. */
const EMPTY_TABLE_YEARS = [2020, 2040] as const;
/** ECMAScript's Date range: ±100,000,000 days around the epoch. */
const MAX_EPOCH_MS = 8.64e15;
/** Bound on working-day offsets (about 400 years), so a typo cannot walk the fallback loop forever. */
const MAX_WORKING_DAY_OFFSET = 100_000;
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

// ---------------------------------------------------------------------------------------------
// Day numbers (proleptic Gregorian, H. Hinnant's days_from_civil / civil_from_days): integer
// arithmetic only, so nothing depends on Date's local-time methods.

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Returns y * 10000 + m * 100 + d, avoiding an array allocation. */
function civilFromDays(day: number): number {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 10000 + m * 100 + d;
}

/** 0 = Sunday … 6 = Saturday; day 0 (1970-01-01) was a Thursday. */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Value of `len` ASCII digits at `start`, or -1 if any is not a digit. */
function readDigits(s: string, start: number, len: number): number {
  let v = 0;
  for (let i = start; i < start + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Day number of a strict 'YYYY-MM-DD' real calendar date, or undefined. */
function tryParseDay(s: string): number | undefined {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const y = readDigits(s, 0, 4);
  const m = readDigits(s, 5, 2);
  const d = readDigits(s, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  return daysFromCivil(y, m, d);
}

function parseDay(s: string): number {
  const day = typeof s === 'string' ? tryParseDay(s) : undefined;
  if (day === undefined) throw new RangeError(`Invalid date ${JSON.stringify(s)}: expected a real date written YYYY-MM-DD`);
  return day;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function formatDay(day: number): string {
  const ymd = civilFromDays(day);
  const y = Math.floor(ymd / 10000);
  if (y < 0 || y > 9999) throw new RangeError(`Date out of range: year ${y} cannot be written as YYYY-MM-DD`);
  return `${String(y).padStart(4, '0')}-${pad2(Math.floor(ymd / 100) % 100)}-${pad2(ymd % 100)}`;
}

/** 'THH:MM:SS.mmm+08:00' for a time of day in milliseconds after local midnight. */
function timeSuffix(tod: number): string {
  const t = Math.floor(tod);
  const h = Math.floor(t / HOUR_MS);
  const mi = Math.floor(t / MINUTE_MS) % 60;
  const s = Math.floor(t / 1000) % 60;
  const ms = t % 1000;
  return `T${pad2(h)}:${pad2(mi)}:${pad2(s)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}+08:00`;
}

function checkMs(ms: number, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS) {
    throw new RangeError(`${what} must be finite epoch milliseconds, got ${String(ms)}`);
  }
  return ms;
}

/** Shanghai day number of an instant. */
function dayOfMs(ms: number): number {
  return Math.floor((ms + OFFSET_MS) / DAY_MS);
}

const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Epoch ms of 'YYYY-MM-DD' (00:00 in Shanghai) or 'YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]'. A
 * date-time without an offset is Shanghai wall-clock time: Date.parse would read it in the
 * process's zone, which differs between machines.
 */
function parseInstant(s: string): number {
  const m = INSTANT_RE.exec(s);
  const day = m ? tryParseDay(s.slice(0, 10)) : undefined;
  if (!m || day === undefined) {
    throw new RangeError(`Invalid start ${JSON.stringify(s)}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]`);
  }
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(m[7].padEnd(3, '0').slice(0, 3)));
  let offsetMs = OFFSET_MS;
  const off = m[8];
  if (off === 'Z') offsetMs = 0;
  else if (off !== undefined) {
    const oh = Number(off.slice(1, 3));
    const om = Number(off.slice(4, 6));
    if (oh > 23 || om > 59) throw new RangeError(`Invalid start ${JSON.stringify(s)}: bad UTC offset ${off}`);
    offsetMs = (off[0] === '-' ? -1 : 1) * (oh * HOUR_MS + om * MINUTE_MS);
  }
  if (h > 23 || mi > 59 || sec > 59) throw new RangeError(`Invalid start ${JSON.stringify(s)}: time out of range`);
  return day * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + sec * 1000 + ms - offsetMs;
}

function checkOffset(n: number): number {
  if (!Number.isInteger(n) || Math.abs(n) > MAX_WORKING_DAY_OFFSET) {
    throw new RangeError(`Working-day offset must be an integer between -${MAX_WORKING_DAY_OFFSET} and ${MAX_WORKING_DAY_OFFSET}, got ${String(n)}`);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Table lookups. `Calendar` values only come from compileCalendar, so the cast is sound.

function internals(cal: Calendar): CompiledCalendar {
  return cal as unknown as CompiledCalendar;
}

function workingAt(c: CompiledCalendar, day: number): boolean {
  const i = day - c.firstDay;
  if (i >= 0 && i < c.length) return c.working[i] === 1;
  return !isWeekend(day);
}

/** Whether any day in [lo, hi] lies in an unpublished year. Every day outside the table does. */
function anyUnpublished(c: CompiledCalendar, lo: number, hi: number): boolean {
  if (lo > hi) return false;
  if (lo < c.firstDay || hi > c.lastDay) return true;
  return c.unpubBefore[hi - c.firstDay + 1]! - c.unpubBefore[lo - c.firstDay]! > 0;
}

/** Convention 6 on day numbers. */
function addWorkingDaysNum(c: CompiledCalendar, day: number, n: number): number {
  if (n === 0) return day;
  const i = day - c.firstDay;
  if (i >= 0 && i < c.length) {
    // Working days strictly before i are workList[0 .. workBefore[i] - 1]; those strictly after
    // start at workList[workBefore[i + 1]].
    const k = n > 0 ? c.workBefore[i + 1]! + n - 1 : c.workBefore[i]! + n;
    if (k >= 0 && k < c.workList.length) return c.firstDay + c.workList[k]!;
  }
  // Outside the table (or running off its end): walk. Terminates because at least 5 days in 7 are
  // working days outside the table.
  let d = day;
  if (n > 0) {
    for (let left = n; left > 0;) if (workingAt(c, ++d)) left--;
  } else {
    for (let left = -n; left > 0;) if (workingAt(c, --d)) left--;
  }
  return d;
}

/** Monday–Friday in (a, b], a <= b. */
function countWeekdays(a: number, b: number): number {
  if (b <= a) return 0;
  const full = Math.floor((b - a) / 7);
  let count = full * 5;
  for (let d = a + full * 7 + 1; d <= b; d++) if (!isWeekend(d)) count++;
  return count;
}

/** Working days in (a, b], negative when b < a. */
function countWorking(c: CompiledCalendar, a: number, b: number): number {
  if (b < a) return 0 - countWorking(c, b, a); // not -x: that is -0 when x is 0, and -0 !== 0 to Object.is
  const before = c.firstDay - 1; // the table covers (before, lastDay]
  let count = 0;
  if (a < before) count += countWeekdays(a, Math.min(b, before));
  const lo = Math.max(a, before);
  const hi = Math.min(b, c.lastDay);
  if (lo < hi) count += c.workBefore[hi - c.firstDay + 1]! - c.workBefore[lo - c.firstDay + 1]!;
  if (b > c.lastDay) count += countWeekdays(Math.max(a, c.lastDay), b);
  return count;
}

function dateOf(c: CompiledCalendar, day: number): string {
  const i = day - c.firstDay;
  return i >= 0 && i < c.length ? (c.dates[i] ??= formatDay(day)) : formatDay(day);
}

function isoOf(c: CompiledCalendar, ms: number): string {
  const day = dayOfMs(ms);
  return dateOf(c, day) + timeSuffix(ms + OFFSET_MS - day * DAY_MS);
}

function endOfDay(c: CompiledCalendar, day: number, provisional: boolean): ResolvedDeadline {
  return {
    dueAtMs: day * DAY_MS - OFFSET_MS + c.endOfDayMs,
    dueAt: dateOf(c, day) + c.endOfDaySuffix,
    provisional,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation

const isoDateString = (what: string) =>
  z
    .string()
    .refine((s) => tryParseDay(s) !== undefined, {
      error: (iss) => `${what} must be a real date written YYYY-MM-DD, got ${JSON.stringify(iss.input)}`,
    })
    .describe(`${what}, YYYY-MM-DD (Asia/Shanghai calendar date)`);

/** The shape of one published year (the API and the calendar_years table use it). */
export const calendarYearDataSchema = z.object({
  holidays: z
    .array(
      z.object({
        name: z.string().min(1, { error: 'Holiday name must not be empty' }).describe('Name as published, e.g. 春节'),
        from: isoDateString('First day off'),
        to: isoDateString('Last day off (inclusive)'),
      }),
    )
    .describe('Holiday ranges (放假), inclusive, as published by the General Office of the State Council'),
  adjustedWorkdays: z.array(isoDateString('Adjusted working day')).describe('Saturdays and Sundays that are working days (调休上班)'),
});

export type CalendarIssue = { path: (string | number)[]; message: string };

/**
 * Checks one year of schedule data before it may drive statutory deadlines: the shape, real
 * YYYY-MM-DD dates, holiday ranges inside `year` with from <= to and not overlapping, adjusted
 * working days on a Saturday or Sunday of `year`, outside every holiday, listed once. Returns every
 * issue found, each with the path of the offending field.
 */
export function validateCalendarYear(year: number, data: unknown): { ok: true; value: CalendarYearData } | { ok: false; issues: CalendarIssue[] } {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    return { ok: false, issues: [{ path: [], message: `Year must be a four-digit integer, got ${String(year)}` }] };
  }
  const parsed = calendarYearDataSchema.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((iss) => ({
        path: iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: iss.message,
      })),
    };
  }
  const value: CalendarYearData = parsed.data;
  const issues: CalendarIssue[] = [];
  const first = daysFromCivil(year, 1, 1);
  const last = daysFromCivil(year, 12, 31);
  const inYear = (d: number) => d >= first && d <= last;
  const day = (s: string) => tryParseDay(s)!; // the schema has checked every date
  const describe = (i: number) => {
    const h = value.holidays[i]!;
    return `holidays[${i}] ${h.name} (${h.from}..${h.to})`;
  };

  const ranges: { i: number; from: number; to: number }[] = [];
  value.holidays.forEach((h, i) => {
    const from = day(h.from);
    const to = day(h.to);
    let ok = true;
    if (!inYear(from)) {
      issues.push({ path: ['holidays', i, 'from'], message: `Holiday starts on ${h.from}, outside ${year}; each date belongs under the year it falls in` });
      ok = false;
    }
    if (!inYear(to)) {
      issues.push({ path: ['holidays', i, 'to'], message: `Holiday ends on ${h.to}, outside ${year}; each date belongs under the year it falls in` });
      ok = false;
    }
    if (from > to) {
      issues.push({ path: ['holidays', i, 'to'], message: `Holiday ends on ${h.to}, before it starts on ${h.from}` });
      ok = false;
    }
    if (!ok) return;
    for (const r of ranges) {
      if (from <= r.to && r.from <= to) {
        issues.push({ path: ['holidays', i], message: `Holiday ${h.name} (${h.from}..${h.to}) overlaps ${describe(r.i)}` });
      }
    }
    ranges.push({ i, from, to });
  });

  const seen = new Map<number, number>();
  value.adjustedWorkdays.forEach((s, k) => {
    const d = day(s);
    const path = ['adjustedWorkdays', k];
    const earlier = seen.get(d);
    if (earlier !== undefined) {
      issues.push({ path, message: `Adjusted working day ${s} is listed twice (also at adjustedWorkdays[${earlier}])` });
      return;
    }
    seen.set(d, k);
    if (!inYear(d)) {
      issues.push({ path, message: `Adjusted working day ${s} is outside ${year}; each date belongs under the year it falls in` });
    }
    if (!isWeekend(d)) {
      issues.push({
        path,
        message: `Adjusted working day ${s} is a ${WEEKDAY_NAMES[weekday(d)]}; an adjusted working day (调休上班) must be a Saturday or Sunday`,
      });
    }
    for (const r of ranges) {
      if (d >= r.from && d <= r.to) {
        issues.push({ path, message: `Adjusted working day ${s} is inside ${describe(r.i)}; a day cannot be both a holiday and a working day` });
      }
    }
  });

  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

// ---------------------------------------------------------------------------------------------
// Compilation

const OFFICE_CLOSE_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Compiles published years (keyed by four-digit year) into lookup tables. Throws a RangeError
 * naming every issue if a year fails `validateCalendarYear`, because a wrong holiday silently moves
 * statutory deadlines.
 */
export function compileCalendar(years: Record<string, CalendarYearData>, opts: { officeClose?: string } = {}): Calendar {
  let endOfDayMs = END_OF_DAY_MS;
  let officeClose: string | null = null;
  if (opts.officeClose !== undefined) {
    const m = OFFICE_CLOSE_RE.exec(opts.officeClose);
    if (!m || opts.officeClose === '00:00') {
      throw new RangeError(`officeClose must be 'HH:MM' between 00:01 and 23:59, got ${JSON.stringify(opts.officeClose)}`);
    }
    officeClose = opts.officeClose;
    endOfDayMs = Number(m[1]) * HOUR_MS + Number(m[2]) * MINUTE_MS;
  }

  const published: { year: number; data: CalendarYearData }[] = [];
  for (const [key, data] of Object.entries(years)) {
    if (!/^\d{4}$/.test(key)) throw new RangeError(`Calendar year key ${JSON.stringify(key)} is not a four-digit year`);
    const year = Number(key);
    const result = validateCalendarYear(year, data);
    if (!result.ok) {
      const list = result.issues.map((i) => `${i.path.length ? i.path.join('.') : '(year)'}: ${i.message}`).join('; ');
      throw new RangeError(`Invalid calendar data for ${year}: ${list}`);
    }
    published.push({ year, data: result.value });
  }
  published.sort((a, b) => a.year - b.year);

  const firstYear = published.length ? published[0]!.year - MARGIN_YEARS_BEFORE : EMPTY_TABLE_YEARS[0];
  const lastYear = published.length ? published[published.length - 1]!.year + MARGIN_YEARS_AFTER : EMPTY_TABLE_YEARS[1];
  const firstDay = daysFromCivil(firstYear, 1, 1);
  const lastDay = daysFromCivil(lastYear, 12, 31);
  const length = lastDay - firstDay + 1;

  const working = new Uint8Array(length);
  const unpublished = new Uint8Array(length).fill(1);
  for (let i = 0; i < length; i++) working[i] = isWeekend(firstDay + i) ? 0 : 1;
  for (const { year, data } of published) {
    unpublished.fill(0, daysFromCivil(year, 1, 1) - firstDay, daysFromCivil(year, 12, 31) - firstDay + 1);
    for (const h of data.holidays) working.fill(0, parseDay(h.from) - firstDay, parseDay(h.to) - firstDay + 1);
    for (const d of data.adjustedWorkdays) working[parseDay(d) - firstDay] = 1;
  }

  const workBefore = new Int32Array(length + 1);
  const unpubBefore = new Int32Array(length + 1);
  const list: number[] = [];
  const dates = new Array<string | undefined>(length);
  for (let i = 0; i < length; i++) {
    workBefore[i + 1] = workBefore[i]! + working[i]!;
    unpubBefore[i + 1] = unpubBefore[i]! + unpublished[i]!;
    if (working[i] === 1) list.push(i);
  }

  const compiled: CompiledCalendar = {
    publishedYears: Object.freeze(published.map((p) => p.year)),
    officeClose,
    published: new Set(published.map((p) => p.year)),
    firstDay,
    lastDay,
    length,
    working,
    workBefore,
    workList: Int32Array.from(list),
    unpubBefore,
    dates,
    endOfDayMs,
    endOfDaySuffix: timeSuffix(endOfDayMs),
  };
  return Object.freeze(compiled) as unknown as Calendar;
}

/** China's official schedule as copied into data.ts, days ending at 23:59:59.999. */
export const defaultCalendar: Calendar = compileCalendar(cnWorkdayCalendarData.years);

// ---------------------------------------------------------------------------------------------
// Public operations

/** Whether the State Council's schedule for `year` is in the calendar (otherwise: provisional). */
export function isPublishedYear(year: number, cal: Calendar = defaultCalendar): boolean {
  return internals(cal).published.has(year);
}

/** Convention 1. Throws RangeError unless `date` is a real YYYY-MM-DD date. */
export function isWorkingDay(date: string, cal: Calendar = defaultCalendar): boolean {
  return workingAt(internals(cal), parseDay(date));
}

/**
 * Convention 6: the n-th working day after `date` (n > 0), the |n|-th before it (n < 0), `date`
 * itself for n = 0. The date itself is never counted.
 */
export function addWorkingDays(date: string, n: number, cal: Calendar = defaultCalendar): string {
  const c = internals(cal);
  return dateOf(c, addWorkingDaysNum(c, parseDay(date), checkOffset(n)));
}

/** Working days in (a, b]; negative (minus the working days in (b, a]) when b < a. */
export function workingDaysBetween(a: string, b: string, cal: Calendar = defaultCalendar): number {
  return countWorking(internals(cal), parseDay(a), parseDay(b));
}

/**
 * The deadline of a time limit whose start event happened at `start` (epoch ms, a Date, or an ISO
 * string; a string without an offset is Shanghai wall-clock time, a bare date is its midnight).
 * Conventions 2–5. `rule.startsFrom` only tells the caller which event to pass as `start`.
 */
export function resolveDeadline(start: number | string | Date, rule: TimeLimitRuleInput, cal: Calendar = defaultCalendar): ResolvedDeadline {
  const c = internals(cal);
  const startMs = typeof start === 'number' ? checkMs(start, 'start') : typeof start === 'string' ? parseInstant(start) : checkMs(start.getTime(), 'start'); // no instanceof: a Date may come from another realm
  const amount = rule.amount;
  if (!Number.isInteger(amount) || amount <= 0 || amount > 3650) {
    throw new RangeError(`Time limit amount must be an integer from 1 to 3650, got ${String(amount)}`);
  }
  switch (rule.unit) {
    case 'working_day': {
      const startDay = dayOfMs(startMs);
      const due = addWorkingDaysNum(c, startDay, amount);
      return endOfDay(c, due, anyUnpublished(c, startDay + 1, due));
    }
    case 'calendar_day': {
      const lastDay = dayOfMs(startMs) + amount;
      if (rule.extendToWorkingDay === false) return endOfDay(c, lastDay, false);
      const due = workingAt(c, lastDay) ? lastDay : addWorkingDaysNum(c, lastDay, 1);
      return endOfDay(c, due, anyUnpublished(c, lastDay, due));
    }
    case 'hour':
    case 'minute': {
      const dueAtMs = startMs + amount * (rule.unit === 'hour' ? HOUR_MS : MINUTE_MS);
      return { dueAtMs, dueAt: isoOf(c, dueAtMs), provisional: false };
    }
    default:
      throw new RangeError(`Unknown time unit ${JSON.stringify((rule as { unit: unknown }).unit)}`);
  }
}

/**
 * The same Shanghai wall-clock time, on the date moved by n working days (convention 6); used by
 * the supervision ladder, e.g. the reminder at n = -1 and the yellow card at n = +3 from a deadline.
 * Provisional when a day whose status decided the move lies in an unpublished year.
 */
export function shiftByWorkingDays(instantMs: number, n: number, cal: Calendar = defaultCalendar): ResolvedDeadline {
  const c = internals(cal);
  checkMs(instantMs, 'instantMs');
  checkOffset(n);
  const day = dayOfMs(instantMs);
  const tod = instantMs + OFFSET_MS - day * DAY_MS;
  const to = addWorkingDaysNum(c, day, n);
  const dueAtMs = to * DAY_MS - OFFSET_MS + tod;
  return {
    dueAtMs,
    dueAt: dateOf(c, to) + timeSuffix(tod),
    provisional: n > 0 ? anyUnpublished(c, day + 1, to) : anyUnpublished(c, to, day - 1),
  };
}

/** The Asia/Shanghai calendar date (YYYY-MM-DD) of an instant. */
export function shanghaiDate(ms: number): string {
  return dateOf(internals(defaultCalendar), dayOfMs(checkMs(ms, 'ms')));
}

/** An instant as ISO-8601 in Asia/Shanghai, e.g. 2026-10-09T23:59:59.999+08:00. */
export function toShanghaiIso(ms: number): string {
  return isoOf(internals(defaultCalendar), checkMs(ms, 'ms'));
}
