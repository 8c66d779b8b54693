/**
 * Properties of the working-day arithmetic, checked with fast-check over 2014–2041: the published
 * years, the fast table around them (2020–2036) and the fallback loops outside it. A deliberately
 * naive reference (string dates, one day at a time) pins the fast implementation to the rule
 * "adjusted working day, or Monday–Friday outside every holiday range".
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  addWorkingDays,
  cnWorkdayCalendarData,
  isWorkingDay,
  resolveDeadline,
  shanghaiDate,
  shiftByWorkingDays,
  workingDaysBetween,
} from '../../domain/calendar/index.js';

const DAY_MS = 86_400_000;
const FIRST = Date.UTC(2014, 0, 1);
const LAST = Date.UTC(2041, 11, 31);
const dateOf = (utcMs: number) => new Date(utcMs).toISOString().slice(0, 10);

/** Any date 2014-01-01 … 2041-12-31. */
const dateArb = fc.integer({ min: 0, max: (LAST - FIRST) / DAY_MS }).map((k) => dateOf(FIRST + k * DAY_MS));
const workingDateArb = dateArb.map((d) => (isWorkingDay(d) ? d : addWorkingDays(d, 1)));
const offsetArb = fc.integer({ min: -400, max: 400 });
const nonZeroOffsetArb = offsetArb.filter((n) => n !== 0);
/** Any instant from 2014 to 2041, at any millisecond of the day. */
const instantArb = fc.integer({ min: FIRST - 8 * 3_600_000, max: LAST });

// Reference implementation straight from the published data.
const years = Object.values(cnWorkdayCalendarData.years);
const adjusted = new Set(years.flatMap((y) => y.adjustedWorkdays));
const holidays = years.flatMap((y) => y.holidays);
function refIsWorking(d: string): boolean {
  if (adjusted.has(d)) return true;
  if (holidays.some((h) => h.from <= d && d <= h.to)) return false;
  const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
  return dow !== 0 && dow !== 6;
}
function refAdd(d: string, n: number): string {
  let ms = Date.parse(`${d}T00:00:00Z`);
  for (let left = Math.abs(n); left > 0;) {
    ms += Math.sign(n) * DAY_MS;
    if (refIsWorking(dateOf(ms))) left--;
  }
  return dateOf(ms);
}

describe('working-day arithmetic', () => {
  test('isWorkingDay matches the reference', () => {
    fc.assert(
      fc.property(dateArb, (d) => isWorkingDay(d) === refIsWorking(d)),
      { numRuns: 2000 },
    );
  });

  test('addWorkingDays matches the reference', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -60, max: 60 }), (d, n) => addWorkingDays(d, n) === refAdd(d, n)),
      { numRuns: 1000 },
    );
  });

  test('addWorkingDays lands on a working day for n ≠ 0', () => {
    fc.assert(
      fc.property(dateArb, nonZeroOffsetArb, (d, n) => isWorkingDay(addWorkingDays(d, n))),
      { numRuns: 2000 },
    );
  });

  test('addWorkingDays(d, 0) is d', () => {
    fc.assert(fc.property(dateArb, (d) => addWorkingDays(d, 0) === d));
  });

  test('workingDaysBetween inverts addWorkingDays from a working day', () => {
    fc.assert(
      fc.property(workingDateArb, offsetArb, (d, n) => workingDaysBetween(d, addWorkingDays(d, n)) === n),
      { numRuns: 2000 },
    );
  });

  test('workingDaysBetween inverts addWorkingDays for n > 0 from any day', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 1, max: 400 }), (d, n) => workingDaysBetween(d, addWorkingDays(d, n)) === n),
      { numRuns: 2000 },
    );
  });

  test('addWorkingDays is strictly increasing in n', () => {
    fc.assert(
      fc.property(dateArb, offsetArb, offsetArb, (d, a, b) => {
        fc.pre(a !== b);
        const [lo, hi] = a < b ? [a, b] : [b, a];
        return addWorkingDays(d, lo) < addWorkingDays(d, hi);
      }),
      { numRuns: 2000 },
    );
  });

  test('addWorkingDays is non-decreasing in the date for a fixed n', () => {
    fc.assert(
      fc.property(dateArb, dateArb, nonZeroOffsetArb, (a, b, n) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return addWorkingDays(lo, n) <= addWorkingDays(hi, n);
      }),
      { numRuns: 2000 },
    );
  });

  test('workingDaysBetween is antisymmetric and additive', () => {
    fc.assert(
      fc.property(dateArb, dateArb, dateArb, (a, b, c) => {
        expect(workingDaysBetween(a, b)).toBe(0 - workingDaysBetween(b, a)); // 0 - x: never -0
        expect(workingDaysBetween(a, c)).toBe(workingDaysBetween(a, b) + workingDaysBetween(b, c));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('resolveDeadline', () => {
  test('a working_day deadline is the end of the N-th working day after the start date', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 1, max: 400 }), (start, amount) => {
        const r = resolveDeadline(start, { amount, unit: 'working_day' });
        const due = r.dueAt.slice(0, 10);
        expect(r.dueAt).toBe(`${due}T23:59:59.999+08:00`);
        expect(Date.parse(r.dueAt)).toBe(r.dueAtMs);
        expect(isWorkingDay(due)).toBe(true);
        expect(workingDaysBetween(shanghaiDate(start), due)).toBe(amount);
        expect(r.dueAtMs).toBeGreaterThan(start);
      }),
      { numRuns: 2000 },
    );
  });

  test('provisional exactly when a counted day lies outside 2025–2026', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 1, max: 60 }), (start, amount) => {
        const r = resolveDeadline(start, { amount, unit: 'working_day' });
        const inPublished = (d: string) => d >= '2025-01-01' && d <= '2026-12-31';
        // The counted days run from the day after the start to the due date; every day in that
        // span decides whether it counts.
        const dayAfterStart = dateOf(Date.parse(`${shanghaiDate(start)}T00:00:00Z`) + DAY_MS);
        expect(r.provisional).toBe(!(inPublished(dayAfterStart) && inPublished(r.dueAt.slice(0, 10))));
      }),
      { numRuns: 2000 },
    );
  });

  test('a calendar_day deadline is the first working day on or after start + N (art. 203)', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 1, max: 400 }), fc.boolean(), (start, amount, extend) => {
        const nominal = dateOf(Date.parse(`${shanghaiDate(start)}T00:00:00Z`) + amount * DAY_MS);
        const r = resolveDeadline(start, { amount, unit: 'calendar_day', extendToWorkingDay: extend });
        const due = r.dueAt.slice(0, 10);
        expect(r.dueAt.endsWith('T23:59:59.999+08:00')).toBe(true);
        if (!extend) {
          expect(due).toBe(nominal);
          expect(r.provisional).toBe(false);
        } else {
          expect(due).toBe(isWorkingDay(nominal) ? nominal : addWorkingDays(nominal, 1));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('hour and minute limits are elapsed time', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 1, max: 3650 }), fc.constantFrom('hour' as const, 'minute' as const), (start, amount, unit) => {
        const r = resolveDeadline(start, { amount, unit });
        expect(r.dueAtMs).toBe(start + amount * (unit === 'hour' ? 3_600_000 : 60_000));
        expect(Date.parse(r.dueAt)).toBe(r.dueAtMs);
        expect(r.provisional).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('shiftByWorkingDays', () => {
  test('keeps the wall-clock time and moves the date like addWorkingDays', () => {
    fc.assert(
      fc.property(instantArb, offsetArb, (ms, n) => {
        const r = shiftByWorkingDays(ms, n);
        expect(r.dueAt.slice(0, 10)).toBe(addWorkingDays(shanghaiDate(ms), n));
        expect(Math.abs((r.dueAtMs - ms) % DAY_MS)).toBe(0);
        expect(Date.parse(r.dueAt)).toBe(r.dueAtMs);
      }),
      { numRuns: 2000 },
    );
  });

  test('shifting back undoes shifting forward from a working day', () => {
    fc.assert(
      fc.property(instantArb, offsetArb, (ms, n) => {
        fc.pre(isWorkingDay(shanghaiDate(ms)));
        expect(shiftByWorkingDays(shiftByWorkingDays(ms, n).dueAtMs, -n).dueAtMs).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });
});
