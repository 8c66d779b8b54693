import { z } from 'zod';
import { rungSchema, submitBodySchema, taskStateSchema } from '../domain/task.js';
import { urlIdPattern } from '../domain/ids.js';

const time = z.string().describe('ISO-8601 time with +08:00');

export { isoDateSchema, isoDateTimeSchema, maxYear, minYear } from '../domain/time.js';

export const urlIdSchema = z
  .string()
  .max(200)
  .regex(new RegExp(urlIdPattern), 'not a valid id')
  .describe('Readable id; maps one-to-one to the workflow id (`/` written as `~`)');

export const deadlineSchema = z.object({
  kind: z.enum(['sign-for', 'handle', 'review']).describe('签收期限, 办理期限 or 审核期限 (review by the lead department)'),
  dueAt: time,
  provisional: z.boolean().describe('True when the holiday schedule of a year involved is not published yet'),
  countsFrom: z
    .object({ event: z.string().describe('assignment, sign-for, previous-step, matter-opened, submission or rework'), at: time })
    .optional()
    .describe('The event the time limit counts from, and when it happened'),
  calendarRevision: z.number().int().optional().describe('Revision of the working-day calendar used (0: the schedules shipped with the service)'),
});

export const extensionSchema = z.object({
  id: z.string(),
  workingDays: z.number().int().describe('The length asked, in the task’s extension unit'),
  days: z.number().int().optional().describe('Present when the task counts extensions in calendar days (a seizure)'),
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
  actor: z.object({ principalId: z.string(), name: z.string().nullable() }).nullable()
    .describe('The person (or system) who acted; null for the system itself and for events recorded before principals'),
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
  escalations: z.array(z.object({ rung: z.union([rungSchema, z.literal('daily-chase')]), level: z.number().int(), deadline: z.enum(['sign-for', 'handle', 'review']), firedAt: time })),
  extensions: z.array(extensionSchema),
  submission: submitBodySchema.extend({ at: time }).optional(),
  reviews: z.array(z.object({ decision: z.enum(['accept', 'rework']), comment: z.string(), at: time })),
  returned: z.object({ reason: z.string(), suggestedDepartment: z.string().optional(), basis: z.enum(['law', 'duties']).optional(), at: time }).optional(),
  disputed: z.object({ reason: z.string(), suggestedDepartment: z.string().optional(), basis: z.enum(['law', 'duties']).optional(), at: time }).optional()
    .describe('Returned as not the department’s remit: a jurisdiction dispute runs while the department keeps working the task (原职责划分)'),
  designated: z.object({ disputeId: z.string(), basis: z.enum(['law', 'duties']) }).optional()
    .describe('A jurisdiction dispute designated this department: it cannot return the task on the same grounds'),
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
