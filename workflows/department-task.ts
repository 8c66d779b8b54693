import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  CancellationScope,
  patched,
  setHandler,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { ZodType, z } from 'zod';
import { dueRungs, escalationLevel, type ClockKind, type ClockOrigin, type ResolvedClock } from '../domain/ladder.js';
import { toShanghaiIso } from '../domain/calendar/index.js';
import { departmentName } from '../domain/departments.js';
import type { NotificationDraft, Recipient } from '../domain/events.js';
import type { Principal } from '../domain/principal.js';
import { hasRole } from '../domain/principal.js';
import { SA } from '../domain/search-attributes.js';
import { clone, DELTA_RECORDING, eventRecord, recordingOptions, viewDeltas, type RecordOptions } from './recording.js';
import { parseOrRefuse, refuse } from './refusal.js';
import { clocks, writes } from './activities.js';
import {
  cancelInputSchema,
  defaultReturnWindow,
  defaultReviewLimit,
  departmentTaskInputSchema,
  extensionDecisionInputSchema,
  extensionInputSchema,
  returnInputSchema,
  reviewInputSchema,
  rungNames,
  signInputSchema,
  submitInputSchema,
  taskStateNames,
  terminalTaskStates,
  type Audience,
  type DeadlineView,
  type DepartmentTaskInput,
  type DepartmentTaskInputDraft,
  type ExtensionView,
  type Rung,
  type TaskResult,
  type TaskState,
  type TaskView,
} from '../domain/task.js';

// Recording must eventually succeed: a database outage delays the read model, it never loses an
// accepted action (the action is already in workflow history). Hence unlimited retries.
const { recordTaskEvent } = writes;
// The calendar is cached in the worker, so most resolutions need no database at all.
const { resolveClock, nextDailyChases } = clocks;

/**
 * Patches (running tasks started before them keep their old behaviour on replay):
 * - review-clock: a submission starts the lead's review clock with its ladder;
 * - record-overdue: the moment a deadline passes is recorded, rung or not;
 * - daily-chase: after the last rung, the department is chased every working morning;
 * - serial-actions: concurrent actions are applied one at a time, in the order they were accepted.
 */
const PATCH = { reviewClock: 'review-clock', recordOverdue: 'record-overdue', dailyChase: 'daily-chase', serialActions: 'serial-actions' } as const;

// ---- Messages (wire name = constant name minus the suffix) ----

type Input<S extends ZodType> = z.input<S>;
export const signUpdate = defineUpdate<TaskView, [Input<typeof signInputSchema>]>('sign');
export const submitUpdate = defineUpdate<TaskView, [Input<typeof submitInputSchema>]>('submit');
export const reviewUpdate = defineUpdate<TaskView, [Input<typeof reviewInputSchema>]>('review');
export const returnUpdate = defineUpdate<TaskView, [Input<typeof returnInputSchema>]>('return');
export const requestExtensionUpdate = defineUpdate<ExtensionView, [Input<typeof extensionInputSchema>]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<ExtensionView, [Input<typeof extensionDecisionInputSchema>]>('decideExtension');
export const cancelUpdate = defineUpdate<TaskView, [Input<typeof cancelInputSchema>]>('cancel');
export const getTaskQuery = defineQuery<TaskView>('getTask');
/** Sent when a year's holiday schedule is published or corrected (PUT /v1/calendar/{year}). */
export const recomputeDeadlinesSignal = defineSignal<[{ year: number }]>('recomputeDeadlines');
/**
 * Sent by the parent matter when a supervisor moves the step to another department (改派): the
 * task ends as `reassigned` and the matter issues the same step to that department.
 */
export const reassignSignal = defineSignal<[{ department: string; reason: string; actor: Principal }]>('reassign');
/** Sent by the matter when a jurisdiction dispute designates this task's department (it keeps the task). */
export const designatedSignal = defineSignal<[{ disputeId: string; basis: 'law' | 'duties' }]>('designated');
/**
 * Sent by a task that works through disputes to its matter when its department returns it: the
 * matter opens the dispute while the task stays open.
 */
export const stepReturnedSignal = defineSignal<[{ taskId: string; department: string; reason: string; suggestedDepartment?: string; basis?: 'law' | 'duties' }]>('stepReturned');

/** State carried across continue-as-new. */
interface Carried {
  view: TaskView;
  clock?: ResolvedClock;
  fired: Rung[];
  returnWindow?: { dueAtMs: number; dueAt: string };
  lastChaseMs?: number;
  recomputeRequested?: boolean;
}

export interface DepartmentTaskArgs extends DepartmentTaskInputDraft {
  /** Set only by continue-as-new. */
  carried?: Carried;
}

/** Parses with Zod inside a validator: a bad input fails the update before it reaches history. */
const parse = <S extends ZodType>(schema: S, value: unknown): z.infer<S> => parseOrRefuse(schema, value);

/**
 * One department's clocked duty (部门任务). Owns its sign-for and handling deadlines and the
 * supervision ladder; every human action is an Update validated synchronously, so a wrong state,
 * a wrong department or bad input is refused without leaving a trace in history.
 */
export async function departmentTask(args: DepartmentTaskArgs): Promise<TaskResult> {
  // Bad input (a run started around the API) fails the run at once instead of retrying its first
  // workflow task for ever.
  const input: DepartmentTaskInput = parse(departmentTaskInputSchema, args);
  const info = workflowInfo();
  const now = () => toShanghaiIso(Date.now());

  const view: TaskView = args.carried?.view ?? {
    taskId: info.workflowId,
    county: input.county,
    department: input.department,
    title: input.title,
    instructions: input.instructions,
    ...(input.matterId ? { matterId: input.matterId } : {}),
    ...(input.scenario ? { scenario: input.scenario } : {}),
    ...(input.leadDepartment ? { leadDepartment: input.leadDepartment } : {}),
    ...(input.outcomes ? { outcomes: input.outcomes } : {}),
    ...(input.designated ? { designated: input.designated } : {}),
    state: 'assigned',
    assignedAt: now(),
    deadlines: [],
    overdue: false,
    escalationLevel: 0,
    escalations: [],
    extensions: [],
    reviews: [],
    lastEventSeq: 0,
  };
  let clock: ResolvedClock | undefined = args.carried?.clock;
  let fired = new Set<Rung>(args.carried?.fired ?? []);
  /** When the last daily chase (after the ladder's last rung) was sent for the running clock. */
  let lastChaseMs = args.carried?.lastChaseMs ?? 0;
  /** Until when the department may return the task (退回); set at assignment. */
  let returnWindow = args.carried?.returnWindow;
  let clockVersion = 0;
  let clockRequests = 0;
  let initialized = !!args.carried;
  let recomputeRequested = args.carried?.recomputeRequested ?? false;
  let reassignment: { department: string; reason: string; actor: Principal } | undefined;
  const isTerminal = () => terminalTaskStates.includes(view.state);
  const deptName = departmentName(input.department);
  // How extensions are counted and granted (a seizure: calendar days, by the agency's head).
  const inDays = input.extension?.unit === 'calendar_day';
  const byHead = input.extension?.approvedBy === 'head';
  const unitWord = inDays ? '日' : '个工作日';
  const leadName = input.leadDepartment ? departmentName(input.leadDepartment) : '督办人员';
  const clockWord: Record<ClockKind, string> = { 'sign-for': '签收', handle: '办理', review: '审核' };

  // ---- who may do what ----
  const requireState = (allowed: TaskState[], action: string) => {
    if (!allowed.includes(view.state)) {
      refuse('WrongState', `任务当前状态为「${taskStateNames[view.state]}」，不能${action}`);
    }
  };
  const requireOwnDepartment = (actor: Principal) => {
    // A task decided by the head is signed and worked by the head's office or the head.
    const may = input.decidedBy === 'head' ? hasRole(actor, 'officer', 'head') : hasRole(actor, 'officer');
    if (actor.county !== input.county || actor.department !== input.department || !may) {
      refuse('Forbidden', `只有${deptName}的承办人员可以办理此任务`);
    }
  };
  /** Who may submit: an officer, or only the department head when the law gives them the decision. */
  const requireSubmitter = (actor: Principal) => {
    if (input.decidedBy !== 'head') return requireOwnDepartment(actor);
    if (actor.county !== input.county || actor.department !== input.department || !hasRole(actor, 'head')) {
      refuse('Forbidden', `此决定须由${deptName}正职负责人（或主持工作的负责人）作出`);
    }
  };
  /** What a submission must carry besides its summary (a case group, the materials handed over). */
  const requireContents = (s: { outcome?: string | undefined; caseGroup?: unknown[] | undefined; materials?: string[] | undefined; forwardedTo?: unknown }) => {
    const need = input.requires;
    if (need?.caseGroup && (s.caseGroup?.length ?? 0) < need.caseGroup) {
      refuse('InvalidInput', `caseGroup: 须列明专案组至少${need.caseGroup}名执法人员`, [{ path: 'caseGroup', message: `须列明专案组至少${need.caseGroup}名执法人员` }]);
    }
    const missing = (need?.materials ?? []).filter((m) => !s.materials?.includes(m));
    if (missing.length > 0) {
      refuse('InvalidInput', `materials: 缺少 ${missing.join(', ')}`, [{ path: 'materials', message: `缺少 ${missing.join(', ')}` }]);
    }
    if (s.outcome === 'forwarded' && !s.forwardedTo) {
      refuse('InvalidInput', 'forwardedTo: 转送的须写明有管辖权的机关', [{ path: 'forwardedTo', message: '转送的须写明有管辖权的机关' }]);
    }
  };
  /** The lead department reviews; a supervisor of the county may act in its place. */
  const requireReviewer = (actor: Principal) => {
    // Segregation of duties: when the task is the lead's own, its review goes to the supervisors.
    const isLead = !!input.leadDepartment && input.leadDepartment !== input.department
      && actor.department === input.leadDepartment && hasRole(actor, 'officer');
    const isSupervisor = hasRole(actor, 'supervisor') && actor.county === input.county;
    if (actor.county !== input.county || !(isLead || isSupervisor)) {
      refuse('Forbidden', '只有牵头部门或督办人员可以审核');
    }
  };

  // ---- recording ----
  const audience = (a: Audience): Recipient[] => {
    switch (a) {
      case 'task-department':
        return [{ county: input.county, department: input.department }];
      case 'lead-department':
        return input.leadDepartment
          ? [{ county: input.county, department: input.leadDepartment }]
          : [{ county: input.county, role: 'supervisor' }];
      case 'county-supervisors':
        return [{ county: input.county, role: 'supervisor' }];
      case 'county-government':
        return [{ county: input.county, department: 'county-government' }];
      case 'higher-authority':
        return [{ county: `${input.county.slice(0, 4)}00`, role: 'supervisor' }];
    }
  };
  const notice = (kind: string, title: string, body: string, to: Audience[]): NotificationDraft => ({
    kind, title, body, recipients: to.flatMap(audience),
  });
  /** On a review clock the one who must act is the lead: the ladder's "task department" is it. */
  const actingAudience = (a: Audience, kind: ClockKind): Audience => (kind === 'review' && a === 'task-department' ? 'lead-department' : a);

  /** Appends an event (sequence assigned synchronously, so ids are stable) and writes it. */
  const deltas = viewDeltas<TaskView>(['taskId', 'county']);
  // Decided once, as the run starts (a run from before the patch keeps writing whole views): asked
  // later, after a local activity, a replay could ask before the server's history says the patch is there.
  const writesChanges = patched(DELTA_RECORDING);
  const record = async (type: string, summary: string, opts: RecordOptions = {}) => {
    view.lastEventSeq += 1;
    publishState();
    const event = eventRecord({ workflowId: info.workflowId, seq: view.lastEventSeq, county: input.county }, type, summary, opts);
    const written = deltas.next(view, !writesChanges);
    // Once an event has a sequence number it must be written, even while the task is being
    // cancelled: a gap in the timeline would be a lost action.
    await CancellationScope.nonCancellable(() => recordTaskEvent.executeWithOptions(recordingOptions(summary), [{ event, ...written }]));
    deltas.landed(event.seq);
  };

  /** Search attributes and the UI's current details follow every change. */
  function publishState() {
    const active = activeClock();
    const current = active ? view.deadlines.find((d) => d.kind === active.kind) : undefined;
    view.currentDeadline = current ?? (active ? deadlineOf(active) : undefined);
    if (!view.currentDeadline) delete view.currentDeadline;
    upsertSearchAttributes([
      { key: SA.TaskState, value: view.state },
      { key: SA.DueAt, value: active ? new Date(active.dueAtMs) : null },
      { key: SA.Overdue, value: view.overdue },
      { key: SA.EscalationLevel, value: view.escalationLevel },
    ]);
    const who = active?.kind === 'review' ? leadName : deptName;
    const waiting = active
      ? `等待 **${who}** ${active.kind === 'handle' ? '办结' : clockWord[active.kind]}，期限 ${active.dueAt}${active.provisional ? '（暂定，当年节假日安排未公布）' : ''}`
      : view.state === 'submitted'
        ? `等待 **${leadName}** 审核`
        : `已结束：${taskStateNames[view.state]}`;
    const overdue = view.overdue ? `\n\n⚠ 已超期，督办级别 ${view.escalationLevel}` : '';
    // SDK 1.24 cannot carry a run's static summary and details over continue-as-new: a continued
    // run says in its current details what the task is, so the Temporal UI still shows it.
    const what = workflowInfo().continuedFromExecutionRunId ? `${deptName} · ${input.title}\n\n` : '';
    setCurrentDetails(`${what}**${taskStateNames[view.state]}** · ${waiting}${overdue}`);
  }

  /** The clock that runs in the current state: sign-for while assigned, handling while worked on. */
  function activeClock(): ResolvedClock | undefined {
    if (!clock) return undefined;
    if (view.state === 'assigned' && clock.kind === 'sign-for') return clock;
    if ((view.state === 'signed' || view.state === 'rework') && clock.kind === 'handle') return clock;
    if (view.state === 'submitted' && clock.kind === 'review') return clock;
    return undefined;
  }

  function deadlineOf(c: ResolvedClock): DeadlineView {
    return {
      kind: c.kind, dueAt: c.dueAt, provisional: c.provisional,
      ...(c.origin ? { countsFrom: { event: c.origin, at: toShanghaiIso(c.startMs) } } : {}),
      ...(c.calendarRevision !== undefined ? { calendarRevision: c.calendarRevision } : {}),
    };
  }

  /** The instant a rule counts from (DOMAIN §4: the event the rule names, not always the sign-for). */
  function originOf(kind: ClockKind, rule: { startsFrom?: string | undefined }, nowMs: number): { startMs: number; origin: ClockOrigin } {
    const assignedMs = Date.parse(view.assignedAt);
    switch (kind === 'review' ? 'submission' : rule.startsFrom ?? 'assignment') {
      case 'assignment':
        return { startMs: assignedMs, origin: 'assignment' };
      case 'matter-opened':
        return { startMs: input.clockOrigins?.matterOpenedAt ?? assignedMs, origin: input.clockOrigins?.matterOpenedAt ? 'matter-opened' : 'assignment' };
      case 'previous-step':
        return { startMs: input.clockOrigins?.previousStepEndedAt ?? assignedMs, origin: input.clockOrigins?.previousStepEndedAt ? 'previous-step' : 'assignment' };
      case 'submission':
        return { startMs: nowMs, origin: 'submission' };
      default: // sign-for
        return { startMs: nowMs, origin: kind === 'sign-for' ? 'assignment' : 'sign-for' };
    }
  }

  const ruleOf = (kind: ClockKind) => (kind === 'sign-for' ? input.limits.signFor : kind === 'handle' ? input.limits.handle : input.limits.review ?? defaultReviewLimit);

  /** Resolves a clock (a recorded local activity); changes nothing, so a handler can compute first. */
  async function resolve(kind: ClockKind, startMs: number, origin: ClockOrigin, extraWorkingDays = 0, extraCalendarDays = 0): Promise<ResolvedClock> {
    return resolveClock.executeWithOptions(
      { startToCloseTimeout: '10 seconds', summary: `计算${clockWord[kind]}期限` },
      [{
        kind, startMs, origin, rule: ruleOf(kind), ladder: input.ladder, nowMs: Date.now(), extraWorkingDays,
        ...(extraCalendarDays > 0 ? { extraCalendarDays } : {}),
        ...(kind === 'sign-for' ? { returnWindow: input.limits.returnWithin ?? defaultReturnWindow } : {}),
        ...(input.ladderScale ? { scale: input.ladderScale } : {}),
      }],
    );
  }

  /**
   * Installs a resolved clock. A fresh clock starts its ladder from scratch; a recomputed one
   * (calendar published or corrected) keeps the rungs that have fired and are still in the past,
   * so nothing fires twice for the same time.
   */
  function install(resolved: ResolvedClock, opts: { recompute?: boolean } = {}) {
    clock = resolved;
    clockVersion += 1;
    if (opts.recompute) {
      const t = Date.now();
      fired = new Set([...fired].filter((r) => (resolved.rungs.find((x) => x.rung === r)?.atMs ?? 0) <= t));
      view.overdue = t >= resolved.dueAtMs;
      view.escalationLevel = escalationLevel(fired);
    } else {
      fired = new Set();
      lastChaseMs = 0;
      view.overdue = false;
      view.escalationLevel = 0;
    }
    if (resolved.returnWindow) returnWindow = resolved.returnWindow;
    view.deadlines = [...view.deadlines.filter((d) => d.kind !== resolved.kind), deadlineOf(resolved)];
  }

  /** Resolves and installs, unless a newer clock was asked for meanwhile (the newest wins). */
  const startClock = async (kind: ClockKind, startMs: number, origin: ClockOrigin, extraWorkingDays = 0, opts: { recompute?: boolean; extraCalendarDays?: number } = {}) => {
    const request = ++clockRequests;
    const resolved = await resolve(kind, startMs, origin, extraWorkingDays, opts.extraCalendarDays ?? 0);
    if (request === clockRequests) install(resolved, opts);
    return resolved;
  };

  /** A year's holiday schedule was published or corrected: re-resolve the running clock. */
  const recompute = async () => {
    const active = activeClock();
    if (!active) return;
    const before = { dueAt: active.dueAt, provisional: active.provisional };
    const after = await startClock(active.kind, active.startMs, active.origin ?? 'assignment', active.extraWorkingDays ?? 0, { recompute: true, extraCalendarDays: active.extraCalendarDays ?? 0 });
    if (after.dueAt === before.dueAt && after.provisional === before.provisional) return;
    const what = clockWord[active.kind];
    const moved = after.dueAt !== before.dueAt;
    await record('deadline.recomputed',
      moved ? `节假日安排公布/更正，${what}期限由 ${before.dueAt} 调整为 ${after.dueAt}` : `节假日安排公布，${what}期限 ${after.dueAt} 确定`, {
        data: { deadline: active.kind, before: before.dueAt, after: after.dueAt, provisionalBefore: before.provisional, provisional: after.provisional },
        ...(moved
          ? { notifications: [notice('task.deadline-moved', `期限调整：${input.title}`, `因节假日安排公布或更正，${what}期限调整为 ${after.dueAt}。`, ['task-department'])] }
          : {}),
      });
  };

  // ---- handlers: registered before the first await ----
  /**
   * Registers an Update whose validator is a synchronous Zod parse plus the state and permission
   * checks, so a refused action leaves no event in history; the handler then runs on parsed input.
   */
  function register<Ret, S extends ZodType>(
    def: UpdateDefinition<Ret, [z.input<S>]>,
    schema: S,
    check: (a: z.infer<S>) => void,
    run: (a: z.infer<S>) => Promise<Ret>,
  ) {
    setHandler(def, async (raw: z.input<S>) => {
      const a = schema.parse(raw);
      if (!initialized) {
        // An action that arrives while the task is still being assigned waits for the assignment
        // to be recorded (so the timeline stays in order), then is checked again.
        await condition(() => initialized);
        check(a);
      }
      if (!patched(PATCH.serialActions)) return run(a);
      // One action at a time, in the order accepted: the timeline shows them in that order, and
      // each is checked again against the state the one before it left.
      const release = await turn();
      try {
        check(a);
        return await run(a);
      } finally {
        release();
      }
    }, {
      validator: (raw: z.input<S>) => check(parse(schema, raw)),
    });
  }

  let queueTail: Promise<void> = Promise.resolve();
  /** Waits for the actions accepted before this one; resolves to the release of this one's turn. */
  function turn(): Promise<() => void> {
    let release!: () => void;
    const previous = queueTail;
    queueTail = new Promise<void>((r) => {
      release = r;
    });
    return previous.then(() => release);
  }

  setHandlers();

  function setHandlers() {
    register(signUpdate, signInputSchema, ({ actor }) => {
      requireOwnDepartment(actor);
      requireState(['assigned'], '签收');
    }, async ({ actor }) => {
      // Compute first, change after: a slow clock leaves the task as it was until it has one.
      const at = Date.now();
      const { startMs, origin } = originOf('handle', input.limits.handle, at);
      const due = await resolve('handle', startMs, origin);
      ++clockRequests;
      view.state = 'signed';
      view.signedAt = toShanghaiIso(at);
      install(due);
      await record('signed', `${deptName}签收，办理期限 ${due.dueAt}`, { actor });
      return clone(view);
    });

    register(submitUpdate, submitInputSchema, (submission) => {
      const { actor, outcome } = submission;
      requireSubmitter(actor);
      requireState(['signed', 'rework'], '提交办理结果');
      if (input.outcomes && (!outcome || !input.outcomes.includes(outcome))) {
        refuse('InvalidInput', `outcome: 必须是以下之一：${input.outcomes.join(', ')}`, [{ path: 'outcome', message: `必须是以下之一：${input.outcomes.join(', ')}` }]);
      }
      requireContents(submission);
    }, async ({ actor, ...submission }) => {
      const atMs = Date.now();
      if (input.review === 'none') {
        // A decision nobody in the matter reviews (the head's approval, the police's own
        // decision): the submission is final and ends the task.
        const at = toShanghaiIso(atMs);
        view.state = 'completed';
        view.submittedAt = at;
        view.closedAt = at;
        view.overdue = false;
        view.submission = { ...submission, at };
        await record('completed', `${deptName}作出决定，任务办结${submission.outcome ? `（${submission.outcome}）` : ''}`, {
          actor,
          data: { outcome: submission.outcome ?? null, evidence: submission.evidence?.length ?? 0, final: true },
        });
        return clone(view);
      }
      // The lead's review has a clock too (DOMAIN §10): resolved before anything changes.
      const review = patched(PATCH.reviewClock) ? await resolve('review', atMs, 'submission') : undefined;
      if (review) ++clockRequests;
      view.state = 'submitted';
      const at = toShanghaiIso(atMs);
      view.submittedAt = at;
      view.overdue = false;
      view.submission = { ...submission, at };
      if (review) install(review);
      await record('submitted', `${deptName}提交办理结果${review ? `，审核期限 ${review.dueAt}` : ''}`, {
        actor,
        data: { outcome: submission.outcome ?? null, evidence: submission.evidence?.length ?? 0, ...(review ? { reviewDueAt: review.dueAt } : {}) },
        notifications: [notice('task.submitted', `待审核：${input.title}`, `${deptName}已提交办理结果，请${review ? `于 ${review.dueAt} 前` : ''}审核。`, ['lead-department'])],
      });
      return clone(view);
    });

    register(reviewUpdate, reviewInputSchema, ({ actor }) => {
      requireReviewer(actor);
      requireState(['submitted'], '审核');
    }, async ({ actor, decision, comment }) => {
      const atMs = Date.now();
      const at = toShanghaiIso(atMs);
      if (decision === 'accept') {
        view.reviews.push({ decision, comment, at });
        view.state = 'completed';
        view.closedAt = at;
        view.overdue = false;
        await record('completed', `审核通过，任务办结`, { actor, data: { comment } });
      } else {
        // Rework gets a fresh handling clock from the moment it is sent back.
        const due = await resolve('handle', atMs, 'rework');
        ++clockRequests;
        view.reviews.push({ decision, comment, at });
        view.state = 'rework';
        install(due);
        await record('rework', `退回重办，新期限 ${due.dueAt}`, {
          actor,
          data: { comment },
          notifications: [notice('task.rework', `退回重办：${input.title}`, `审核意见：${comment}。请于 ${due.dueAt} 前重新提交。`, ['task-department'])],
        });
      }
      return clone(view);
    });

    register(returnUpdate, returnInputSchema, ({ actor, basis }) => {
      requireOwnDepartment(actor);
      requireState(['assigned', 'signed', 'rework'], '退回');
      if (input.returnable === false) refuse('NotReturnable', '此环节由法定机关办理，不能退回');
      // A designation binds (DOMAIN §5): the designated department cannot send it back on the
      // grounds the dispute settled.
      const designation = view.designated ?? input.designated;
      if (designation && (basis ?? 'duties') === designation.basis) {
        refuse('Designated', `本部门已由管辖争议决定指定办理（${designation.disputeId}），不能以同一理由退回`);
      }
      if (view.disputed) refuse('WrongState', '已提出管辖异议，争议处理期间请按原职责划分继续办理');
      // Returning is for the first days only (DOMAIN §4); after that the department handles it.
      if (returnWindow && Date.now() > returnWindow.dueAtMs) {
        refuse('ReturnWindowClosed', `退回期限（${returnWindow.dueAt}）已过，请办理或申请延期`);
      }
    }, async ({ actor, reason, suggestedDepartment, basis }) => {
      if (input.worksThroughDisputes && info.parent) {
        // 原职责划分: the department keeps the task, clocks running, while the dispute is settled.
        const at = now();
        view.disputed = { reason, at, ...(suggestedDepartment ? { suggestedDepartment } : {}), ...(basis ? { basis } : {}) };
        const suggestion = suggestedDepartment ? `，建议由${departmentName(suggestedDepartment)}办理` : '';
        await record('return.disputed', `${deptName}提出管辖异议${suggestion}；争议处理期间按原职责划分继续办理`, {
          actor,
          data: { reason, suggestedDepartment: suggestedDepartment ?? null, basis: basis ?? null },
          notifications: [notice('task.disputed', `管辖异议：${input.title}`, `${deptName}认为非本部门职责（${reason}）${suggestion}。争议处理期间，${deptName}继续按原职责划分办理，期限不变。`, ['lead-department', 'county-supervisors'])],
        });
        await getExternalWorkflowHandle(info.parent.workflowId).signal(stepReturnedSignal, {
          taskId: info.workflowId, department: input.department, reason, ...(suggestedDepartment ? { suggestedDepartment } : {}), ...(basis ? { basis } : {}),
        });
        return clone(view);
      }
      view.state = 'returned';
      const at = now();
      view.closedAt = at;
      view.overdue = false;
      view.returned = { reason, at, ...(suggestedDepartment ? { suggestedDepartment } : {}), ...(basis ? { basis } : {}) };
      const suggestion = suggestedDepartment ? `，建议由${departmentName(suggestedDepartment)}办理` : '';
      await record('returned', `${deptName}退回：非本部门职责${suggestion}`, {
        actor,
        data: { reason, suggestedDepartment: suggestedDepartment ?? null },
        notifications: [notice('task.returned', `任务被退回：${input.title}`, `${deptName}退回任务，理由：${reason}${suggestion}。`, ['lead-department', 'county-supervisors'])],
      });
      return clone(view);
    });

    register(requestExtensionUpdate, extensionInputSchema, ({ actor, workingDays, days }) => {
      // The length in the task's unit: `days` for a task counted in calendar days, else `workingDays`.
      const field = inDays ? 'days' : 'workingDays';
      const asked = inDays ? days : workingDays;
      if (asked === undefined) {
        const problem = inDays ? '本任务按日计算延期，请填写 days' : '本任务按工作日计算延期，请填写 workingDays';
        refuse('InvalidInput', `${field}: ${problem}`, [{ path: field, message: problem }]);
      }
      const approved = view.extensions.filter((e) => e.status === 'approved').reduce((n, e) => n + e.workingDays, 0);
      if (approved + asked > input.maxExtensionWorkingDays) {
        const problem = `超过本任务可延期的上限（共 ${input.maxExtensionWorkingDays} ${unitWord}，已批准 ${approved} ${unitWord}）`;
        refuse('InvalidInput', `${field}: ${problem}`, [{ path: field, message: problem }]);
      }
      requireOwnDepartment(actor);
      requireState(['signed', 'rework'], '申请延期');
      const active = activeClock();
      if (!active || Date.now() >= active.dueAtMs) refuse('DeadlinePassed', '办理期限已过，不能申请延期');
      if (view.extensions.some((e) => e.status === 'pending')) refuse('ExtensionPending', '已有待审批的延期申请');
    }, async ({ actor, workingDays, days, reason }) => {
      const asked = (inDays ? days : workingDays)!;
      const ext: ExtensionView = {
        id: `ext-${view.extensions.length + 1}`, workingDays: asked, ...(inDays ? { days: asked } : {}), reason, requestedAt: now(), status: 'pending',
      };
      view.extensions.push(ext);
      // Who decides is told: the department's own head for a head-approved extension, else the lead.
      await record('extension.requested', `${deptName}申请延期 ${asked} ${unitWord}`, {
        actor,
        data: { extensionId: ext.id, workingDays: asked, ...(inDays ? { days: asked } : {}), reason },
        notifications: [notice('task.extension-requested', `延期申请：${input.title}`, `${deptName}申请延期 ${asked} ${unitWord}，理由：${reason}。${byHead ? '须经本机关负责人批准。' : ''}`, [byHead ? 'task-department' : 'lead-department'])],
      });
      return clone(ext);
    });

    register(decideExtensionUpdate, extensionDecisionInputSchema, ({ actor, extensionId }) => {
      // 行政强制法 art. 25: a seizure's extension is the agency's head's (行政机关负责人) to grant.
      if (byHead) {
        if (actor.county !== input.county || actor.department !== input.department || !hasRole(actor, 'head')) refuse('Forbidden', '延期须经本机关负责人批准');
      } else requireReviewer(actor);
      const ext = view.extensions.find((e) => e.id === extensionId);
      if (!ext) refuse('NotFound', `没有延期申请 ${extensionId}`);
      if (ext.status !== 'pending') refuse('WrongState', '该延期申请已审批');
      if (isTerminal()) refuse('WrongState', `任务当前状态为「${taskStateNames[view.state]}」，不能审批延期`);
    }, async ({ actor, extensionId, approve, comment }) => {
      const ext = view.extensions.find((e) => e.id === extensionId)!;
      ext.status = approve ? 'approved' : 'rejected';
      ext.decidedAt = now();
      if (comment) ext.comment = comment;
      if (approve && clock?.kind === 'handle') {
        ext.previousDueAt = clock.dueAt;
        const moved = inDays
          ? await startClock('handle', clock.startMs, clock.origin ?? 'sign-for', clock.extraWorkingDays ?? 0, { extraCalendarDays: (clock.extraCalendarDays ?? 0) + ext.workingDays })
          : await startClock('handle', clock.startMs, clock.origin ?? 'sign-for', (clock.extraWorkingDays ?? 0) + ext.workingDays);
        ext.newDueAt = moved.dueAt;
      }
      await record(approve ? 'extension.approved' : 'extension.rejected',
        approve ? `同意延期，新期限 ${ext.newDueAt ?? '—'}` : '不同意延期', {
          actor,
          data: { extensionId, comment: comment ?? null, newDueAt: ext.newDueAt ?? null },
          notifications: [notice('task.extension-decided', `延期${approve ? '已批准' : '未批准'}：${input.title}`,
            approve ? `办理期限延至 ${ext.newDueAt ?? ''}。` : `延期申请未获批准${comment ? `：${comment}` : ''}。`, ['task-department'])],
        });
      return clone(ext);
    });

    register(cancelUpdate, cancelInputSchema, ({ actor }) => {
      if (actor.county !== input.county || !hasRole(actor, 'supervisor', 'operator')) {
        refuse('Forbidden', '只有本县督办或运营人员可以撤销任务');
      }
      // A matter's step is not cancelled: its matter would lack the outcome it branches on.
      // Supervisors move it to another department instead (the matter's reassignTask update).
      if (info.parent) refuse('MatterTask', `此任务是事项 ${info.parent.workflowId} 的办理环节，不能撤销；如需调整请改派`);
      if (isTerminal()) refuse('WrongState', `任务当前状态为「${taskStateNames[view.state]}」，不能撤销`);
    }, async ({ actor, reason }) => {
      await cancelTask(reason, actor);
      return clone(view);
    });

    setHandler(getTaskQuery, () => view);
    setHandler(recomputeDeadlinesSignal, () => {
      recomputeRequested = true;
    });
    setHandler(reassignSignal, (r) => {
      if (!isTerminal()) reassignment ??= r;
    });
    setHandler(designatedSignal, (d) => {
      view.designated = d;
      delete view.disputed;
    });
  }

  /** The matter moved this step to another department: the task ends, its history stays. */
  async function closeReassigned(r: { department: string; reason: string; actor: Principal }) {
    view.state = 'reassigned';
    const at = now();
    view.closedAt = at;
    view.overdue = false;
    view.reassigned = { department: r.department, reason: r.reason, at };
    await record('reassigned', `改派至${departmentName(r.department)}：${r.reason}`, {
      actor: r.actor,
      data: { department: r.department, reason: r.reason },
      notifications: [notice('task.reassigned', `任务改派：${input.title}`, `此任务已改派至${departmentName(r.department)}，理由：${r.reason}。`, ['task-department'])],
    });
  }

  async function cancelTask(reason: string, actor?: Principal) {
    view.state = 'cancelled';
    const at = now();
    view.closedAt = at;
    view.overdue = false;
    view.cancelled = { reason, at };
    await record('cancelled', `任务撤销：${reason}`, {
      ...(actor ? { actor } : {}),
      data: { reason },
      notifications: [notice('task.cancelled', `任务撤销：${input.title}`, `撤销原因：${reason}`, ['task-department'])],
    });
  }

  // ---- the clock loop ----
  /** Fires what is due: the deadline passing (recorded), the ladder's rungs, a daily chase. */
  async function fireDue(chaseAtMs?: number) {
    const active = activeClock();
    if (!active) return;
    const t = Date.now();
    const what = clockWord[active.kind];
    const who = active.kind === 'review' ? leadName : deptName;
    if (!view.overdue && t >= active.dueAtMs) {
      view.overdue = true;
      // Overdue is a fact of its own (read model, timeline), whether or not a rung fires now.
      if (patched(PATCH.recordOverdue)) {
        await record('overdue', `${who}${what}期限 ${active.dueAt} 已过`, { data: { deadline: active.kind, dueAt: active.dueAt } });
      }
    }
    for (const r of dueRungs(active, fired, t)) {
      fired.add(r.rung);
      view.escalationLevel = escalationLevel(fired);
      view.escalations.push({ rung: r.rung, level: view.escalationLevel, deadline: active.kind, firedAt: now() });
      const body = r.rung === 'reminder'
        ? `「${input.title}」${what}期限 ${active.dueAt}，请按时${what}。`
        : `「${input.title}」${what}期限 ${active.dueAt} 已过，${who}尚未${what}。`;
      await record(`ladder.${r.rung}`, `${rungNames[r.rung]}：${who}${what}期限 ${active.dueAt}`, {
        data: { rung: r.rung, deadline: active.kind, dueAt: active.dueAt },
        notifications: [notice(`ladder.${r.rung}`, `${rungNames[r.rung]}：${input.title}`, body, r.notify.map((a) => actingAudience(a, active.kind)))],
      });
    }
    if (chaseAtMs !== undefined && t >= chaseAtMs) {
      lastChaseMs = chaseAtMs;
      view.escalations.push({ rung: 'daily-chase', level: view.escalationLevel, deadline: active.kind, firedAt: now() });
      await record('ladder.daily-chase', `每日催办：${who}${what}期限 ${active.dueAt} 已过`, {
        data: { deadline: active.kind, dueAt: active.dueAt },
        notifications: [notice('ladder.daily-chase', `每日催办：${input.title}`, `「${input.title}」${what}期限 ${active.dueAt} 已过，${who}仍未${what}，请立即办理。`, [actingAudience('task-department', active.kind)])],
      });
    }
    if (view.overdue) publishState();
  }

  /**
   * After the last rung, the next working morning to chase on (DOMAIN §10), asking for more
   * mornings when the clock's list is used up. Undefined while rungs remain, or for runs started
   * before daily chasing (they wait silently after the last rung, as they did).
   */
  async function nextDailyChase(active: ResolvedClock): Promise<number | undefined> {
    if (!view.overdue || active.rungs.some((r) => !fired.has(r.rung))) return undefined;
    if (!patched(PATCH.dailyChase)) return undefined;
    const after = Math.max(lastChaseMs, active.dueAtMs, ...active.rungs.map((r) => r.atMs));
    const next = (active.dailyChases ?? []).find((ms) => ms > after);
    if (next !== undefined) return next;
    const more = await nextDailyChases.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算每日催办时间' }, [{ afterMs: after }]);
    active.dailyChases = more;
    return more.find((ms) => ms > after);
  }

  function nextWake(chaseAtMs: number | undefined): { atMs: number; summary: string } | undefined {
    const active = activeClock();
    if (!active) return undefined;
    const candidates = active.rungs
      .filter((r) => !fired.has(r.rung))
      .map((r) => ({ atMs: r.atMs, summary: `${rungNames[r.rung]} ${r.at.slice(0, 16)}` }));
    if (!view.overdue) {
      candidates.push({ atMs: active.dueAtMs, summary: `${clockWord[active.kind]}期限 ${active.dueAt.slice(0, 10)}` });
    }
    if (chaseAtMs !== undefined) candidates.push({ atMs: chaseAtMs, summary: `每日催办 ${toShanghaiIso(chaseAtMs).slice(0, 16)}` });
    candidates.sort((a, b) => a.atMs - b.atMs);
    return candidates[0];
  }

  try {
    if (!args.carried) {
      upsertSearchAttributes([
        { key: SA.County, value: input.county },
        { key: SA.Department, value: input.department },
        ...(input.leadDepartment ? [{ key: SA.LeadDepartment, value: input.leadDepartment }] : []),
        ...(input.matterId ? [{ key: SA.MatterId, value: input.matterId }] : []),
        ...(input.scenario ? [{ key: SA.Scenario, value: input.scenario }] : []),
      ]);
      const due = await startClock('sign-for', Date.now(), 'assignment');
      await record('assigned', `派单至${deptName}，签收期限 ${due.dueAt}`, {
        ...(input.assignedBy ? { actor: input.assignedBy } : {}),
        data: { title: input.title },
        notifications: [notice('task.assigned', `新任务：${input.title}`, `请于 ${due.dueAt} 前签收。`, ['task-department'])],
      });
      initialized = true;
    } else {
      publishState();
    }

    while (!isTerminal()) {
      if (reassignment) {
        // Actions accepted before the reassignment finish first, so the timeline keeps their order.
        await condition(allHandlersFinished);
        if (!isTerminal()) await closeReassigned(reassignment);
        break;
      }
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof departmentTask>({
          ...args,
          carried: {
            view, ...(clock ? { clock } : {}), fired: [...fired], lastChaseMs, recomputeRequested,
            ...(returnWindow ? { returnWindow } : {}),
          },
        });
      }
      if (recomputeRequested) {
        recomputeRequested = false;
        await recompute();
        continue;
      }
      const version = clockVersion;
      const seq = view.lastEventSeq;
      const active = activeClock();
      const chaseAtMs = active ? await nextDailyChase(active) : undefined;
      if (clockVersion !== version || view.lastEventSeq !== seq || isTerminal()) continue;
      const wake = nextWake(chaseAtMs);
      const changed = () => isTerminal() || clockVersion !== version || view.lastEventSeq !== seq || recomputeRequested || reassignment !== undefined;
      if (wake) {
        const woke = await condition(changed, Math.max(wake.atMs - Date.now(), 1), { summary: wake.summary });
        if (!woke) await fireDue(chaseAtMs);
      } else {
        await condition(changed);
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The parent matter closed (or someone cancelled the run): record it, then end the run as
    // Cancelled so the Temporal UI shows it that way too.
    await CancellationScope.nonCancellable(async () => {
      if (!isTerminal()) await cancelTask('所属事项已关闭');
    });
    throw err;
  }

  await condition(allHandlersFinished);
  return {
    taskId: info.workflowId,
    department: input.department,
    state: view.state as TaskResult['state'],
    ...(view.signedAt ? { signedAt: view.signedAt } : {}),
    ...(view.submission ? { submission: view.submission } : {}),
    ...(view.returned ? { returned: view.returned } : {}),
    ...(view.reassigned ? { reassigned: view.reassigned } : {}),
  };
}

