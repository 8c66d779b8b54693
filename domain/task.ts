import { z } from 'zod';
import { licenceSchema } from './licence.js';
import { timeLimitRuleSchema } from './calendar/rules.js';
import { countySchema, departmentSchema } from './departments.js';
import { principalSchema } from './principal.js';
import { safeText } from './text.js';
import { transferMaterialSchema } from './transfer-materials.js';

/**
 * The department task (部门任务): one department's clocked duty, as a child workflow of a matter or
 * standalone (a 12345 work order). States: assigned → signed → submitted → completed, with rework
 * (the lead sends it back), returned (退回: not our remit) and cancelled.
 */
export const taskStates = ['assigned', 'signed', 'submitted', 'rework', 'completed', 'returned', 'cancelled', 'reassigned'] as const;
export const taskStateSchema = z.enum(taskStates);
export type TaskState = z.infer<typeof taskStateSchema>;
export const terminalTaskStates: readonly TaskState[] = ['completed', 'returned', 'cancelled', 'reassigned'];

export const taskStateNames: Record<TaskState, string> = {
  assigned: '待签收',
  signed: '办理中',
  submitted: '待审核',
  rework: '退回重办',
  completed: '已办结',
  returned: '已退回',
  cancelled: '已撤销',
  reassigned: '已改派',
};

/** The supervision ladder (DOMAIN §4): 提醒 → 催办 → 黄牌 → 红牌 → 上级督办. */
export const rungs = ['reminder', 'chase', 'yellow-card', 'red-card', 'escalation'] as const;
export const rungSchema = z.enum(rungs);
export type Rung = z.infer<typeof rungSchema>;
export const rungLevel: Record<Rung, number> = {
  reminder: 1,
  chase: 2,
  'yellow-card': 3,
  'red-card': 4,
  escalation: 5,
};
export const rungNames: Record<Rung, string> = {
  reminder: '到期提醒',
  chase: '超期催办',
  'yellow-card': '黄牌督办',
  'red-card': '红牌督办',
  escalation: '提请上级督办',
};

/** Who a ladder rung notifies, resolved against the task when it fires. */
export const audienceSchema = z.enum(['task-department', 'lead-department', 'county-supervisors', 'county-government', 'higher-authority']);
export type Audience = z.infer<typeof audienceSchema>;

export const ladderRungSchema = z.object({
  rung: rungSchema,
  workingDaysAfterDeadline: z.number().int().min(-10).max(60).describe('When the rung fires, in working days relative to the deadline (negative = before it)'),
  hoursAfterDeadline: z
    .number()
    .min(-72)
    .max(720)
    .optional()
    .describe(
      'For hour- and minute-scale clocks: when the rung fires, in hours after the deadline (default: reminder at half time, chase 0, yellow 2, red 4, escalation 8)',
    ),
  notify: z.array(audienceSchema).min(1),
});
export type LadderRung = z.infer<typeof ladderRungSchema>;

/**
 * Default ladder (DOMAIN §4, configurable per county). A rung at offset n fires at the deadline's
 * wall-clock time moved by n working days: the reminder one working day before, the chase the
 * moment the task is overdue, yellow after 3 and red after 5 overdue working days, and escalation
 * to the higher authority after 10.
 */
export const defaultLadder: LadderRung[] = [
  { rung: 'reminder', workingDaysAfterDeadline: -1, notify: ['task-department'] },
  { rung: 'chase', workingDaysAfterDeadline: 0, notify: ['task-department'] },
  { rung: 'yellow-card', workingDaysAfterDeadline: 3, notify: ['task-department', 'lead-department'] },
  { rung: 'red-card', workingDaysAfterDeadline: 5, notify: ['county-supervisors', 'county-government'] },
  { rung: 'escalation', workingDaysAfterDeadline: 10, notify: ['higher-authority'] },
];

export const ladderSchema = z
  .array(ladderRungSchema)
  .max(10)
  .refine((l) => new Set(l.map((r) => r.rung)).size === l.length, 'each rung at most once');

/** 12345-style defaults (DOMAIN §4): sign for within 1 working day, handle within 5. */
export const defaultLimits = {
  signFor: { amount: 1, unit: 'working_day', startsFrom: 'assignment' },
  handle: { amount: 5, unit: 'working_day', startsFrom: 'sign-for' },
} as const;

/** The lead reviews a submission within 2 working days of it (DOMAIN §10). */
export const defaultReviewLimit = { amount: 2, unit: 'working_day', startsFrom: 'submission' } as const;
/** A department may return a task (退回) within 2 working days of its assignment (DOMAIN §4). */
export const defaultReturnWindow = { amount: 2, unit: 'working_day', startsFrom: 'assignment' } as const;

/** No single request may ask for more (a task's own cap, `maxExtensionWorkingDays` in its input, is usually lower). */
export const maxExtensionWorkingDays = 30;

export const departmentTaskInputSchema = z.object({
  county: countySchema,
  department: departmentSchema,
  title: safeText().trim().min(1).max(200).describe('What the department must do (shown in inboxes and the Temporal UI)'),
  instructions: safeText().max(4000).default('').describe('Instructions for the department'),
  matterId: safeText().max(200).optional().describe('Workflow id of the parent matter, if any'),
  scenario: safeText().max(64).optional(),
  leadDepartment: departmentSchema.optional().describe('The lead department, which reviews submissions'),
  assignedBy: principalSchema.optional().describe('Who assigned it (set by the API from the caller, never by the caller): named on the assignment'),
  limits: z
    .object({
      signFor: timeLimitRuleSchema,
      handle: timeLimitRuleSchema,
      review: timeLimitRuleSchema.optional().describe('Review by the lead department (default 2 working days from submission)'),
      returnWithin: timeLimitRuleSchema.optional().describe('Window for returning the task (default 2 working days from assignment)'),
    })
    .default(defaultLimits),
  clockOrigins: z
    .object({
      matterOpenedAt: z.number().int().optional().describe('When the matter was opened (e.g. the complaint received), epoch ms'),
      previousStepEndedAt: z.number().int().optional().describe('When the step before this one ended, epoch ms'),
    })
    .optional()
    .describe('Instants of events a rule may count from, set by the matter'),
  ladder: ladderSchema.default(defaultLadder),
  outcomes: z
    .array(safeText().min(1).max(64))
    .max(20)
    .optional()
    .describe('When set, a submission must carry one of these outcome codes (they drive the matter’s next stage)'),
  maxExtensionWorkingDays: z
    .number()
    .int()
    .min(0)
    .max(maxExtensionWorkingDays)
    .default(10)
    .describe('Total working days of extension that may be approved (12345 practice: 10; verification of card clues: 15)'),
  extension: z
    .object({
      unit: z.enum(['working_day', 'calendar_day']).default('working_day'),
      approvedBy: z.enum(['reviewer', 'head']).default('reviewer'),
    })
    .optional()
    .describe(
      'How an extension is counted and who grants it: calendar days granted by the department’s own head, e.g. a seizure (行政强制法 art. 25: +30 days with the head’s approval); default working days granted by the reviewer. The cap is `maxExtensionWorkingDays`, in this unit',
    ),
  decidedBy: z
    .enum(['officer', 'head'])
    .optional()
    .describe(
      'Who may submit: `head` for a decision the law gives the department head (正职负责人), e.g. approving a criminal transfer (国务院令第310号 art. 5); default an officer',
    ),
  review: z
    .enum(['lead', 'none'])
    .optional()
    .describe('`none`: the submission is final and completes the task (a head’s decision, the police’s own decision); default: the lead department reviews it'),
  requires: z
    .object({
      caseGroup: z.number().int().min(1).max(20).optional().describe('The submission names at least this many officers (专案组)'),
      materials: z.array(transferMaterialSchema).max(10).optional().describe('Materials the submission must list'),
    })
    .optional()
    .describe('What a submission must carry besides its summary'),
  worksThroughDisputes: z
    .boolean()
    .optional()
    .describe(
      'Set by the matter: a return (退回) opens a jurisdiction dispute while the department keeps working the task under the existing division of duties (原职责划分), clocks running, until the arbiter moves it (DOMAIN §5)',
    ),
  returnable: z
    .boolean()
    .optional()
    .describe(
      'false: the task cannot be returned (退回) — a statutory step of a fixed party, e.g. the police forward a transfer instead (国务院令第310号 art. 7)',
    ),
  ladderScale: z
    .enum(['hours'])
    .optional()
    .describe('`hours`: the ladder counts in hours even for a day limit (the police and a transfer work through holidays); default by the limit’s unit'),
  designated: z
    .object({ disputeId: safeText().max(300), basis: z.enum(['law', 'duties']) })
    .optional()
    .describe('Set when a jurisdiction dispute designated this department: it may not return the task on the same grounds'),
});
export type DepartmentTaskInput = z.infer<typeof departmentTaskInputSchema>;
export type DepartmentTaskInputDraft = z.input<typeof departmentTaskInputSchema>;

// ---- Human actions (each an Update on the task; the actor is the authenticated principal) ----

const text = (max: number) => safeText().trim().min(1).max(max);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256 digest');

export const signInputSchema = z.object({ actor: principalSchema });
export const submitBodySchema = z.object({
  summary: text(2000).describe('What was done (办理情况)'),
  findings: safeText().max(4000).optional().describe('Findings (检查发现), if any'),
  outcome: safeText().trim().min(1).max(64).optional().describe('Outcome code, e.g. `compliant`, `hazard`'),
  rectifyWithinDays: z.number().int().min(1).max(365).optional().describe('Rectification period set in a rectification notice (整改期限, calendar days)'),
  evidence: z
    .array(z.object({ name: text(200), sha256 }))
    .max(50)
    .optional()
    .describe('Evidence kept in the department system, referenced by SHA-256'),
  caseGroup: z
    .array(z.object({ name: text(50).describe('Officer’s name'), certificateNo: text(40).optional().describe('执法证号') }))
    .max(20)
    .optional()
    .describe('The officers of the case group (专案组) who made the report (国务院令第310号 art. 5: at least two)'),
  materials: z
    .array(transferMaterialSchema)
    .max(10)
    .refine((m) => new Set(m).size === m.length, 'each material at most once')
    .optional()
    .describe('Materials handed over with a criminal transfer (国务院令第310号 art. 6)'),
  namedDepartment: departmentSchema.optional().describe('A department the step names, e.g. at triage (分办) the sector regulator that takes the complaint'),
  forwardedTo: z
    .object({
      county: countySchema.optional().describe('County of the organ with jurisdiction, when not this one'),
      organ: text(100).describe('The police organ with jurisdiction the case was forwarded to'),
    })
    .optional()
    .describe('With outcome `forwarded`: where the police forwarded a case not in their jurisdiction (art. 7)'),
  touchesLicence: licenceSchema
    .optional()
    .describe(
      '审管衔接: the finding touches this licence (its conditions no longer hold, the activity exceeds it, or goes on after its revocation); when the task completes, the county’s approval bureau is told',
    ),
});
export const submitInputSchema = submitBodySchema.extend({ actor: principalSchema });

export const reviewBodySchema = z.object({
  decision: z.enum(['accept', 'rework']),
  comment: text(2000),
});
export const reviewInputSchema = reviewBodySchema.extend({ actor: principalSchema });

export const returnBodySchema = z.object({
  reason: text(2000).describe('Why this is not the department’s remit (退回理由)'),
  suggestedDepartment: departmentSchema.optional(),
  basis: z
    .enum(['law', 'duties'])
    .optional()
    .describe(
      'What the disagreement is about: applying the law (the justice bureau coordinates) or the division of duties (the staffing office); default duties',
    ),
});
export const returnInputSchema = returnBodySchema.extend({ actor: principalSchema });

const extensionFields = z.object({
  workingDays: z.number().int().min(1).max(maxExtensionWorkingDays).optional().describe('For most tasks: working days'),
  days: z.number().int().min(1).max(maxExtensionWorkingDays).optional().describe('For a task counted in calendar days (a seizure, 行政强制法 art. 25): days'),
  reason: text(2000),
});
const oneLength = { message: 'exactly one of workingDays or days', path: ['workingDays'] };
const hasOneLength = (b: { workingDays?: number | undefined; days?: number | undefined }) => (b.workingDays === undefined) !== (b.days === undefined);
export const extensionBodySchema = extensionFields.refine(hasOneLength, oneLength);
export const extensionInputSchema = extensionFields.extend({ actor: principalSchema }).refine(hasOneLength, oneLength);

export const extensionDecisionBodySchema = z.object({
  approve: z.boolean(),
  comment: safeText().trim().max(2000).optional(),
});
export const extensionDecisionInputSchema = extensionDecisionBodySchema.extend({
  actor: principalSchema,
  extensionId: z.string().regex(/^ext-\d{1,3}$/),
});

export const cancelBodySchema = z.object({ reason: text(2000) });
export const cancelInputSchema = cancelBodySchema.extend({ actor: principalSchema });

/** A supervisor moves a matter's step to another department (改派); the matter re-issues it. */
export const reassignBodySchema = z.object({
  department: departmentSchema.describe('The department that takes the step over, with fresh clocks'),
  reason: text(2000).describe('Why the step moves (shown on both tasks and the matter)'),
});

// ---- What the task reports (Query result, API response) ----

const deadlineKindSchema = z.enum(['sign-for', 'handle', 'review']);
/** Why a task left a department: a return (退回), or a return that opened a jurisdiction dispute. */
const returnViewSchema = z.object({
  reason: z.string(),
  suggestedDepartment: z.string().optional(),
  basis: z.enum(['law', 'duties']).optional(),
  at: z.string(),
});

export const deadlineViewSchema = z.object({
  kind: deadlineKindSchema,
  dueAt: z.string(),
  provisional: z.boolean(),
  /** The event and instant the limit counts from (absent on deadlines resolved before it was recorded). */
  countsFrom: z.object({ event: z.string(), at: z.string() }).optional(),
  /** Revision of the working-day calendar used (0 = the schedules shipped with the code). */
  calendarRevision: z.number().int().optional(),
});
export type DeadlineView = z.infer<typeof deadlineViewSchema>;

export const extensionViewSchema = z.object({
  id: z.string(),
  /** The length asked, in the task's extension unit (working days, or calendar days with `days`). */
  workingDays: z.number().int(),
  /** Set when the task's extensions count calendar days: the same length, and the unit. */
  days: z.number().int().optional(),
  reason: z.string(),
  requestedAt: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  decidedAt: z.string().optional(),
  comment: z.string().optional(),
  previousDueAt: z.string().optional(),
  newDueAt: z.string().optional(),
});
export type ExtensionView = z.infer<typeof extensionViewSchema>;

export const escalationViewSchema = z.object({
  rung: z.union([rungSchema, z.literal('daily-chase')]),
  level: z.number().int(),
  deadline: deadlineKindSchema,
  firedAt: z.string(),
});
export type EscalationView = z.infer<typeof escalationViewSchema>;

/** The task as its workflow reports it (Query result, read model); the API adds URL id and names. */
export const taskViewSchema = z.object({
  taskId: z.string(),
  county: z.string(),
  department: z.string(),
  title: z.string(),
  instructions: z.string(),
  matterId: z.string().optional(),
  scenario: z.string().optional(),
  leadDepartment: z.string().optional(),
  /** Outcome codes the submission must choose from, when the matter branches on it. */
  outcomes: z.array(z.string()).optional(),
  state: taskStateSchema,
  assignedAt: z.string(),
  signedAt: z.string().optional(),
  submittedAt: z.string().optional(),
  closedAt: z.string().optional(),
  deadlines: z.array(deadlineViewSchema),
  currentDeadline: deadlineViewSchema.optional(),
  overdue: z.boolean(),
  escalationLevel: z.number().int(),
  escalations: z.array(escalationViewSchema),
  extensions: z.array(extensionViewSchema),
  submission: submitBodySchema.extend({ at: z.string() }).optional(),
  reviews: z.array(z.object({ decision: z.enum(['accept', 'rework']), comment: z.string(), at: z.string() })),
  returned: returnViewSchema.optional(),
  /** A return that opened a jurisdiction dispute while the department keeps working the task. */
  disputed: returnViewSchema.optional(),
  /** A jurisdiction dispute designated this department: it may not return the task on the same grounds. */
  designated: z.object({ disputeId: z.string(), basis: z.enum(['law', 'duties']) }).optional(),
  cancelled: z.object({ reason: z.string(), at: z.string() }).optional(),
  /** The matter moved this step to another department (改派). */
  reassigned: z.object({ department: z.string(), reason: z.string(), at: z.string() }).optional(),
  lastEventSeq: z.number().int(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/** What a task's view holds before anything has happened to it: no deadline, rung, extension or review yet. */
export const untouchedTask = () =>
  ({
    deadlines: [],
    overdue: false,
    escalationLevel: 0,
    escalations: [],
    extensions: [],
    reviews: [],
    lastEventSeq: 0,
  }) satisfies Partial<TaskView>;

/**
 * The view a parent (matter or transfer) writes for a task that ended outside the API (cancelled
 * or terminated in the Temporal UI or CLI): a terminated task cannot close its own inbox row.
 */
export function interruptedTaskView(
  task: Pick<TaskView, 'taskId' | 'county' | 'department' | 'title' | 'instructions' | 'matterId' | 'scenario' | 'leadDepartment' | 'outcomes'>,
  reason: string,
  at: string,
): TaskView {
  return { ...task, state: 'cancelled', assignedAt: at, closedAt: at, ...untouchedTask(), cancelled: { reason, at } };
}

/** What a finished task tells its parent matter. */
export interface TaskResult {
  taskId: string;
  department: string;
  state: 'completed' | 'returned' | 'cancelled' | 'reassigned';
  /** When the department signed for it (absent in results of runs before it was reported). */
  signedAt?: string;
  submission?: TaskView['submission'];
  returned?: TaskView['returned'];
  reassigned?: TaskView['reassigned'];
}
