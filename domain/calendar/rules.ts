import { z } from 'zod';

/**
 * Statutory time limits (DOMAIN §4). 行政处罚法 art. 85 and 行政强制法 art. 69 make their short
 * limits working days; other statutes count calendar days unless they say 工作日; minute and hour
 * limits run through holidays. How each unit resolves to an instant: `resolveDeadline` in
 * `calendar.ts`.
 */
export const timeUnitSchema = z
  .enum(['working_day', 'calendar_day', 'hour', 'minute'])
  .describe(
    'working_day: official working days (holidays and adjusted working weekends 调休 applied); ' +
      'calendar_day: every day counts; hour / minute: elapsed time, running through holidays',
  );
export type TimeUnit = z.infer<typeof timeUnitSchema>;

export const timeLimitRuleSchema = z.object({
  amount: z.number().int().positive().max(3650).describe('Length of the time limit in `unit`s, e.g. 5 for "within 5 working days"'),
  unit: timeUnitSchema.describe(
    'Unit of `amount`. Day units end at the end of their last day (23:59:59.999 +08:00, or office close); ' +
      'the start day itself is not counted (民法典 art. 201)',
  ),
  startsFrom: z
    .enum(['assignment', 'sign-for', 'previous-step', 'matter-opened', 'submission'])
    .default('assignment')
    .describe(
      'Event that starts the clock: assignment (交办), sign-for (签收), completion of the previous step, ' +
        'the opening of the matter (e.g. receipt of the complaint) or the submission (review clocks)',
    ),
  // Only meaningful for calendar_day: a working_day limit always ends on a working day, and hour /
  // minute limits are elapsed time by definition.
  extendToWorkingDay: z
    .boolean()
    .optional()
    .describe(
      'calendar_day only: when the last day is a holiday or rest day the limit ends with the next working day ' +
        '(民法典 art. 203). Default true; false keeps the last calendar day',
    ),
});
/** A parsed rule (`startsFrom` filled in). */
export type TimeLimitRule = z.infer<typeof timeLimitRuleSchema>;
/** A rule as written in a catalogue or request (`startsFrom` optional). */
export type TimeLimitRuleInput = z.input<typeof timeLimitRuleSchema>;
