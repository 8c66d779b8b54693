import { z } from 'zod';
import { rungSchema, submitBodySchema, taskStateSchema } from '../domain/task.js';
import { urlIdPattern } from '../domain/ids.js';

const time = z.string().describe('ISO-8601 time with +08:00');

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

export const urlIdSchema = z
  .string()
  .max(200)
  .regex(new RegExp(urlIdPattern), 'not a valid id')
  .describe('Readable id; maps one-to-one to the workflow id (`/` written as `~`)');

export const deadlineSchema = z.object({
  kind: z.enum(['sign-for', 'handle']).describe('签收期限 or 办理期限'),
  dueAt: time,
  provisional: z.boolean().describe('True when the holiday schedule of a year involved is not published yet'),
});

export const extensionSchema = z.object({
  id: z.string(),
  workingDays: z.number().int(),
  reason: z.string(),
  requestedAt: time,
  status: z.enum(['pending', 'approved', 'rejected']),
  decidedAt: time.optional(),
  comment: z.string().optional(),
  previousDueAt: time.optional(),
  newDueAt: time.optional(),
});

export const timelineEntrySchema = z.object({
  seq: z.number().int(),
  at: time,
  type: z.string().describe('e.g. `assigned`, `signed`, `ladder.chase`, `extension.approved`'),
  summary: z.string(),
  actorDepartment: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const taskViewSchema = z.object({
  taskId: urlIdSchema,
  workflowId: z.string(),
  county: z.string(),
  department: z.string(),
  departmentName: z.string(),
  title: z.string(),
  instructions: z.string(),
  matterId: z.string().optional(),
  scenario: z.string().optional(),
  leadDepartment: z.string().optional(),
  outcomes: z.array(z.string()).optional().describe('Outcome codes a submission must choose from'),
  state: taskStateSchema,
  stateName: z.string(),
  assignedAt: time,
  signedAt: time.optional(),
  submittedAt: time.optional(),
  closedAt: time.optional(),
  deadlines: z.array(deadlineSchema),
  currentDeadline: deadlineSchema.optional(),
  overdue: z.boolean(),
  escalationLevel: z.number().int().describe('0 none, 1 reminded, 2 chased, 3 yellow card, 4 red card, 5 escalated'),
  escalations: z.array(z.object({ rung: rungSchema, level: z.number().int(), deadline: z.enum(['sign-for', 'handle']), firedAt: time })),
  extensions: z.array(extensionSchema),
  submission: submitBodySchema.extend({ at: time }).optional(),
  reviews: z.array(z.object({ decision: z.enum(['accept', 'rework']), comment: z.string(), at: time })),
  returned: z.object({ reason: z.string(), suggestedDepartment: z.string().optional(), basis: z.enum(['law', 'duties']).optional(), at: time }).optional(),
  cancelled: z.object({ reason: z.string(), at: time }).optional(),
  reassigned: z.object({ department: z.string(), reason: z.string(), at: time }).optional().describe('The matter moved this step to another department (改派)'),
  lastEventSeq: z.number().int(),
});

export const taskDetailSchema = taskViewSchema.extend({
  timeline: z.array(timelineEntrySchema),
  temporalUiUrl: z.string().describe('This task in the Temporal Web UI'),
});

export const taskSummarySchema = taskViewSchema.pick({
  taskId: true, workflowId: true, county: true, department: true, departmentName: true, title: true, matterId: true,
  state: true, stateName: true, assignedAt: true, currentDeadline: true, overdue: true, escalationLevel: true,
});

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });

export const boolQuery = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true');
