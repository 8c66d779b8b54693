import { z } from 'zod';

/**
 * Years accepted anywhere a date or time comes in (as the calendar's own routes): PostgreSQL and
 * the working-day calendar handle every instant of them, and limits counted from them.
 */
export const minYear = 1990;
export const maxYear = 2200;
/** Only the year: a string that does not start with one is the format check's to refuse (one issue, not two). */
const inYears = (s: string) => {
  const year = /^(\d{4})-/.exec(s)?.[1];
  return year === undefined || (Number(year) >= minYear && Number(year) <= maxYear);
};
const yearsMessage = `year must be between ${minYear} and ${maxYear}`;

/** An ISO-8601 time with `Z` or an offset, in the accepted years: query parameters and cursor fields. */
export const isoDateTimeSchema = z.iso.datetime({ offset: true }).refine(inYears, yearsMessage);
/** An ISO-8601 date (YYYY-MM-DD) in the accepted years. */
export const isoDateSchema = z.iso.date().refine(inYears, yearsMessage);
