/**
 * validateCalendarYear guards the data that moves statutory deadlines: a schedule typed in by an
 * administrator (or a new year pasted into data.ts) must be rejected with a message and a path
 * that point at the mistake.
 */
import { describe, expect, test } from 'vitest';
import { cnWorkdayCalendarData, compileCalendar, validateCalendarYear, type CalendarYearData } from '../../domain/calendar/index.js';

const ok2025 = cnWorkdayCalendarData.years['2025']!;

/** The 2025 schedule with some fields replaced. */
function year2025(patch: Partial<CalendarYearData>): unknown {
  return { holidays: ok2025.holidays, adjustedWorkdays: ok2025.adjustedWorkdays, ...patch };
}

describe('published data', () => {
  test.each(Object.entries(cnWorkdayCalendarData.years))('%s validates', (year, data) => {
    expect(validateCalendarYear(Number(year), data)).toEqual({ ok: true, value: data });
  });

  test('every published year has a source', () => {
    expect(Object.keys(cnWorkdayCalendarData.sources).sort()).toEqual(Object.keys(cnWorkdayCalendarData.years).sort());
  });

  test('an empty year validates (a year with no holidays is odd but well-formed)', () => {
    expect(validateCalendarYear(2030, { holidays: [], adjustedWorkdays: [] }).ok).toBe(true);
  });
});

describe('semantic errors', () => {
  test.each<[string, number, unknown, { path: (string | number)[]; message: string }[]]>([
    [
      'holiday starting in the previous year',
      2025,
      year2025({ holidays: [{ name: '元旦', from: '2024-12-30', to: '2025-01-01' }] }),
      [{ path: ['holidays', 0, 'from'], message: 'Holiday starts on 2024-12-30, outside 2025; each date belongs under the year it falls in' }],
    ],
    [
      'holiday ending in the next year',
      2025,
      year2025({ holidays: [{ name: '元旦', from: '2025-12-31', to: '2026-01-02' }] }),
      [{ path: ['holidays', 0, 'to'], message: 'Holiday ends on 2026-01-02, outside 2025; each date belongs under the year it falls in' }],
    ],
    [
      'from after to',
      2025,
      year2025({
        holidays: [
          { name: '元旦', from: '2025-01-01', to: '2025-01-01' },
          { name: '清明节', from: '2025-04-06', to: '2025-04-04' },
        ],
      }),
      [{ path: ['holidays', 1, 'to'], message: 'Holiday ends on 2025-04-04, before it starts on 2025-04-06' }],
    ],
    [
      'overlapping ranges',
      2025,
      year2025({
        holidays: [
          { name: '春节', from: '2025-01-28', to: '2025-02-04' },
          { name: '元宵', from: '2025-02-04', to: '2025-02-05' },
        ],
      }),
      [{ path: ['holidays', 1], message: 'Holiday 元宵 (2025-02-04..2025-02-05) overlaps holidays[0] 春节 (2025-01-28..2025-02-04)' }],
    ],
    [
      'adjusted working day on a weekday',
      2025,
      year2025({ adjustedWorkdays: ['2025-09-28', '2025-09-29'] }),
      [
        {
          path: ['adjustedWorkdays', 1],
          message: 'Adjusted working day 2025-09-29 is a Monday; an adjusted working day (调休上班) must be a Saturday or Sunday',
        },
      ],
    ],
    [
      'adjusted working day inside a holiday',
      2025,
      year2025({ adjustedWorkdays: ['2025-02-01'] }),
      [
        {
          path: ['adjustedWorkdays', 0],
          message: 'Adjusted working day 2025-02-01 is inside holidays[1] 春节 (2025-01-28..2025-02-04); a day cannot be both a holiday and a working day',
        },
      ],
    ],
    [
      'adjusted working day in another year',
      2025,
      year2025({ adjustedWorkdays: ['2024-12-28'] }),
      [{ path: ['adjustedWorkdays', 0], message: 'Adjusted working day 2024-12-28 is outside 2025; each date belongs under the year it falls in' }],
    ],
    [
      'duplicate adjusted working day',
      2026,
      { holidays: [], adjustedWorkdays: ['2026-02-14', '2026-02-28', '2026-02-14'] },
      [{ path: ['adjustedWorkdays', 2], message: 'Adjusted working day 2026-02-14 is listed twice (also at adjustedWorkdays[0])' }],
    ],
  ])('%s', (_label, year, data, issues) => {
    expect(validateCalendarYear(year, data)).toEqual({ ok: false, issues });
  });

  test('reports every issue at once', () => {
    const result = validateCalendarYear(2026, {
      holidays: [
        { name: '春节', from: '2026-02-15', to: '2026-02-23' },
        { name: '春节', from: '2026-02-20', to: '2026-02-27' },
        { name: '国庆节', from: '2026-10-07', to: '2026-10-01' },
      ],
      adjustedWorkdays: ['2026-02-16', '2026-03-03', '2026-03-03'],
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual([
      ['holidays', 1],
      ['holidays', 2, 'to'],
      ['adjustedWorkdays', 0], // a Monday...
      ['adjustedWorkdays', 0], // ...inside 春节
      ['adjustedWorkdays', 1],
      ['adjustedWorkdays', 2],
    ]);
  });
});

describe('shape and date-string errors', () => {
  test.each<[string, unknown, (string | number)[], string]>([
    [
      'impossible date',
      year2025({ holidays: [{ name: '春节', from: '2025-02-28', to: '2025-02-30' }] }),
      ['holidays', 0, 'to'],
      'Last day off (inclusive) must be a real date written YYYY-MM-DD, got "2025-02-30"',
    ],
    [
      'slashes',
      year2025({ holidays: [{ name: '元旦', from: '2025/01/01', to: '2025-01-01' }] }),
      ['holidays', 0, 'from'],
      'First day off must be a real date written YYYY-MM-DD, got "2025/01/01"',
    ],
    [
      'missing zero padding',
      year2025({ adjustedWorkdays: ['2025-9-28'] }),
      ['adjustedWorkdays', 0],
      'Adjusted working day must be a real date written YYYY-MM-DD, got "2025-9-28"',
    ],
    [
      'month 13',
      year2025({ adjustedWorkdays: ['2025-09-28', '2025-13-01'] }),
      ['adjustedWorkdays', 1],
      'Adjusted working day must be a real date written YYYY-MM-DD, got "2025-13-01"',
    ],
    [
      'date-time instead of date',
      year2025({ adjustedWorkdays: ['2025-09-28T00:00:00+08:00'] }),
      ['adjustedWorkdays', 0],
      'Adjusted working day must be a real date written YYYY-MM-DD, got "2025-09-28T00:00:00+08:00"',
    ],
    [
      'not a string',
      year2025({ adjustedWorkdays: [20250928 as unknown as string] }),
      ['adjustedWorkdays', 0],
      'Invalid input: expected string, received number',
    ],
    [
      'empty holiday name',
      year2025({ holidays: [{ name: '', from: '2025-01-01', to: '2025-01-01' }] }),
      ['holidays', 0, 'name'],
      'Holiday name must not be empty',
    ],
    ['missing adjustedWorkdays', { holidays: [] }, ['adjustedWorkdays'], 'Invalid input: expected array, received undefined'],
    ['not an object', null, [], 'Invalid input: expected object, received null'],
  ])('%s', (_label, data, path, message) => {
    expect(validateCalendarYear(2025, data)).toEqual({ ok: false, issues: [{ path, message }] });
  });

  test.each([25, 2025.5, Number.NaN, 10000])('rejects year %s', (year) => {
    expect(validateCalendarYear(year, { holidays: [], adjustedWorkdays: [] })).toEqual({
      ok: false,
      issues: [{ path: [], message: `Year must be a four-digit integer, got ${String(year)}` }],
    });
  });
});

describe('compileCalendar refuses what validateCalendarYear rejects', () => {
  test('invalid year data', () => {
    expect(() => compileCalendar({ '2025': year2025({ adjustedWorkdays: ['2025-09-29'] }) as CalendarYearData })).toThrow(
      'Invalid calendar data for 2025: adjustedWorkdays.0: Adjusted working day 2025-09-29 is a Monday',
    );
  });

  test('a key that is not a four-digit year', () => {
    expect(() => compileCalendar({ '25': { holidays: [], adjustedWorkdays: [] } })).toThrow(RangeError);
  });

  test('validation returns a copy: later edits to the input do not change a compiled calendar', () => {
    const data = { holidays: [{ name: '国庆节', from: '2030-10-01', to: '2030-10-07' }], adjustedWorkdays: [] as string[] };
    const result = validateCalendarYear(2030, data);
    expect(result.ok && result.value).toEqual(data);
    expect(result.ok && result.value).not.toBe(data);
  });
});
