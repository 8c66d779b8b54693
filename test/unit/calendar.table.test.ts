/**
 * Hand-checked deadlines around the 2025 and 2026 holiday breaks. Every expected value was worked
 * out by hand from shared/data/cn-workday-calendar.json and a wall calendar; the reasoning is in
 * the comment above each group ("wd" = working day, (n) = the n-th counted working day). The start
 * day is never counted (民法典 art. 201); day limits end at 23:59:59.999 +08:00.
 */
import { describe, expect, test } from 'vitest';
import {
  addWorkingDays,
  compileCalendar,
  cnWorkdayCalendarData,
  isPublishedYear,
  isWorkingDay,
  resolveDeadline,
  shanghaiDate,
  shiftByWorkingDays,
  toShanghaiIso,
  workingDaysBetween,
  type TimeLimitRuleInput,
} from '../../domain/calendar/index.js';

const EOD = 'T23:59:59.999+08:00';
type Case = [start: string, rule: TimeLimitRuleInput, dueAt: string, provisional: boolean];
const wd = (amount: number): TimeLimitRuleInput => ({ amount, unit: 'working_day' });
const cd = (amount: number, extendToWorkingDay?: boolean): TimeLimitRuleInput =>
  extendToWorkingDay === undefined ? { amount, unit: 'calendar_day' } : { amount, unit: 'calendar_day', extendToWorkingDay };
/** 10:00 in Shanghai on a date: the time of day never matters for day limits. */
const at10 = (date: string) => `${date}T10:00+08:00`;

function check([start, rule, dueAt, provisional]: Case) {
  const r = resolveDeadline(start, rule);
  expect(r).toEqual({ dueAt, dueAtMs: Date.parse(dueAt), provisional });
}

describe('working_day limits, 2025 Spring Festival', () => {
  // 春节 off Tue 01-28 .. Tue 02-04; 调休 Sun 01-26 and Sat 02-08 are working days.
  // Fri 01-24 → Sat 25 off, (1) Sun 26, (2) Mon 27, break, (3) Wed 02-05.
  // Mon 01-27 → (1) 02-05 Wed, (2) 06, (3) 07, (4) Sat 08, (5) Mon 10, (6) 11, (7) 12, (8) 13,
  //   (9) 14, (10) 17, (11) 18, (12) 19, (13) 20, (14) 21, (15) Mon 24.
  // Holiday Thu 01-30 → same counting as from 01-27: (1) 02-05 … (7) 02-12.
  // Adjusted Sun 01-26 → (1) Mon 27, (2) Wed 02-05. Adjusted Sat 02-08 → Sun 09 off, (1) Mon 10.
  // Mon 01-20 → (1) 21, (2) 22, (3) 23, (4) 24, (5) Sun 26, (6) 27, (7) 02-05, (8) 06, (9) 07,
  //   (10) Sat 08, (11) 10, (12) 11, (13) 12, (14) 13, (15) 14, (16) 17, (17) 18, (18) 19, (19) 20, (20) 21.
  test.each<Case>([
    [at10('2025-01-24'), wd(1), `2025-01-26${EOD}`, false],
    [at10('2025-01-24'), wd(3), `2025-02-05${EOD}`, false],
    [at10('2025-01-27'), wd(1), `2025-02-05${EOD}`, false],
    [at10('2025-01-27'), wd(5), `2025-02-10${EOD}`, false],
    [at10('2025-01-27'), wd(15), `2025-02-24${EOD}`, false],
    [at10('2025-01-30'), wd(1), `2025-02-05${EOD}`, false],
    [at10('2025-01-30'), wd(7), `2025-02-12${EOD}`, false],
    [at10('2025-01-26'), wd(1), `2025-01-27${EOD}`, false],
    [at10('2025-01-26'), wd(3), `2025-02-06${EOD}`, false],
    [at10('2025-02-08'), wd(1), `2025-02-10${EOD}`, false],
    [at10('2025-01-20'), wd(20), `2025-02-21${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('working_day limits, 2025 Labour Day', () => {
  // 劳动节 off Thu 05-01 .. Mon 05-05; 调休 Sun 04-27; 端午 off Sat 05-31 .. Mon 06-02.
  // Fri 04-25 → Sat 26 off, (1) Sun 27, (2) Mon 28, (3) 29, (4) 30, (5) Tue 05-06.
  // Wed 04-30 → (1) 05-06, (2) 07, (3) 08, (4) 09, (5) Mon 12, (6)–(9) 13–16, (10)–(14) 19–23,
  //   (15)–(19) 26–30, 端午 05-31..06-02, (20) Tue 06-03.
  // Holiday Thu 05-01 → (1) 05-06, (3) 05-08.
  test.each<Case>([
    [at10('2025-04-25'), wd(1), `2025-04-27${EOD}`, false],
    [at10('2025-04-25'), wd(3), `2025-04-29${EOD}`, false],
    [at10('2025-04-25'), wd(5), `2025-05-06${EOD}`, false],
    [at10('2025-04-30'), wd(1), `2025-05-06${EOD}`, false],
    [at10('2025-04-30'), wd(5), `2025-05-12${EOD}`, false],
    [at10('2025-04-30'), wd(20), `2025-06-03${EOD}`, false],
    [at10('2025-05-01'), wd(1), `2025-05-06${EOD}`, false],
    [at10('2025-05-01'), wd(3), `2025-05-08${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('working_day limits, 2025 National Day', () => {
  // 国庆节、中秋节 off Wed 10-01 .. Wed 10-08; 调休 Sun 09-28 and Sat 10-11.
  // Fri 09-26 → Sat 27 off, (1) Sun 28, (2) Mon 29, (3) Tue 30, (4) Thu 10-09, (5) Fri 10,
  //   (6) Sat 11, Sun 12 off, (7) Mon 13.
  // Adjusted Sun 09-28 → (1) 29, (2) 30, (3) 10-09, (4) 10, (5) Sat 11.
  // Tue 09-30 → (1) 10-09, (2) 10, (3) Sat 11, (4)–(8) 13–17, (9)–(13) 20–24, (14) 27, (15) 28,
  //   (16) 29, (17) 30, (18) 31, (19) Mon 11-03, (20) Tue 11-04.
  // Holiday Sun 10-05 → (1) 10-09.
  test.each<Case>([
    [at10('2025-09-26'), wd(1), `2025-09-28${EOD}`, false],
    [at10('2025-09-26'), wd(3), `2025-09-30${EOD}`, false],
    [at10('2025-09-26'), wd(5), `2025-10-10${EOD}`, false],
    [at10('2025-09-26'), wd(7), `2025-10-13${EOD}`, false],
    [at10('2025-09-28'), wd(1), `2025-09-29${EOD}`, false],
    [at10('2025-09-28'), wd(3), `2025-10-09${EOD}`, false],
    [at10('2025-09-28'), wd(5), `2025-10-11${EOD}`, false],
    [at10('2025-09-30'), wd(1), `2025-10-09${EOD}`, false],
    [at10('2025-09-30'), wd(3), `2025-10-11${EOD}`, false],
    [at10('2025-09-30'), wd(15), `2025-10-28${EOD}`, false],
    [at10('2025-09-30'), wd(20), `2025-11-04${EOD}`, false],
    [at10('2025-10-05'), wd(1), `2025-10-09${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('working_day limits, 2026 Spring Festival', () => {
  // 春节 off Sun 02-15 .. Mon 02-23; 调休 Sat 02-14 and Sat 02-28 are working days.
  // Fri 02-13 → (1) Sat 14, break, (2) Tue 24, (3) 25, (4) 26, (5) 27, (6) Sat 28, Sun 03-01 off,
  //   (7) Mon 03-02, (8) 3, (9) 4, (10) 5, (11) 6, (12) 9, (13) 10, (14) 11, (15) 12, (16) 13,
  //   (17) 16, (18) 17, (19) 18, (20) Thu 19.
  // Adjusted Sat 02-14 → (1) 24, (2) 25, (3) 26, (4) 27, (5) Sat 28, (6) Mon 03-02, (7) 03.
  // Adjusted Sat 02-28 → Sun off, (1) Mon 03-02, (2) 03, (3) 04.
  // Holiday Tue 02-17 → (1) 24 … (5) Sat 28.
  test.each<Case>([
    [at10('2026-02-13'), wd(1), `2026-02-14${EOD}`, false],
    [at10('2026-02-13'), wd(3), `2026-02-25${EOD}`, false],
    [at10('2026-02-13'), wd(15), `2026-03-12${EOD}`, false],
    [at10('2026-02-13'), wd(20), `2026-03-19${EOD}`, false],
    [at10('2026-02-14'), wd(1), `2026-02-24${EOD}`, false],
    [at10('2026-02-14'), wd(5), `2026-02-28${EOD}`, false],
    [at10('2026-02-14'), wd(7), `2026-03-03${EOD}`, false],
    [at10('2026-02-28'), wd(1), `2026-03-02${EOD}`, false],
    [at10('2026-02-28'), wd(3), `2026-03-04${EOD}`, false],
    [at10('2026-02-17'), wd(1), `2026-02-24${EOD}`, false],
    [at10('2026-02-17'), wd(5), `2026-02-28${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('working_day limits, 2026 Labour Day', () => {
  // 劳动节 off Fri 05-01 .. Tue 05-05; 调休 Sat 05-09.
  // Thu 04-30 → (1) Wed 05-06, (2) 07, (3) 08, (4) Sat 09, Sun 10 off, (5) Mon 11, (6)–(9) 12–15,
  //   (10)–(14) 18–22, (15)–(19) 25–29, (20) Mon 06-01.
  // Holiday Fri 05-01 → (1) 05-06. Adjusted Sat 05-09 → Sun off, (1) Mon 11.
  test.each<Case>([
    [at10('2026-04-30'), wd(1), `2026-05-06${EOD}`, false],
    [at10('2026-04-30'), wd(3), `2026-05-08${EOD}`, false],
    [at10('2026-04-30'), wd(5), `2026-05-11${EOD}`, false],
    [at10('2026-04-30'), wd(20), `2026-06-01${EOD}`, false],
    [at10('2026-05-01'), wd(1), `2026-05-06${EOD}`, false],
    [at10('2026-05-09'), wd(1), `2026-05-11${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('working_day limits, 2026 Mid-Autumn and National Day', () => {
  // 中秋节 off Fri 09-25 .. Sun 09-27, 调休 Sun 09-20; 国庆节 off Thu 10-01 .. Wed 10-07, 调休 Sat 10-10.
  // Fri 09-18 → Sat 19 off, (1) Sun 20, (2) 21, (3) 22, (4) 23, (5) Thu 24, 中秋, (6) Mon 28,
  //   (7) 29, (8) 30, 国庆, (9) Thu 10-08, (10) 09, (11) Sat 10, (12) Mon 12, (13) 13, (14) 14,
  //   (15) 15, (16) 16, (17) 19, (18) 20, (19) 21, (20) Thu 22.
  // Wed 09-30 → (1) Thu 10-08, (2) Fri 09, (3) Sat 10, (4) Mon 12, (5) Tue 13.
  // Thu 09-24 → 中秋 25–27, (1) Mon 28. Holiday Sat 10-03 → (1) 08, (3) Sat 10.
  // Adjusted Sat 10-10 → Sun off, (1) Mon 12.
  test.each<Case>([
    [at10('2026-09-18'), wd(1), `2026-09-20${EOD}`, false],
    [at10('2026-09-18'), wd(5), `2026-09-24${EOD}`, false],
    [at10('2026-09-18'), wd(7), `2026-09-29${EOD}`, false],
    [at10('2026-09-18'), wd(15), `2026-10-15${EOD}`, false],
    [at10('2026-09-18'), wd(20), `2026-10-22${EOD}`, false],
    [at10('2026-09-30'), wd(1), `2026-10-08${EOD}`, false],
    [at10('2026-09-30'), wd(3), `2026-10-10${EOD}`, false],
    [at10('2026-09-30'), wd(5), `2026-10-13${EOD}`, false],
    [at10('2026-09-24'), wd(1), `2026-09-28${EOD}`, false],
    [at10('2026-10-03'), wd(1), `2026-10-08${EOD}`, false],
    [at10('2026-10-03'), wd(3), `2026-10-10${EOD}`, false],
    [at10('2026-10-10'), wd(1), `2026-10-12${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('the start date is the Shanghai date of the start instant, whatever the time of day', () => {
  // 2026-09-29T15:30Z is Tue 09-29 23:30 in Shanghai → (1) Wed 09-30.
  // 2026-09-29T16:30Z is Wed 09-30 00:30 in Shanghai → (1) Thu 10-08 (after 国庆).
  // A date-time without an offset is Shanghai wall-clock time; a bare date is its midnight.
  test.each<Case>([
    ['2026-09-29T15:30:00Z', wd(1), `2026-09-30${EOD}`, false],
    ['2026-09-29T16:30:00Z', wd(1), `2026-10-08${EOD}`, false],
    ['2026-09-30T23:59:59.999+08:00', wd(1), `2026-10-08${EOD}`, false],
    ['2026-09-30T00:00:00.000+08:00', wd(1), `2026-10-08${EOD}`, false],
    ['2026-09-29T23:30', wd(1), `2026-09-30${EOD}`, false],
    ['2026-09-30', wd(1), `2026-10-08${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));

  test('epoch ms, Date and string starts agree', () => {
    const ms = Date.parse('2026-02-13T09:00:00+08:00');
    const expected = resolveDeadline('2026-02-13T09:00', wd(3));
    expect(resolveDeadline(ms, wd(3))).toEqual(expected);
    expect(resolveDeadline(new Date(ms), wd(3))).toEqual(expected);
    expect(expected.dueAt).toBe(`2026-02-25${EOD}`);
  });
});

describe('calendar_day limits across a holiday', () => {
  // Last day = start date + N. If it is not a working day the limit ends with the next working day
  // (民法典 art. 203) unless extendToWorkingDay is false.
  // Mon 2026-09-28 + 3 = Thu 10-01 (国庆) → next working day Thu 10-08; without extension 10-01.
  // Holiday Thu 2026-10-01 + 3 = Sun 10-04 (国庆) → 10-08.
  // Mon 2025-09-29 + 7 = Mon 10-06 (国庆) → Thu 10-09; without extension 10-06.
  // Holiday Thu 2025-10-02 + 3 (行刑衔接 "within 3 days") = Sun 10-05 (国庆) → Thu 10-09.
  // Tue 2026-02-10 + 5 = Sun 02-15 (春节) → Tue 02-24; without extension 02-15.
  // Mon 2026-02-09 + 5 = Sat 02-14, an adjusted working day: no extension needed.
  // Thu 2025-04-24 + 3 = Sun 04-27, an adjusted working day: stays.
  // Thu 2026-03-05 + 3 = plain Sunday 03-08 → Mon 03-09; without extension 03-08.
  // Thu 2026-04-30 + 30 = Sat 05-30 → Mon 06-01.
  test.each<Case>([
    [at10('2026-09-28'), cd(3), `2026-10-08${EOD}`, false],
    [at10('2026-09-28'), cd(3, true), `2026-10-08${EOD}`, false],
    [at10('2026-09-28'), cd(3, false), `2026-10-01${EOD}`, false],
    [at10('2026-10-01'), cd(3), `2026-10-08${EOD}`, false],
    [at10('2025-09-29'), cd(7), `2025-10-09${EOD}`, false],
    [at10('2025-09-29'), cd(7, false), `2025-10-06${EOD}`, false],
    [at10('2025-10-02'), cd(3), `2025-10-09${EOD}`, false],
    [at10('2026-02-10'), cd(5), `2026-02-24${EOD}`, false],
    [at10('2026-02-10'), cd(5, false), `2026-02-15${EOD}`, false],
    [at10('2026-02-09'), cd(5), `2026-02-14${EOD}`, false],
    [at10('2025-04-24'), cd(3), `2025-04-27${EOD}`, false],
    [at10('2026-03-05'), cd(3), `2026-03-09${EOD}`, false],
    [at10('2026-03-05'), cd(3, false), `2026-03-08${EOD}`, false],
    [at10('2026-04-30'), cd(30), `2026-06-01${EOD}`, false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('hour and minute limits run through holidays', () => {
  // Plain elapsed time from the start instant; never provisional.
  test.each<Case>([
    ['2026-09-30T18:00+08:00', { amount: 24, unit: 'hour' }, '2026-10-01T18:00:00.000+08:00', false],
    ['2026-02-14T20:30+08:00', { amount: 72, unit: 'hour' }, '2026-02-17T20:30:00.000+08:00', false],
    ['2025-09-30T23:30+08:00', { amount: 45, unit: 'minute' }, '2025-10-01T00:15:00.000+08:00', false],
    ['2026-10-01T09:15+08:00', { amount: 1440, unit: 'minute' }, '2026-10-02T09:15:00.000+08:00', false],
    ['2025-01-27T16:00:00Z', { amount: 24, unit: 'hour' }, '2025-01-29T00:00:00.000+08:00', false],
    // Into the unpublished year 2027: elapsed time does not depend on the schedule.
    ['2026-12-31T12:00+08:00', { amount: 24, unit: 'hour' }, '2027-01-01T12:00:00.000+08:00', false],
  ])('%s + %o → %s', (...c) => check(c));
});

describe('provisional years (2027 is not published: weekends only)', () => {
  // Fri 2027-02-05 → (1) Mon 02-08, although 2027's Spring Festival will almost certainly be off.
  // Thu 2027-09-30 → (1) Fri 10-01, (2) Mon 04, (3) 05, (4) 06, (5) Thu 07: weekends only.
  // Fri 2026-12-25 → (1) Mon 28, (2) 29, (3) 30, (4) Thu 31, (5) Fri 2027-01-01: touches 2027.
  // Thu 2026-12-24 → (1) Fri 25, (2) 28, (3) 29, (4) 30, (5) Thu 31: stays inside 2026.
  // Thu 2026-12-31 → (1) Fri 2027-01-01.
  // Calendar days: Sun 2026-12-20 + 10 = Wed 12-30, working, 2026 only.
  //   Mon 2026-12-28 + 5 = Sat 2027-01-02 → Mon 2027-01-04 (needs 2027); without extension the
  //   result needs no schedule at all.
  // Tue 2024-12-31 (2024 not in the data) → (1) 2025-01-02 (01-01 is 元旦): only 2025 was consulted.
  // Fri 2024-12-27 → (1) Mon 12-30 and (2) Tue 12-31 are 2024 days → provisional; (3) 2025-01-02.
  test.each<Case>([
    [at10('2027-02-05'), wd(1), `2027-02-08${EOD}`, true],
    [at10('2027-09-30'), wd(5), `2027-10-07${EOD}`, true],
    [at10('2026-12-25'), wd(5), `2027-01-01${EOD}`, true],
    [at10('2026-12-24'), wd(5), `2026-12-31${EOD}`, false],
    [at10('2026-12-31'), wd(1), `2027-01-01${EOD}`, true],
    [at10('2026-12-20'), cd(10), `2026-12-30${EOD}`, false],
    [at10('2026-12-28'), cd(5), `2027-01-04${EOD}`, true],
    [at10('2026-12-28'), cd(5, false), `2027-01-02${EOD}`, false],
    [at10('2024-12-31'), wd(1), `2025-01-02${EOD}`, false],
    [at10('2024-12-27'), wd(3), `2025-01-02${EOD}`, true],
  ])('%s + %o → %s', (...c) => check(c));

  test('published years', () => {
    expect(isPublishedYear(2025)).toBe(true);
    expect(isPublishedYear(2026)).toBe(true);
    expect(isPublishedYear(2024)).toBe(false);
    expect(isPublishedYear(2027)).toBe(false);
  });
});

describe('isWorkingDay', () => {
  test.each<[string, boolean, string]>([
    ['2025-01-01', false, '元旦 on a Wednesday'],
    ['2025-01-25', false, 'plain Saturday'],
    ['2025-01-26', true, '调休 Sunday before 春节'],
    ['2025-01-28', false, 'first day of 春节'],
    ['2025-02-04', false, 'last day of 春节 (ranges are inclusive)'],
    ['2025-02-05', true, 'first Wednesday after 春节'],
    ['2025-02-08', true, '调休 Saturday after 春节'],
    ['2025-02-09', false, 'plain Sunday'],
    ['2025-04-27', true, '调休 Sunday before 劳动节'],
    ['2025-05-05', false, 'Monday inside 劳动节'],
    ['2025-09-28', true, '调休 Sunday before 国庆'],
    ['2025-10-08', false, 'Wednesday, last day of 国庆'],
    ['2025-10-11', true, '调休 Saturday after 国庆'],
    ['2025-10-12', false, 'plain Sunday'],
    ['2026-01-03', false, 'Saturday inside 元旦'],
    ['2026-01-04', true, '调休 Sunday after 元旦'],
    ['2026-02-14', true, '调休 Saturday before 春节'],
    ['2026-02-15', false, 'Sunday, first day of 春节'],
    ['2026-02-23', false, 'Monday, last day of 春节'],
    ['2026-02-28', true, '调休 Saturday after 春节'],
    ['2026-03-01', false, 'plain Sunday'],
    ['2026-03-07', false, 'plain Saturday'],
    ['2026-03-10', true, 'plain Tuesday'],
    ['2026-05-09', true, '调休 Saturday after 劳动节'],
    ['2026-09-20', true, '调休 Sunday before 中秋'],
    ['2026-09-25', false, 'Friday, 中秋'],
    ['2026-10-07', false, 'Wednesday, last day of 国庆'],
    ['2026-10-10', true, '调休 Saturday after 国庆'],
    ['2026-10-11', false, 'plain Sunday'],
    ['2027-01-01', true, 'provisional: a Friday, and 2027 is not published'],
    ['2027-02-06', false, 'provisional: a Saturday'],
    ['2027-10-01', true, 'provisional: a Friday (国庆 not yet published)'],
  ])('%s → %s (%s)', (date, expected) => {
    expect(isWorkingDay(date)).toBe(expected);
  });

  test.each(['2026-02-30', '2026-2-3', '2026/02/03', '', '2026-02-03T00:00'])('rejects %j', (bad) => {
    expect(() => isWorkingDay(bad)).toThrow(RangeError);
  });
});

describe('addWorkingDays and workingDaysBetween', () => {
  // 02-24 −1 → 02-14 (春节 15–23 skipped), −2 → Fri 02-13. 10-09 −1 → Tue 09-30 (2025 国庆).
  // n = 0 returns the date unchanged, even a holiday.
  test.each<[string, number, string]>([
    ['2026-02-13', 1, '2026-02-14'],
    ['2026-02-24', -1, '2026-02-14'],
    ['2026-02-24', -2, '2026-02-13'],
    ['2025-10-09', -1, '2025-09-30'],
    ['2025-10-05', -1, '2025-09-30'],
    ['2026-10-08', 0, '2026-10-08'],
    ['2026-10-03', 0, '2026-10-03'],
    ['2026-09-30', 5, '2026-10-13'],
  ])('%s %+d → %s', (date, n, expected) => {
    expect(addWorkingDays(date, n)).toBe(expected);
  });

  // (09-30, 10-13] holds 08, 09, Sat 10, 12, 13 = 5; 2025 (01-27, 02-24] = 15 (see above);
  // (10-01, 10-07] is all 国庆 = 0.
  test.each<[string, string, number]>([
    ['2026-09-30', '2026-10-13', 5],
    ['2026-10-13', '2026-09-30', -5],
    ['2025-01-27', '2025-02-24', 15],
    ['2026-10-01', '2026-10-07', 0],
    ['2026-10-07', '2026-10-07', 0],
    ['2026-10-07', '2026-10-01', 0], // +0, not -0
    ['2026-02-13', '2026-02-24', 2],
  ])('(%s, %s] → %d', (a, b, expected) => {
    expect(workingDaysBetween(a, b)).toBe(expected);
  });

  test('rejects a non-integer offset', () => {
    expect(() => addWorkingDays('2026-01-05', 1.5)).toThrow(RangeError);
  });
});

describe('shiftByWorkingDays: the supervision ladder', () => {
  // Deadline Fri 2026-10-09 end of day: reminder −1 → Thu 10-08; chase 0 → the deadline itself;
  // yellow +3 → (1) Sat 10, (2) Mon 12, (3) Tue 13; red +5 → (4) 14, (5) Thu 15.
  const deadline = Date.parse(`2026-10-09${EOD}`);
  test.each<[number, string]>([
    [-1, `2026-10-08${EOD}`],
    [0, `2026-10-09${EOD}`],
    [3, `2026-10-13${EOD}`],
    [5, `2026-10-15${EOD}`],
  ])('%+d → %s', (n, dueAt) => {
    expect(shiftByWorkingDays(deadline, n)).toEqual({ dueAt, dueAtMs: Date.parse(dueAt), provisional: false });
  });

  // Keeps the wall-clock time: Wed 2026-09-30 17:30 −1 → Tue 09-29, +1 → Thu 10-08, +3 → Sat 10-10.
  test.each<[number, string]>([
    [-1, '2026-09-29T17:30:00.000+08:00'],
    [1, '2026-10-08T17:30:00.000+08:00'],
    [3, '2026-10-10T17:30:00.000+08:00'],
  ])('17:30 deadline %+d → %s', (n, dueAt) => {
    expect(shiftByWorkingDays(Date.parse('2026-09-30T17:30:00+08:00'), n).dueAt).toBe(dueAt);
  });

  // Thu 2026-12-31 +3 → Fri 2027-01-01, Mon 04, Tue 05 (provisional); −1 → Wed 12-30 (not).
  test('into 2027 is provisional', () => {
    const end2026 = Date.parse(`2026-12-31${EOD}`);
    expect(shiftByWorkingDays(end2026, 3)).toEqual({ dueAt: `2027-01-05${EOD}`, dueAtMs: Date.parse(`2027-01-05${EOD}`), provisional: true });
    expect(shiftByWorkingDays(end2026, -1).provisional).toBe(false);
    expect(shiftByWorkingDays(end2026, 0).provisional).toBe(false);
  });
});

describe('officeClose', () => {
  // Same 5-working-day limit from Wed 2026-09-30 as above (Tue 10-13), ending when the office closes.
  test('day limits end at office close', () => {
    const cal = compileCalendar(cnWorkdayCalendarData.years, { officeClose: '17:30' });
    const r = resolveDeadline(at10('2026-09-30'), wd(5), cal);
    expect(r).toEqual({ dueAt: '2026-10-13T17:30:00.000+08:00', dueAtMs: Date.parse('2026-10-13T17:30:00+08:00'), provisional: false });
    expect(resolveDeadline(at10('2026-09-28'), cd(3), cal).dueAt).toBe('2026-10-08T17:30:00.000+08:00');
    expect(cal.officeClose).toBe('17:30');
  });

  test.each(['5:30', '24:00', '17:60', '00:00', 'noon'])('rejects %j', (officeClose) => {
    expect(() => compileCalendar({}, { officeClose })).toThrow(RangeError);
  });
});

describe('formatting and argument checks', () => {
  test('shanghaiDate and toShanghaiIso use +08:00 whatever the process zone', () => {
    expect(toShanghaiIso(0)).toBe('1970-01-01T08:00:00.000+08:00');
    expect(toShanghaiIso(Date.parse('2026-10-09T15:59:59.999Z'))).toBe(`2026-10-09${EOD}`);
    expect(shanghaiDate(Date.parse('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
    expect(shanghaiDate(Date.parse('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31');
  });

  test.each<[unknown, TimeLimitRuleInput]>([
    ['2026-13-01', wd(1)],
    ['yesterday', wd(1)],
    [Number.NaN, wd(1)],
    [at10('2026-03-02'), { amount: 0, unit: 'working_day' }],
    [at10('2026-03-02'), { amount: 1.5, unit: 'working_day' }],
    [at10('2026-03-02'), { amount: 3651, unit: 'calendar_day' }],
    [at10('2026-03-02'), { amount: 1, unit: 'week' as 'hour' }],
  ])('resolveDeadline(%j, %j) throws RangeError', (start, rule) => {
    expect(() => resolveDeadline(start as string, rule)).toThrow(RangeError);
  });
});
