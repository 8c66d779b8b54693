import type { CalendarYearData } from './calendar.js';

/**
 * China's official working-day calendar, copied from `shared/data/cn-workday-calendar.json` so that
 * nothing reads the file system at run time (workflows import this module inside Temporal's
 * deterministic sandbox).
 *
 * To add a year when the State Council publishes it (usually in November): append it to `years`,
 * record the notice in `sources`, run `npx vitest run test/unit/calendar` (the validate test checks
 * every year here). Deadlines that touched the year before it was published carry
 * `provisional: true` and must be re-resolved (ARCHITECTURE: "a calendar update signals open
 * workflows to re-resolve provisional deadlines").
 *
 * Each date is filed under the year it falls in, even when the notice that announced it belongs to
 * the next year (e.g. the 2012 notice made Saturday 2011-12-31 a working day): lookups and
 * validation are per calendar year.
 */
export interface CalendarDataSet {
  /** What the data means, in English. */
  readonly description: string;
  /** Always Asia/Shanghai (UTC+08:00, no daylight saving). */
  readonly timezone: 'Asia/Shanghai';
  /** The State Council notice each year was copied from, keyed by year. */
  readonly sources: Readonly<Record<string, string>>;
  /** The published schedules, keyed by four-digit year. */
  readonly years: Readonly<Record<string, CalendarYearData>>;
}

export const cnWorkdayCalendarData: CalendarDataSet = deepFreeze({
  description:
    'Mainland China public holidays (放假) and adjusted working days (调休上班) as published by the General ' +
    'Office of the State Council. A date is a working day if it is listed in adjustedWorkdays, or it is ' +
    'Monday-Friday and not inside any holiday range. Years not listed here are unpublished: only weekends are known.',
  timezone: 'Asia/Shanghai',
  sources: {
    '2025': '国办发明电〔2024〕12号 (2024-11-12)',
    '2026': '国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)',
  },
  years: {
    '2025': {
      holidays: [
        { name: '元旦', from: '2025-01-01', to: '2025-01-01' },
        { name: '春节', from: '2025-01-28', to: '2025-02-04' },
        { name: '清明节', from: '2025-04-04', to: '2025-04-06' },
        { name: '劳动节', from: '2025-05-01', to: '2025-05-05' },
        { name: '端午节', from: '2025-05-31', to: '2025-06-02' },
        { name: '国庆节、中秋节', from: '2025-10-01', to: '2025-10-08' },
      ],
      adjustedWorkdays: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
    },
    '2026': {
      holidays: [
        { name: '元旦', from: '2026-01-01', to: '2026-01-03' },
        { name: '春节', from: '2026-02-15', to: '2026-02-23' },
        { name: '清明节', from: '2026-04-04', to: '2026-04-06' },
        { name: '劳动节', from: '2026-05-01', to: '2026-05-05' },
        { name: '端午节', from: '2026-06-19', to: '2026-06-21' },
        { name: '中秋节', from: '2026-09-25', to: '2026-09-27' },
        { name: '国庆节', from: '2026-10-01', to: '2026-10-07' },
      ],
      adjustedWorkdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
    },
  },
});

/** Shared, statutory data must not be changed by one caller under another's feet. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
