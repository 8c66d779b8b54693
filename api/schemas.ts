import { z } from 'zod';
import { approvalViewSchema } from '../domain/approval.js';
import { clueViewSchema } from '../domain/clue.js';
import { riskWarningViewSchema } from '../domain/risk-warning.js';
import { disputeViewSchema } from '../domain/dispute.js';
import { timelineEntrySchema as domainTimelineEntrySchema } from '../domain/events.js';
import { matterViewSchema } from '../domain/matter.js';
import {
  accountabilityFlagSchema,
  deliveryStatsSchema,
  erasureSchema as domainErasureSchema,
  notificationViewSchema,
  resultVersionSchema,
  webhookEndpointViewSchema,
} from '../domain/records.js';
import { transferStepKeys, transferViewSchema } from '../domain/transfer.js';
import { deadlineViewSchema, escalationViewSchema, extensionViewSchema, submitBodySchema, taskViewSchema as domainTaskViewSchema } from '../domain/task.js';
import { urlIdPattern } from '../domain/ids.js';

const time = z.string().describe('ISO-8601 time with +08:00');

export { isoDateSchema, isoDateTimeSchema, maxYear, minYear } from '../domain/time.js';

export const urlIdSchema = z
  .string()
  .max(200)
  .regex(new RegExp(urlIdPattern), 'not a valid id')
  .describe('Readable id; maps one-to-one to the workflow id (`/` written as `~`)');

/**
 * A domain view's schema as the API shows it, keys in the domain's order (so the document and the
 * bodies keep theirs): `set` replaces fields (a URL id, +08:00 times, a description) or adds new
 * ones, placed `after` a field of the view (else last); `omit` leaves internal fields out.
 */
export function apiView<S extends z.ZodRawShape, R extends z.ZodRawShape, O extends Exclude<keyof S, keyof R> = never>(
  view: z.ZodObject<S>,
  o: { set: R; after?: { [K in keyof S]?: (keyof R & string)[] }; omit?: O[] },
): z.ZodObject<Omit<S, O | keyof R> & R> {
  const shape: Record<string, z.core.$ZodType> = {};
  const set: z.ZodRawShape = o.set;
  for (const [key, field] of Object.entries(view.shape)) {
    if ((o.omit as string[] | undefined)?.includes(key)) continue;
    shape[key] = set[key] ?? field;
    for (const added of (o.after as Record<string, string[]> | undefined)?.[key] ?? []) shape[added] = set[added]!;
  }
  for (const [key, field] of Object.entries(set)) if (!(key in shape)) shape[key] = field;
  return z.object(shape) as unknown as z.ZodObject<Omit<S, O | keyof R> & R>;
}

/**
 * The API's view shapes are the domain's (domain/task.ts, domain/events.ts), re-derived: times
 * described as +08:00, URL ids, display names and descriptions added; the key order is the
 * domain's, so the document and the bodies keep theirs.
 */
const deadline = deadlineViewSchema.shape;
export const deadlineSchema = deadlineViewSchema.extend({
  kind: deadline.kind.describe('签收期限, 办理期限 or 审核期限 (review by the lead department)'),
  dueAt: time,
  provisional: deadline.provisional.describe('True when the holiday schedule of a year involved is not published yet'),
  countsFrom: z
    .object({ event: z.string().describe('assignment, sign-for, previous-step, matter-opened, submission or rework'), at: time })
    .optional()
    .describe('The event the time limit counts from, and when it happened'),
  calendarRevision: deadline.calendarRevision.describe('Revision of the working-day calendar used (0: the schedules shipped with the service)'),
});

const extension = extensionViewSchema.shape;
export const extensionSchema = extensionViewSchema.extend({
  workingDays: extension.workingDays.describe('The length asked, in the task’s extension unit'),
  days: extension.days.describe('Present when the task counts extensions in calendar days (a seizure)'),
  requestedAt: time,
  decidedAt: time.optional(),
  previousDueAt: time.optional(),
  newDueAt: time.optional(),
});

export const timelineEntrySchema = domainTimelineEntrySchema.extend({
  at: time,
  type: domainTimelineEntrySchema.shape.type.describe('e.g. `assigned`, `signed`, `ladder.chase`, `extension.approved`'),
  actor: domainTimelineEntrySchema.shape.actor.describe(
    'The person (or system) who acted; null for the system itself and for events recorded before principals',
  ),
});

const task = domainTaskViewSchema.shape;
/** The workflow's view with the URL id, the workflow id and display names in their places. */
export const taskViewSchema = apiView(domainTaskViewSchema, {
  set: {
    taskId: urlIdSchema,
    workflowId: z.string(),
    departmentName: z.string(),
    outcomes: task.outcomes.describe('Outcome codes a submission must choose from'),
    stateName: z.string(),
    assignedAt: time,
    signedAt: time.optional(),
    submittedAt: time.optional(),
    closedAt: time.optional(),
    deadlines: z.array(deadlineSchema),
    currentDeadline: deadlineSchema.optional(),
    escalationLevel: task.escalationLevel.describe('0 none, 1 reminded, 2 chased, 3 yellow card, 4 red card, 5 escalated'),
    escalations: z.array(escalationViewSchema.extend({ firedAt: time })),
    extensions: z.array(extensionSchema),
    submission: submitBodySchema.extend({ at: time }).optional(),
    reviews: z.array(task.reviews.element.extend({ at: time })),
    returned: task.returned.unwrap().extend({ at: time }).optional(),
    disputed: task.disputed
      .unwrap()
      .extend({ at: time })
      .optional()
      .describe('Returned as not the department’s remit: a jurisdiction dispute runs while the department keeps working the task (原职责划分)'),
    designated: task.designated.describe('A jurisdiction dispute designated this department: it cannot return the task on the same grounds'),
    cancelled: task.cancelled.unwrap().extend({ at: time }).optional(),
    reassigned: task.reassigned.unwrap().extend({ at: time }).optional().describe('The matter moved this step to another department (改派)'),
  },
  after: { taskId: ['workflowId'], department: ['departmentName'], state: ['stateName'] },
});

const named = z.object({ department: z.string(), name: z.string() });

/** A jurisdiction dispute: its parties named, the rung as text. */
export const disputeSchema = apiView(disputeViewSchema, {
  set: {
    workflowId: z.string(),
    parties: z.array(named),
    state: disputeViewSchema.shape.state.describe('ended: closed without a decision because its matter ended'),
    rung: z.string().describe('negotiation | coordination | county-government | city'),
  },
  after: { disputeId: ['workflowId'] },
  omit: ['lastEventSeq'],
});

const transferStep = z.enum([...transferStepKeys, 'ended']);
const transferShape = transferViewSchema.shape;
/** A criminal transfer: the agency and the police named. */
export const transferSchema = apiView(transferViewSchema, {
  set: {
    workflowId: z.string(),
    agency: named.describe('The administrative agency that transfers'),
    police: named,
    step: transferStep.describe('The step under way (国务院令第310号), `ended` once it ended'),
    forwarded: z.array(transferShape.forwarded.element.extend({ withinHours: z.boolean().describe('Forwarded within 24 hours of the receipt (art. 7)') })),
    tasks: z.array(transferShape.tasks.element.extend({ key: transferStep })),
  },
  after: { transferId: ['workflowId'] },
  omit: ['lastEventSeq'],
});

export const taskDetailSchema = taskViewSchema.extend({
  timeline: z.array(timelineEntrySchema),
  temporalUiUrl: z.string().describe('This task in the Temporal Web UI'),
});

export const taskSummarySchema = taskViewSchema.pick({
  taskId: true,
  workflowId: true,
  county: true,
  department: true,
  departmentName: true,
  title: true,
  matterId: true,
  state: true,
  stateName: true,
  assignedAt: true,
  currentDeadline: true,
  overdue: true,
  escalationLevel: true,
});

/** A matter: URL id and names added; its tasks, disputes and internal bookkeeping left to the detail. */
export const matterSchema = apiView(matterViewSchema, {
  set: {
    matterId: urlIdSchema,
    workflowId: z.string(),
    countyName: z.string(),
    leadDepartmentName: z.string(),
    // The result's id and time: its version and publisher stay on the record (GET …/versions).
    published: z.object({ at: z.string(), resultId: z.string() }).optional(),
    clueId: urlIdSchema.optional().describe('The clue (问题线索) this matter was opened from; the clue replies once the matter ends'),
  },
  after: { matterId: ['workflowId'], county: ['countyName'], leadDepartment: ['leadDepartmentName'] },
  omit: ['tasks', 'disputes', 'transfers', 'penaltiesPublished', 'withheld', 'lastEventSeq'],
});
export const matterSummarySchema = matterSchema.omit({ facts: true, subject: true }).extend({ subjectKind: z.string() });
export const matterDetailSchema = matterSchema.extend({
  tasks: z.array(
    taskSummarySchema.extend({
      key: z.string().describe('Step of the scenario, e.g. `survey.planning`'),
      escalations: z.array(z.object({ rung: z.string(), firedAt: z.string() })),
    }),
  ),
  overdue: z.boolean().describe('Some open task of the matter is overdue'),
  escalationLevel: z.number().int().describe('Highest escalation level among its open tasks'),
  timeline: z.array(timelineEntrySchema),
  transfers: z
    .array(
      matterViewSchema.shape.transfers.unwrap().element.extend({
        transferId: z.string().describe('GET /v1/transfers/{transferId}'),
        approved: z.boolean().describe('Approved by the head: the matter cannot end without it (国务院令第310号 art. 11)'),
      }),
    )
    .describe('Criminal transfers (行刑衔接)'),
  temporalUiUrl: z.string(),
  subjectId: z.string().nullable().describe('GET /v1/subjects/{subjectId} (null until the matter is first recorded)'),
});

const notification = notificationViewSchema.shape;
export const notificationSchema = notificationViewSchema.extend({
  id: notification.id.describe('Stable id: receivers can deduplicate on it'),
  kind: notification.kind.describe('e.g. `task.assigned`, `ladder.chase`, `ladder.red-card`'),
  objectId: notification.objectId.describe('Workflow id of the task or matter it is about'),
});

export const versionSchema = resultVersionSchema.extend({
  by: resultVersionSchema.shape.by.describe('lead: the lead department; system: at the deadline, or the final result replacing the check’s'),
});

export const flagSchema = apiView(accountabilityFlagSchema, {
  set: {
    departmentName: z.string(),
    kind: accountabilityFlagSchema.shape.kind.describe(
      'return-designated-back: a dispute designated the department that returned the task (推诿); return-upheld: the task went to another department (not a fault)',
    ),
  },
  after: { department: ['departmentName'] },
});

export const webhookEndpointSchema = webhookEndpointViewSchema.extend({
  target: webhookEndpointViewSchema.shape.target.describe('`department:<code>` or `role:<role>`'),
  activeSince: webhookEndpointViewSchema.shape.activeSince.describe('Notifications created from this time on are delivered'),
});

const deliveries = deliveryStatsSchema.shape;
export const webhookDetailSchema = webhookEndpointSchema.extend({
  deliveries: deliveryStatsSchema.extend({
    dead: deliveries.dead.describe('Attempts exhausted; the notification is still in the recipients’ inbox'),
    lastAttempt: deliveries.lastAttempt
      .unwrap()
      .extend({
        error: z.string().nullable().describe('`HTTP <status>`, `timeout`, `not-public-address` or `unreachable` (no network details)'),
      })
      .nullable(),
  }),
});

const erasure = domainErasureSchema.shape;
export const erasureSchema = domainErasureSchema.extend({
  eventId: erasure.eventId.describe('The audit entry of the erasure (`subject.erased`)'),
  matters: erasure.matters.describe('The matters about the subject (URL ids)'),
  auditTexts: erasure.auditTexts.describe('Free texts of audit entries erased (the chain still verifies)'),
  retainedInChain: erasure.retainedInChain.describe('Audit entries written before texts left the chain: their text is hashed and stays'),
});

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });

export const boolQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

const clueShape = clueViewSchema.shape;
/**
 * The complainant as the caller may see them: whole to the county's 12345 office, masked
 * (`138****1234`, `张*`) to everyone else; absent when anonymous.
 */
export const complainantViewSchema = z.object({
  anonymous: z.boolean(),
  wantsReply: z.boolean(),
  name: z.string().optional(),
  phone: z.string().optional(),
  masked: z.boolean().describe('true unless the caller is the county’s 12345 office'),
});
/** A clue (问题线索): URL ids, departments named, the complainant masked unless the caller is the 12345 office. */
export const clueSchema = apiView(clueViewSchema, {
  set: {
    clueId: urlIdSchema,
    workflowId: z.string(),
    departmentName: z.string().optional(),
    tasks: z.array(clueShape.tasks.element.extend({ taskId: urlIdSchema })),
    mergedInto: urlIdSchema.optional().describe('A repeat (并单): the open clue it joined, whose handling and reply it shares'),
    complainant: complainantViewSchema.optional(),
    matter: clueShape.matter
      .unwrap()
      .extend({ matterId: urlIdSchema })
      .optional()
      .describe('The matter (综合监管一件事) the lead opened from it (转立事项, at most one): the reply waits for its end'),
  },
  after: { clueId: ['workflowId'], department: ['departmentName'], state: ['mergedInto'] },
  omit: ['lastEventSeq'],
});

const warningShape = riskWarningViewSchema.shape;
const withUrlTaskId = <T extends z.ZodObject<{ taskId: z.ZodString }>>(o: T) => o.extend({ taskId: urlIdSchema });
/** A risk warning (风险预警): URL ids, the departments named; the subject by its kind and credit code only. */
export const riskWarningSchema = apiView(riskWarningViewSchema, {
  set: {
    warningId: urlIdSchema,
    workflowId: z.string(),
    departmentNames: z.array(z.string()).describe('The departments it was pushed to, by name, in the order of `departments`'),
    tasks: z.array(withUrlTaskId(warningShape.tasks.element)).describe('The departments’ verification and disposal tasks (work them under /v1/tasks too)'),
    verifications: z.array(withUrlTaskId(warningShape.verifications.element)),
    disposals: z.array(withUrlTaskId(warningShape.disposals.element)),
  },
  after: { warningId: ['workflowId'], departments: ['departmentNames'] },
  omit: ['lastEventSeq'],
});

const approvalShape = approvalViewSchema.shape;
/** An approval follow-up (审管衔接): URL ids, the competent department named; never the subject's name or address. */
export const approvalSchema = apiView(approvalViewSchema, {
  set: {
    followUpId: urlIdSchema,
    workflowId: z.string(),
    departmentName: z.string(),
    tasks: z
      .array(approvalShape.tasks.element.extend({ taskId: urlIdSchema }))
      .describe('The check tasks (GET /v1/tasks/{taskId}): one, or more when one ended outside the API'),
    check: approvalShape.check.unwrap().extend({ taskId: urlIdSchema }).optional().describe('The check’s outcome as the competent department submitted it'),
    licenceIssue: approvalShape.licenceIssue
      .unwrap()
      .extend({ taskId: urlIdSchema })
      .optional()
      .describe('The reverse push: the check found an issue touching the licence, and the approval bureau was told (notification `approval.licence-issue`)'),
  },
  after: { followUpId: ['workflowId'], department: ['departmentName'] },
  omit: ['lastEventSeq'],
});
