/**
 * The shared primitives every scenario workflow is built from: department tasks (child
 * workflows) alone, in parallel or as one joint visit, rectification with re-inspection,
 * criminal transfer, publication and closing. A scenario workflow reads like the real process and
 * calls these; none of them knows which scenario it serves.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowIdReusePolicy,
  condition,
  defineQuery,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { z, type ZodType } from 'zod';
import { toShanghaiIso, type TimeLimitRuleInput } from '../domain/calendar/index.js';
import { departmentName, divisionName } from '../domain/departments.js';
import { cancelMatterBodySchema, initialMatterView, type MatterInput, type MatterTaskRef, type MatterView } from '../domain/matter.js';
import { coversCounty, hasRole, principalSchema, type Principal } from '../domain/principal.js';
import { SA } from '../domain/search-attributes.js';
import { reassignBodySchema, type TaskResult } from '../domain/task.js';
import { departmentTask, designatedSignal, reassignSignal, recomputeDeadlinesSignal, stepReturnedSignal } from './department-task.js';
import { clone, recorder } from './recording.js';
import { parseOrRefuse, refuse } from './refusal.js';
import { clocks, writes } from './activities.js';
import { jurisdictionDispute, temporaryLeadSignal } from './jurisdiction-dispute.js';
import type { DisputeResult } from '../domain/dispute.js';
import type { TaskSpec } from '../domain/scenarios/schema.js';
import { criminalTransferOutcomes } from '../domain/scenarios/outcomes.js';
import { transferStepKeys, type CriminalTransferInput } from '../domain/transfer.js';
import { criminalTransfer, transferApprovedSignal } from './criminal-transfer.js';

const { recordMatterEvent, publishResult, closeInterruptedTask } = writes;
const { resolveDue } = clocks;

const cancelMatterInputSchema = cancelMatterBodySchema.extend({ actor: principalSchema });
const reassignTaskInputSchema = reassignBodySchema.extend({ taskId: z.string().min(1).max(300), actor: principalSchema });
export const getMatterQuery = defineQuery<MatterView>('getMatter');
export const cancelMatterUpdate = defineUpdate<MatterView, [z.input<typeof cancelMatterInputSchema>]>('cancelMatter');
/**
 * A supervisor (of the county or its city) moves a running step to another department (改派):
 * the task ends as `reassigned` and the same step is issued to that department with fresh
 * clocks. Answers with the new task once it is assigned.
 */
export const reassignTaskUpdate = defineUpdate<{ taskId: string; department: string }, [z.input<typeof reassignTaskInputSchema>]>('reassignTask');

/**
 * Patch: a step whose task is cancelled, terminated or fails outside the API is recorded, raised
 * to the county supervisors and issued again, instead of ending the matter (or letting it carry on
 * without the step's outcome). Runs started before it keep their old behaviour on replay.
 */
const REISSUE_INTERRUPTED_STEPS = 'reissue-interrupted-steps';

/**
 * Patch: the matter ends only after every task and dispute it started has ended (a dispute still
 * open is cancelled first), so no child outlives its matter and the timeline records the tasks'
 * ends before the matter's. Before it, parallel steps ended at the first cancelled sibling and
 * an open dispute was left to the parent-close policy.
 */
const CHILDREN_CLOSE_FIRST = 'children-close-first';

/**
 * Patch: publication on its own clock (DOMAIN §9): counted from the end of the check, published by
 * the system at the deadline when the lead has not, versions, penalty decisions published, complaint
 * handling withheld. Before it, the lead's task ran from the end of the matter.
 */
const PUBLICATION_CLOCK = 'publication-clock';

/** Patch: children start with REJECT_DUPLICATE, and a taken id moves on to the next one. */
const FRESH_CHILD_IDS = 'fresh-child-ids';
/**
 * The subject and facts (personal data, and the bulk of a matter's view) go to the record once,
 * with the first event; later recording inputs leave them out and the row keeps them.
 */
const SLIM_RECORDING = 'slim-recording';

/**
 * Patch: the criminal transfer runs as its own child workflow (`criminalTransfer`, 国务院令第310号
 * step by step) when the matter's catalogue has its steps; before it, three tasks ran inline.
 */
const TRANSFER_WORKFLOW = 'criminal-transfer-workflow';

/**
 * Patch: a returned step stays with its department while the dispute runs (原职责划分, DOMAIN §5);
 * before it, the task ended on return and nobody worked it until the decision.
 */
const WORK_DURING_DISPUTE = 'work-during-dispute';

type StepReturn = { taskId: string; department: string; reason: string; suggestedDepartment?: string | undefined; basis?: 'law' | 'duties' | undefined };

/** How one issue of a step ended; `interrupted` is the matter's own word for an outside end. */
export type StepResult = Omit<TaskResult, 'state'> & { taskId: string; state: TaskResult['state'] | 'interrupted' };


/** How a child ended outside the API, for the timeline and the supervisors' notice. */
function interruptionOf(err: unknown): { code: 'cancelled' | 'terminated' | 'timed-out' | 'failed'; name: string } {
  const cause = (err as { cause?: unknown }).cause;
  if (isCancellation(err)) return { code: 'cancelled', name: '被撤销' };
  if (cause instanceof TerminatedFailure) return { code: 'terminated', name: '被终止' };
  if (cause instanceof TimeoutFailure) return { code: 'timed-out', name: '超时终止' };
  return { code: 'failed', name: '运行失败' };
}


/**
 * A scenario's facts, parsed. The API checks them first; a matter started some other way with bad
 * facts fails at once (non-retryable) instead of retrying its first workflow task forever.
 */
export function parseFacts<S extends ZodType>(schema: S, facts: unknown): z.infer<S> {
  return parseOrRefuse(schema, facts, { type: 'InvalidFacts', prefix: ['facts'] });
}

/** How a finished matter ended, for the timeline and the public record. */
export interface MatterOutcome {
  code: string;
  summary: string;
  /** Not published, and why (complaint handling, mediation: DOMAIN §9). */
  withheld?: string;
  /** What the public reads when it differs from the record (a transfer under investigation is left out). */
  public?: { code: string; summary: string };
}

export type MatterKit = ReturnType<typeof openMatter>;

/**
 * Opens a matter: builds its state, registers its query and cancel update (before any await),
 * and returns the primitives. `run(process)` drives the scenario and handles cancellation.
 */
export function openMatter(input: MatterInput) {
  const info = workflowInfo();
  const def = input.definition;
  const now = () => toShanghaiIso(Date.now());
  const roles: Record<string, string> = { ...def.roles };
  if (typeof input.facts.township === 'string') roles.locality = `township:${input.facts.township}`;
  const lead = roles.lead!;
  const stageName = (key: string) => def.stages.find((s) => s.key === key)?.name ?? key;

  const view: MatterView = initialMatterView(info.workflowId, input, now());
  let taskCounter = 0;
  let disputeCounter = 0;
  /** Instants rules may count from: the matter's opening (the complaint's receipt) and the last step's end. */
  const matterOpenedAt = input.source?.receivedAt ? Date.parse(input.source.receivedAt) : Date.parse(view.createdAt);
  let previousStepEndedAt: number | undefined;
  const temporaryLeads = new Map<string, { department: string; reasoning: string }>();
  /** Returns of steps that work through disputes (DOMAIN §5), by task, as the tasks reported them. */
  const stepReturns = new Map<string, StepReturn>();
  let cancelRequest: { reason: string; actor?: Principal } | undefined;
  /** Reassignments accepted and not yet carried out, by the task they move. */
  const reassigning = new Map<string, Principal>();
  const scope = new CancellationScope();
  /** The ends of the children (tasks, disputes) not yet ended: the matter waits for them before it closes. */
  const live = new Set<Promise<unknown>>();
  const track = (end: Promise<unknown>) => {
    const settled = end.then(() => undefined, () => undefined);
    live.add(settled);
    void settled.then(() => live.delete(settled));
  };
  /** Cancels what is still running (an open dispute) and waits until every child has ended. */
  async function childrenEnded() {
    if (!patched(CHILDREN_CLOSE_FIRST)) return;
    scope.cancel();
    await CancellationScope.nonCancellable(async () => {
      while (live.size > 0) await Promise.all([...live]);
    });
    for (const d of view.disputes ?? []) if (d.state === 'open') d.state = 'ended';
  }

  setHandler(getMatterQuery, () => view);
  // A year's holidays were published: the matter's own waits (a rectification period, a step the
  // law ends by itself) re-resolve from their start. Tasks and disputes do their own.
  let calendarVersion = 0;
  setHandler(recomputeDeadlinesSignal, () => {
    calendarVersion += 1;
  });
  setHandler(stepReturnedSignal, (r) => {
    if (view.tasks.some((t) => t.taskId === r.taskId)) stepReturns.set(r.taskId, r);
  });
  setHandler(transferApprovedSignal, ({ transferId }) => {
    const ref = view.transfers?.find((t) => t.transferId === transferId);
    if (ref) ref.approved = true;
  });
  setHandler(temporaryLeadSignal, ({ disputeId, department, reasoning }) => {
    temporaryLeads.set(disputeId, { department, reasoning });
  });
  // Accepting the cancel is immediate; winding down (children cancelled, the event recorded)
  // follows in the run. Callers wait for the run to end (the API does) to see `cancelled`.
  setHandler(cancelMatterUpdate, (raw) => {
    const { actor, reason } = cancelMatterInputSchema.parse(raw);
    cancelRequest = { reason, actor };
    scope.cancel();
    return Promise.resolve(clone(view));
  }, {
    validator: (raw) => {
      const { actor } = parseOrRefuse(cancelMatterInputSchema, raw);
      if (actor.county !== input.county || !hasRole(actor, 'operator', 'supervisor')) refuse('Forbidden', '只有本县运营或督办人员可以撤销事项');
      if (view.status !== 'open' || cancelRequest) refuse('WrongState', '事项已结束，不能撤销');
      // A fine never replaces a transfer, nor does closing the matter (国务院令第310号 art. 11).
      if (view.transfers?.some((t) => t.state === 'running' && t.approved)) {
        refuse('TransferPending', '已批准移送公安机关的案件，移送程序结束前不能撤销事项（国务院令第310号第11条）');
      }
    },
  });

  setHandler(reassignTaskUpdate, async (raw) => {
    const { taskId, department, reason, actor } = reassignTaskInputSchema.parse(raw);
    const ref = view.tasks.find((t) => t.taskId === taskId)!;
    reassigning.set(taskId, actor);
    try {
      await getExternalWorkflowHandle(taskId).signal(reassignSignal, { department, reason, actor });
    } catch {
      reassigning.delete(taskId);
      refuse('WrongState', '任务已结束，不能改派');
    }
    // The task may have ended some other way meanwhile (accepted, returned): then nothing moves.
    await condition(() => ref.state !== 'running');
    if (ref.state !== 'reassigned') {
      reassigning.delete(taskId);
      refuse('WrongState', '任务已在改派前结束，未改派');
    }
    await condition(() => view.tasks.some((t) => t.replaces === taskId));
    const next = view.tasks.find((t) => t.replaces === taskId)!;
    return { taskId: next.taskId, department: next.department };
  }, {
    validator: (raw) => {
      const { actor, taskId, department } = parseOrRefuse(reassignTaskInputSchema, raw);
      if (!coversCounty(actor, input.county) || !hasRole(actor, 'supervisor')) refuse('Forbidden', '只有本县或上级督办人员可以改派事项任务');
      if (view.status !== 'open' || cancelRequest) refuse('WrongState', '事项已结束，不能改派');
      const ref = view.tasks.find((t) => t.taskId === taskId);
      if (!ref) refuse('NotFound', '事项中没有此任务');
      if (ref.state !== 'running' || reassigning.has(taskId)) refuse('WrongState', '任务已结束或正在改派，不能改派');
      if (ref.department === department) refuse('InvalidInput', `department: 此任务已由${departmentName(department)}办理`, [{ path: 'department', message: `此任务已由${departmentName(department)}办理` }]);
    },
  });

  function publishState() {
    upsertSearchAttributes([
      { key: SA.MatterStage, value: view.stage },
      { key: SA.TaskState, value: view.status },
    ]);
    const open = view.tasks.filter((t) => t.state === 'running').map((t) => departmentName(t.department));
    setCurrentDetails(
      view.status === 'open'
        ? `**${view.stageName}** · ${open.length ? `等待 ${[...new Set(open)].join('、')} 办理` : '处理中'}`
        : `**${view.status === 'closed' ? '已办结' : '已撤销'}**${view.result ? ` · ${view.result.summary}` : ''}`,
    );
  }

  let subjectRecorded = false;
  const record = recorder({
    view, county: input.county, idField: 'matterId', write: recordMatterEvent, publish: publishState,
    // Before delta-recording: whole views, after patched('slim-recording') without subject and facts.
    legacy: () => {
      const full = !subjectRecorded || !patched(SLIM_RECORDING);
      const { subject: _subject, facts: _facts, ...rest } = view;
      return { view: clone(full ? view : rest) as MatterView };
    },
    landed: () => {
      subjectRecorded = true;
    },
  });

  /**
   * Starts a child under the next id of its kind. An id is never reused, even after its run
   * closed: a second run under the same id would write its events over the first one's (the
   * timeline and inbox are keyed by it). When an id is taken (a reset matter re-issuing a step,
   * a run started by hand), the matter takes the next one.
   */
  async function startFresh<H>(nextId: () => string, start: (workflowId: string, reuse: { workflowIdReusePolicy?: WorkflowIdReusePolicy }) => Promise<H>) {
    for (;;) {
      const workflowId = nextId();
      const fresh = patched(FRESH_CHILD_IDS);
      try {
        const handle = await start(workflowId, fresh ? { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE } : {});
        return { handle, workflowId };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !fresh) throw err;
      }
    }
  }

  /** One department task as a child workflow, from assignment to its end. */
  type Designation = { disputeId: string; basis: 'law' | 'duties' };
  /** A step whose department keeps working it through a dispute; the designation its next issue carries. */
  type ThroughDisputes = { designation?: Designation };
  async function runOne(key: string, spec: TaskSpec, department: string, note?: string, replaces?: string, designated?: Designation, countsFrom?: number, through?: ThroughDisputes): Promise<StepResult> {
    const stepOrigin = countsFrom ?? previousStepEndedAt;
    const title = `${spec.title}${note ? `（${note}）` : ''}`;
    // Runs before FRESH_CHILD_IDS listed the task before it started (the reassign update waits on
    // that list, so replay needs the same moment); later runs list it once it runs under its id.
    const ref: MatterTaskRef = { taskId: '', key, department, state: 'running', ...(replaces ? { replaces } : {}) };
    const listEarly = !patched(FRESH_CHILD_IDS);
    if (listEarly) view.tasks.push(ref);
    const { handle, workflowId: taskId } = await startFresh(() => (ref.taskId = `${info.workflowId}/task:${department}:${++taskCounter}`), (workflowId, reuse) => startChild(departmentTask, {
      workflowId, ...reuse,
      args: [{
        county: input.county, department, title,
        instructions: spec.instructions, matterId: info.workflowId, scenario: def.id, leadDepartment: lead,
        limits: spec.limits, ladder: def.ladder, ...(spec.outcomes ? { outcomes: spec.outcomes } : {}),
        clockOrigins: { matterOpenedAt, ...(stepOrigin !== undefined ? { previousStepEndedAt: stepOrigin } : {}) },
        ...(spec.maxExtensionWorkingDays !== undefined ? { maxExtensionWorkingDays: spec.maxExtensionWorkingDays } : {}),
        ...(spec.extension ? { extension: spec.extension } : {}),
        ...(designated ? { designated } : {}),
        ...(through ? { worksThroughDisputes: true } : {}),
      }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${departmentName(department)} · ${spec.title}`.slice(0, 200),
      staticDetails: `**${def.name.zh}** · ${divisionName(input.county)} · ${view.stageName}\n\n${spec.instructions}`,
      typedSearchAttributes: [
        { key: SA.County, value: input.county },
        { key: SA.Scenario, value: def.id },
        { key: SA.MatterId, value: info.workflowId },
        { key: SA.Department, value: department },
        { key: SA.LeadDepartment, value: lead },
      ],
    }));
    if (!listEarly) view.tasks.push(ref);
    track(handle.result());
    await record('task.assigned', `派单：${departmentName(department)} · ${spec.title}`, { data: { taskId, key, department, ...(replaces ? { replaces } : {}) } });
    let result: TaskResult;
    try {
      result = await handle.result();
    } catch (err) {
      // The matter itself is winding down (cancelled, a step expiring, an interim task no longer
      // needed): the task's end is part of that.
      if (CancellationScope.current().consideredCancelled || !patched(REISSUE_INTERRUPTED_STEPS)) {
        if (isCancellation(err)) ref.state = 'cancelled';
        throw err;
      }
      return interrupted(ref, spec, title, interruptionOf(err));
    }
    if (result.state === 'cancelled' && patched(REISSUE_INTERRUPTED_STEPS)) {
      return interrupted(ref, spec, title, { code: 'cancelled', name: '被撤销' });
    }
    ref.state = result.state;
    if (result.state === 'completed') previousStepEndedAt = Date.now();
    if (result.submission?.outcome) ref.outcome = result.submission.outcome;
    if (result.state === 'returned') {
      await record('task.returned', `${departmentName(department)}退回「${spec.title}」：${result.returned?.reason ?? ''}`, {
        data: { taskId, key, reason: result.returned?.reason ?? '', suggestedDepartment: result.returned?.suggestedDepartment ?? null },
      });
    } else if (result.state === 'reassigned') {
      const moved = result.reassigned!;
      const actor = reassigning.get(taskId);
      reassigning.delete(taskId);
      await record('task.reassigned', `「${spec.title}」由${departmentName(department)}改派至${departmentName(moved.department)}：${moved.reason}`, {
        ...(actor ? { actor } : {}),
        data: { taskId, key, from: department, to: moved.department, reason: moved.reason },
      });
    } else {
      await record(`task.${result.state}`, `${departmentName(department)}${result.state === 'completed' ? '办结' : '任务撤销'}：${spec.title}${ref.outcome ? `（${ref.outcome}）` : ''}`, { data: { taskId, key, outcome: ref.outcome ?? null } });
    }
    return { ...result, taskId };
  }

  /** A task ended outside the API: on the record, the supervisors told, the step to be issued again. */
  async function interrupted(ref: MatterTaskRef, spec: TaskSpec, title: string, how: ReturnType<typeof interruptionOf>): Promise<StepResult> {
    ref.state = 'interrupted';
    const dept = departmentName(ref.department);
    const at = now();
    // A terminated task cannot close its own inbox row: the matter does, with what it knows of it.
    await closeInterruptedTask({
      view: {
        taskId: ref.taskId, county: input.county, department: ref.department, title, instructions: spec.instructions,
        matterId: info.workflowId, scenario: def.id, leadDepartment: lead, ...(spec.outcomes ? { outcomes: spec.outcomes } : {}),
        state: 'cancelled', assignedAt: at, closedAt: at, deadlines: [], overdue: false, escalationLevel: 0, escalations: [],
        extensions: [], reviews: [], cancelled: { reason: `任务在系统外${how.name}，已重新派发`, at }, lastEventSeq: 0,
      },
    });
    await record('task.interrupted', `${dept}「${spec.title}」${how.name}（未经本系统办理），已重新派发`, {
      data: { taskId: ref.taskId, key: ref.key, how: how.code },
      notifications: [{
        kind: 'matter.task-interrupted', title: `任务${how.name}：${spec.title}`,
        body: `${dept}的任务「${spec.title}」在系统外${how.name}，事项不能缺少该环节的结果，已重新派发给${dept}。请核实原因。`,
        recipients: [{ county: input.county, role: 'supervisor' }],
      }],
    });
    return { taskId: ref.taskId, department: ref.department, state: 'interrupted' };
  }

  /**
   * Issues a step until it ends by the department's own act (completed, returned): a reassigned
   * step goes to its new department, an interrupted one to the same, each time with fresh clocks.
   */
  async function untilSettled(key: string, spec: TaskSpec, department: string, note?: string, designated?: Designation, countsFrom?: number, through?: ThroughDisputes): Promise<StepResult> {
    let replaces: string | undefined;
    for (;;) {
      const r = await runOne(key, spec, department, note, replaces, through?.designation ?? designated, countsFrom, through);
      if (r.state === 'reassigned') department = r.reassigned!.department;
      else if (r.state !== 'interrupted') return r;
      replaces = r.taskId;
    }
  }

  type Due = { dueAtMs: number; dueAt: string; provisional: boolean };
  const dueOf = (what: string, startMs: number, rule: TimeLimitRuleInput): Promise<Due> =>
    resolveDue.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: `计算${what}期限` }, [{ startMs, rule }]);

  /**
   * Waits until `done` holds or the limit `due` (resolved from `startMs` by `rule`) ends. When a
   * year's holidays are published meanwhile, the limit is resolved again from the same start and
   * the wait follows it; a moved end is recorded. Answers whether `done` held, and the last end.
   */
  async function within(what: string, startMs: number, rule: TimeLimitRuleInput, first: Due, done: () => boolean): Promise<{ done: boolean; due: Due }> {
    let due = first;
    for (;;) {
      const version = calendarVersion;
      if (!(await condition(() => done() || calendarVersion !== version, Math.max(due.dueAtMs - Date.now(), 1), { summary: `${what} ${due.dueAt.slice(0, 10)}` }))) return { done: false, due };
      if (done()) return { done: true, due };
      const again = await dueOf(what, startMs, rule);
      if (again.dueAt !== due.dueAt || again.provisional !== due.provisional) {
        await record('deadline.recomputed', `${what}因节假日安排调整：${due.dueAt} → ${again.dueAt}`, {
          data: { what, before: due.dueAt, after: again.dueAt, provisional: again.provisional },
        });
      }
      due = again;
    }
  }

  /**
   * A step the law ends by itself when its time runs out (e.g. mediation ends after 45 working
   * days without agreement): the matter cancels the department's task at its handling deadline,
   * counted from assignment, and carries on as if it had reported `expiresAs`.
   */
  async function expiring(key: string, spec: TaskSpec, department: string, expiresAs: string, note?: string, countsFrom?: number): Promise<StepResult> {
    // Counted from assignment, or from the event the step's rule names (`countsFrom`).
    const startMs = countsFrom ?? Date.now();
    const first = await dueOf(spec.title, startMs, spec.limits.handle);
    const scope = new CancellationScope();
    let result: StepResult | undefined;
    const running = scope.run(() => untilSettled(key, spec, department, note, undefined, countsFrom)).then((r) => {
      result = r;
      return r;
    });
    void running.catch(() => undefined);
    const { done, due } = await within(`${spec.title}期限`, startMs, spec.limits.handle, first, () => result !== undefined);
    if (done) return result!;
    scope.cancel();
    await running.catch(() => undefined);
    const ref = [...view.tasks].reverse().find((t) => t.key === key);
    await record('task.expired', `${spec.title}期限（${due.dueAt}）届满，依法终止，视为「${expiresAs}」`, { data: { key, dueAt: due.dueAt, outcome: expiresAs } });
    return {
      taskId: ref?.taskId ?? '', department, state: 'cancelled',
      submission: { summary: `期限届满：${due.dueAt}`, outcome: expiresAs, at: now() },
    };
  }

  /**
   * A returned task opens a jurisdiction dispute (child workflow) between the department that
   * returned it and the one it points to (else the lead, else the county government). The
   * decision names who acts, with fresh clocks. An emergency temporary lead works the task
   * meanwhile: if the decision names it, its task stands; otherwise it is cancelled and reassigned.
   */
  async function settleJurisdiction(key: string, spec: TaskSpec, returnedBy: string, returned: StepResult): Promise<{ department: string; designated: Designation } | { done: StepResult }> {
    const suggested = returned.returned?.suggestedDepartment;
    const other = suggested && suggested !== returnedBy ? suggested : lead !== returnedBy ? lead : 'county-government';
    const ref = { disputeId: '', taskKey: key, state: 'open' as 'open' | 'decided' | 'ended', parties: [returnedBy, other] };
    const listEarly = !patched(FRESH_CHILD_IDS);
    if (listEarly) view.disputes = [...(view.disputes ?? []), ref];
    const { handle, workflowId: disputeId } = await startFresh(() => (ref.disputeId = `${info.workflowId}/dispute:${++disputeCounter}`), (workflowId, reuse) => startChild(jurisdictionDispute, {
      workflowId, ...reuse,
      args: [{ county: input.county, matterId: info.workflowId, taskKey: key, taskTitle: spec.title, parties: [returnedBy, other], returnedBy, reason: returned.returned?.reason ?? '', kind: returned.returned?.basis ?? 'duties', ...(def.disputes ? { settings: def.disputes } : {}) }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `管辖争议 · ${spec.title} · ${departmentName(returnedBy)} / ${departmentName(other)}`.slice(0, 200),
      typedSearchAttributes: [
        { key: SA.County, value: input.county },
        { key: SA.Scenario, value: def.id },
        { key: SA.MatterId, value: info.workflowId },
      ],
    }));
    if (!listEarly) view.disputes = [...(view.disputes ?? []), ref];
    await record('dispute.opened', `「${spec.title}」发生管辖争议：${departmentName(returnedBy)}、${departmentName(other)}`, {
      data: { disputeId, key, parties: [returnedBy, other] },
      notifications: [{ kind: 'matter.dispute-opened', title: `管辖争议：${spec.title}`, body: `${departmentName(returnedBy)}退回，理由：${returned.returned?.reason ?? ''}。已启动管辖争议处理。`, recipients: [{ county: input.county, role: 'supervisor' }] }],
    });
    track(handle.result());
    let final: DisputeResult | undefined;
    const finalP = handle.result().then((r) => {
      final = r;
      return r;
    });
    void finalP.catch(() => undefined);
    await condition(() => final !== undefined || temporaryLeads.has(disputeId));
    let done: StepResult | undefined;
    if (!final) {
      const temp = temporaryLeads.get(disputeId)!;
      const scope = new CancellationScope();
      let interim: StepResult | undefined;
      const interimP = scope.run(() => untilSettled(key, spec, temp.department, '争议期间临时牵头')).then((r) => {
        interim = r;
        return r;
      });
      void interimP.catch(() => undefined);
      await condition(() => final !== undefined || interim !== undefined);
      if (interim?.state === 'completed') {
        done = interim;
      } else {
        await finalP;
        if (final!.department === temp.department && !interim) done = await interimP;
        else if (!interim) {
          scope.cancel();
          await interimP.catch(() => undefined);
        }
      }
    }
    if (done) {
      ref.state = final ? 'decided' : 'open';
      return { done };
    }
    const decision = final ?? (await finalP);
    ref.state = 'decided';
    await record('dispute.decided', `指定管辖：「${spec.title}」由${departmentName(decision.department)}办理`, { data: { disputeId, department: decision.department, rung: decision.rung } });
    return { department: decision.department, designated: { disputeId, basis: returned.returned?.basis ?? 'duties' } };
  }

  /** When the check ended and the standard result it leaves (DOMAIN §9); set by `checkEnded`. */
  let checkEnd: { atMs: number; interim: MatterOutcome } | undefined;
  /** The publication step, once started; the final result once the matter knows it; what the public reads. */
  let publication: Promise<void> | undefined;
  let finalResult: { code: string; summary: string } | undefined;
  let lastShown: { code: string; summary: string } | undefined;

  /**
   * The lead publishes within `publishWithin` of `fromMs` (the end of the check); at that deadline
   * the step expires and the system publishes. Either way the public reads the result known then.
   */
  async function publicationStep(fromMs: number) {
    const spec = def.tasks.publication!;
    const rule = def.settings.publishWithin;
    const step = await expiring('publication', { ...spec, limits: { ...spec.limits, handle: { ...rule, startsFrom: 'previous-step' } } }, kit.department(spec.role), 'published-by-system', undefined, fromMs);
    const known = finalResult ?? checkEnd?.interim;
    if (!known) return;
    await CancellationScope.nonCancellable(() => publishVersion(known, step.submission?.outcome === 'published-by-system' ? 'system' : 'lead'));
  }

  /** An organisation is named with its credit code; anyone else never (DOMAIN §9). */
  const subjectLabel = () => {
    const s = input.subject;
    return s.kind === 'enterprise' && s.creditCode ? `${s.name}（${s.creditCode}）` : `${def.name.zh}对象（${divisionName(input.county)}）`;
  };

  /** Publishes the next version of the matter's result, and records who published it. */
  async function publishVersion(outcome: { code: string; summary: string }, by: 'lead' | 'system') {
    const resultId = `${info.workflowId}/result`;
    const version = (view.published?.version ?? 0) + 1;
    const at = now();
    await publishResult({
      resultId, matterId: info.workflowId, county: input.county, scenario: def.id, subjectLabel: subjectLabel(),
      // Who checked: a reply to the complainant (`reply.*`) is no inspection.
      resultCode: outcome.code, summary: outcome.summary, inspectedBy: [...new Set(view.tasks.filter((t) => !t.key.startsWith('reply.')).map((t) => t.department))],
      publishedAt: at, kind: 'inspection', version, publishedBy: by,
    });
    view.published = { at, resultId, version, by };
    lastShown = { code: outcome.code, summary: outcome.summary };
    const type = version > 1 ? 'published.updated' : by === 'system' ? 'published.by-system' : 'published';
    const words = version > 1 ? '公开结果已更新为最终结果' : by === 'system' ? '公开期限届满牵头部门未公开，系统已按标准结果公开' : '结果已公开';
    await record(type, `${words}：${outcome.summary}`, { data: { resultId, code: outcome.code, version, by } });
  }

  /** Publication before the `publication-clock` patch: the lead's task, then the result (replay only). */
  async function publishBefore(outcome: MatterOutcome) {
    await kit.stage('publication');
    view.result = outcome;
    await kit.task('publication');
    const s = input.subject;
    const label = s.creditCode ? `${s.name}（${s.creditCode}）` : `${def.name.zh}对象（${divisionName(input.county)}）`;
    const resultId = `${info.workflowId}/result`;
    const at = now();
    await publishResult({
      resultId, matterId: info.workflowId, county: input.county, scenario: def.id, subjectLabel: label,
      resultCode: outcome.code, summary: outcome.summary,
      inspectedBy: [...new Set(view.tasks.map((t) => t.department))], publishedAt: at,
    });
    view.published = { at, resultId };
    await record('published', `结果已公开：${outcome.summary}`, { data: { resultId, code: outcome.code } });
  }

  let transferCounter = 0;
  async function transferAsChild(reason: string): Promise<'filed' | 'not-filed' | 'refused'> {
    await kit.stage('criminal-transfer');
    const steps = Object.fromEntries(transferStepKeys.map((k) => [k, def.tasks[k]!])) as CriminalTransferInput['steps'];
    const agency = kit.department(def.tasks['transfer.approve']!.role);
    const police = kit.department('police');
    const ref: NonNullable<MatterView['transfers']>[number] = { transferId: '', state: 'running', approved: false };
    const { handle, workflowId: transferId } = await startFresh(() => (ref.transferId = `${info.workflowId}/transfer:${++transferCounter}`), (workflowId, reuse) => startChild(criminalTransfer, {
      workflowId, ...reuse,
      args: [{ county: input.county, matterId: info.workflowId, scenario: def.id, reason, agency, police, steps, ladder: def.ladder, matterOpenedAt }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `行刑衔接 · ${departmentName(agency)} → ${departmentName(police)} · ${reason}`.slice(0, 200),
      typedSearchAttributes: [
        { key: SA.County, value: input.county },
        { key: SA.Scenario, value: def.id },
        { key: SA.MatterId, value: info.workflowId },
        { key: SA.Department, value: agency },
      ],
    }));
    view.transfers = [...(view.transfers ?? []), ref];
    track(handle.result());
    await record('criminal-transfer.opened', `涉嫌犯罪，启动移送程序：${reason}`, { data: { transferId, reason, agency, police } });
    let ended = false;
    const resultP = handle.result().finally(() => {
      ended = true;
    });
    void resultP.catch(() => undefined);
    // The approval is on the matter's record (and its read model) the moment it is known: from
    // then on the matter cannot be cancelled (art. 11).
    await condition(() => ref.approved || ended);
    if (ref.approved) await record('criminal-transfer.approved', '已批准移送公安机关：移送程序结束前事项不能撤销（国务院令第310号第11条）', { data: { transferId } });
    const result = await resultP;
    ref.state = result.outcome;
    const words = { refused: '经审批不移送', filed: '公安机关已立案', 'not-filed': '公安机关不予立案' } as const;
    await record('criminal-transfer.ended', `移送程序结束：${words[result.outcome]}`, { data: { transferId, outcome: result.outcome, procuratorateSuggested: result.procuratorateSuggested } });
    kit.finding('criminalTransfer', result.outcome);
    return result.outcome;
  }

  /**
   * DOMAIN §5 (原职责划分): a return opens a dispute while the department keeps working the step,
   * clocks running. A temporary lead the arbiter designates takes the step over; the decision
   * moves it to the department it names (designated: it cannot return it on the same grounds), or
   * leaves it where it is, now designated. A step finished meanwhile stands; the dispute still
   * ends with a decision, for the record of who was responsible.
   */
  async function workedThroughDisputes(key: string, spec: TaskSpec, department: string, note?: string, countsFrom?: number): Promise<StepResult> {
    const through: ThroughDisputes = {};
    let result: StepResult | undefined;
    const running = untilSettled(key, spec, department, note, undefined, countsFrom, through).then((r) => {
      result = r;
      return r;
    });
    void running.catch(() => undefined);
    const handled = new Set<string>();
    for (;;) {
      await condition(() => result !== undefined || view.tasks.some((t) => t.key === key && stepReturns.has(t.taskId) && !handled.has(t.taskId)));
      if (result !== undefined) break;
      const ref = view.tasks.find((t) => t.key === key && stepReturns.has(t.taskId) && !handled.has(t.taskId))!;
      handled.add(ref.taskId);
      const returned = stepReturns.get(ref.taskId)!;
      const dispute = disputeWhileWorking(key, spec, ref.taskId, returned, through, () => result !== undefined);
      track(dispute);
      void dispute.catch(() => undefined);
    }
    return running;
  }

  /** The running issue of a step, if any. */
  const runningIssue = (key: string) => [...view.tasks].reverse().find((t) => t.key === key && t.state === 'running');

  /** Moves the running issue of a step to `department` (改派 by the dispute), with who decided. */
  async function moveStep(key: string, department: string, reason: string, disputeId: string) {
    const ref = runningIssue(key);
    if (!ref || ref.department === department) return;
    const actor: Principal = { keyId: disputeId.slice(-64), county: input.county, roles: ['arbiter'] };
    reassigning.set(ref.taskId, actor);
    try {
      await getExternalWorkflowHandle(ref.taskId).signal(reassignSignal, { department, reason, actor });
    } catch {
      reassigning.delete(ref.taskId);
    }
  }

  async function disputeWhileWorking(key: string, spec: TaskSpec, taskId: string, returned: StepReturn, through: ThroughDisputes, stepDone: () => boolean) {
    const returnedBy = returned.department;
    const suggested = returned.suggestedDepartment;
    const other = suggested && suggested !== returnedBy ? suggested : lead !== returnedBy ? lead : 'county-government';
    const basis = returned.basis ?? 'duties';
    const ref = { disputeId: '', taskKey: key, state: 'open' as 'open' | 'decided' | 'ended', parties: [returnedBy, other] };
    const { handle, workflowId: disputeId } = await startFresh(() => (ref.disputeId = `${info.workflowId}/dispute:${++disputeCounter}`), (workflowId, reuse) => startChild(jurisdictionDispute, {
      workflowId, ...reuse,
      args: [{ county: input.county, matterId: info.workflowId, taskKey: key, taskTitle: spec.title, parties: [returnedBy, other], returnedBy, reason: returned.reason, kind: basis, ...(def.disputes ? { settings: def.disputes } : {}) }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `管辖争议 · ${spec.title} · ${departmentName(returnedBy)} / ${departmentName(other)}`.slice(0, 200),
      typedSearchAttributes: [
        { key: SA.County, value: input.county },
        { key: SA.Scenario, value: def.id },
        { key: SA.MatterId, value: info.workflowId },
      ],
    }));
    view.disputes = [...(view.disputes ?? []), ref];
    track(handle.result());
    await record('dispute.opened', `「${spec.title}」发生管辖争议：${departmentName(returnedBy)}、${departmentName(other)}；争议期间${departmentName(returnedBy)}按原职责划分继续办理`, {
      data: { disputeId, key, parties: [returnedBy, other], taskId, workingMeanwhile: returnedBy },
      notifications: [{ kind: 'matter.dispute-opened', title: `管辖争议：${spec.title}`, body: `${departmentName(returnedBy)}提出管辖异议，理由：${returned.reason}。已启动管辖争议处理；争议期间由${departmentName(returnedBy)}按原职责划分继续办理，期限不变。`, recipients: [{ county: input.county, role: 'supervisor' }] }],
    });
    let final: DisputeResult | undefined;
    const finalP = handle.result().then((r) => {
      final = r;
      return r;
    });
    void finalP.catch(() => undefined);
    await condition(() => final !== undefined || temporaryLeads.has(disputeId));
    if (!final && !stepDone()) {
      // An emergency: the arbiter names a temporary lead, who takes the step over meanwhile.
      const temp = temporaryLeads.get(disputeId)!;
      await moveStep(key, temp.department, `争议期间临时牵头：${temp.reasoning}`, disputeId);
    }
    const decision = final ?? (await finalP);
    ref.state = 'decided';
    await record('dispute.decided', `指定管辖：「${spec.title}」由${departmentName(decision.department)}办理${stepDone() ? '（该环节已办结，决定记录在案）' : ''}`, {
      data: { disputeId, department: decision.department, rung: decision.rung },
    });
    if (stepDone()) return;
    const designation = { disputeId, basis };
    through.designation = designation;
    const current = runningIssue(key);
    if (current && current.department === decision.department) {
      // The department the decision names has the step: it stays, now designated.
      try {
        await getExternalWorkflowHandle(current.taskId).signal(designatedSignal, designation);
      } catch {
        // ended meanwhile: its next issue carries the designation
      }
    } else {
      await moveStep(key, decision.department, `管辖争议决定（${disputeId}）`, disputeId);
    }
  }

  const kit = {
    view,
    lead,
    /** The department playing a role in this matter (after the county's override). */
    department(role: string): string {
      const d = roles[role];
      if (!d) refuse('CatalogueError', `role ${role} has no department in ${def.id}`);
      return d;
    },

    async stage(key: string) {
      view.stage = key;
      view.stageName = stageName(key);
      await record('stage', `进入「${view.stageName}」阶段`, { data: { stage: key } });
    },

    /** A step named who plays a role from now on (e.g. the sector regulator chosen at triage): recorded. */
    async assignRole(role: string, department: string, why: string) {
      const before = roles[role];
      roles[role] = department;
      await record('role.assigned', `${def.roleNames[role] ?? role}：${departmentName(department)}（${why}）`, { data: { role, department, before: before ?? null } });
    },

    /** Records a fact of the process on the matter's timeline (no task behind it). */
    async note(type: string, summary: string, data?: Record<string, unknown>) {
      await record(type, summary, data ? { data } : {});
    },

    finding(name: string, value: string | number | boolean) {
      view.findings[name] = value;
    },

    /**
     * The outcome a step reported, as one of `codes` (the scenario then switches over them). A step
     * reaches its matter only once its department has reported: interrupted and reassigned steps
     * are issued again, and a submission must carry an outcome. A missing or unknown code is
     * therefore a mismatch between code and catalogue: the workflow task fails (and retries until
     * the code is fixed) instead of branching on a guess such as "no hazard".
     */
    outcome<const C extends readonly string[]>(result: StepResult, codes: C): C[number] {
      const o = result.submission?.outcome;
      if (o !== undefined && codes.includes(o)) return o;
      throw new Error(`${result.taskId} ended ${result.state} with outcome ${o ?? '(none)'}, expected one of ${codes.join(', ')}`);
    },

    /**
     * One department task of the catalogue, as a child workflow; resolves when it ends. A task
     * returned as "not our remit" is reassigned (to the suggested department, else the lead, else
     * the county government as the common superior) with fresh clocks; its history stays visible.
     */
    async task(key: string, opts: { department?: string; note?: string; expiresAs?: string; countsFrom?: number } = {}): Promise<StepResult> {
      const spec = def.tasks[key];
      if (!spec) refuse('CatalogueError', `no task ${key} in ${def.id}`);
      if (opts.expiresAs) return expiring(key, spec, opts.department ?? kit.department(spec.role), opts.expiresAs, opts.note);
      let department = opts.department ?? kit.department(spec.role);
      if (patched(WORK_DURING_DISPUTE)) return workedThroughDisputes(key, spec, department, opts.note, opts.countsFrom);
      let designated: Designation | undefined;
      for (;;) {
        const result = await untilSettled(key, spec, department, opts.note, designated);
        if (result.state !== 'returned') return result;
        // 退回 "not our remit": a jurisdiction dispute settles who acts; the task's history stays.
        const settled = await settleJurisdiction(key, spec, department, result);
        if ('done' in settled) return settled.done;
        department = settled.department;
        designated = settled.designated;
      }
    },

    /**
     * 进一次门、查多项事: one visit in which each participating department records its own
     * checklist result (its own task, outcome codes of the catalogue). Returns outcome per role.
     */
    async jointInspection<const C extends readonly string[]>(keys: string[], codes: C): Promise<Record<string, C[number]>> {
      const visit = `联合检查 ${workflowInfo().workflowId.split(':').pop()}`;
      const results = await Promise.all(keys.map((k) => kit.task(k, { note: visit })));
      const outcomes: Record<string, C[number]> = {};
      keys.forEach((k, i) => {
        outcomes[k] = kit.outcome(results[i]!, codes);
      });
      await record('joint-inspection', `联合检查完成：${keys.map((k) => `${departmentName(kit.department(def.tasks[k]!.role))} ${outcomes[k]}`).join('，')}`, { data: { outcomes } });
      return outcomes;
    },

    /**
     * 立案: a department opens an administrative case on what it found (the event the 90-day limit
     * of 行政处罚法 art. 60 counts from); recorded, and its instant answered for the penalty step.
     */
    async caseFiled(department: string, what: string): Promise<number> {
      const atMs = Date.now();
      await record('case.filed', `${departmentName(department)}立案：${what}`, { data: { department, what } });
      return atMs;
    },

    /** Waits until a time, with a summary the Temporal UI shows on the timer. */
    /**
     * A rectification period set in a notice or decision (整改期限, calendar days, its end moved to
     * a working day, 民法典 art. 203): recorded, then waited out, following a year published
     * meanwhile.
     */
    async waitPeriod(days: number, data: Record<string, unknown> = {}) {
      const startMs = Date.now();
      const rule = { amount: days, unit: 'calendar_day' } as const;
      const due = await dueOf('整改', startMs, rule);
      await record('rectification.period', `整改期限 ${due.dueAt}（${days} 日）`, { data: { ...data, days, dueAt: due.dueAt } });
      if (due.dueAtMs > Date.now()) await within('整改期限', startMs, rule, due, () => false);
      return due;
    },

    async waitUntil(ms: number, summary: string) {
      if (ms > Date.now()) await condition(() => false, ms - Date.now(), { summary });
    },

    /**
     * Rectification with re-inspection (整改 → 复查), looped up to `maxRectificationRounds`; then
     * enforcement. The notice sets the period (submission `rectifyWithinDays`, calendar days).
     */
    async rectify(keys: { notice: string; reinspection: string; enforcement?: string }, defaultDays: number): Promise<'rectified' | 'enforced' | 'not-rectified'> {
      const rounds = def.settings.maxRectificationRounds;
      for (let round = 1; round <= rounds; round++) {
        await kit.stage('rectification');
        const notice = await kit.task(keys.notice, { note: `第${round}轮` });
        const days = notice.submission?.rectifyWithinDays ?? defaultDays;
        await kit.waitPeriod(days, { round });
        if (view.stage !== 'reinspection' && def.stages.some((s) => s.key === 'reinspection')) await kit.stage('reinspection');
        const check = kit.outcome(await kit.task(keys.reinspection, { note: `第${round}轮` }), ['rectified', 'not-rectified']);
        kit.finding('rectificationRounds', round);
        if (check === 'rectified') return 'rectified';
      }
      if (!keys.enforcement) return 'not-rectified';
      await kit.stage('enforcement');
      await kit.task(keys.enforcement);
      return 'enforced';
    },

    /**
     * 行刑衔接 (国务院令第310号): the `criminalTransfer` child workflow, from the case group's report to
     * the police's decision (and the reconsideration after a refusal to file). Answers its outcome.
     */
    async criminalTransfer(reason: string): Promise<'filed' | 'not-filed' | 'refused'> {
      if (def.tasks['transfer.report'] && patched(TRANSFER_WORKFLOW)) return transferAsChild(reason);
      await kit.stage('criminal-transfer');
      await record('criminal-transfer.reported', `涉嫌犯罪，报请移送：${reason}`, { data: { reason } });
      const approval = kit.outcome(await kit.task('transfer.approve'), criminalTransferOutcomes['transfer.approve']);
      if (approval === 'refuse') {
        kit.finding('criminalTransfer', 'refused');
        return 'refused';
      }
      await kit.task('transfer.handover');
      const decision = kit.outcome(await kit.task('transfer.police-decision'), criminalTransferOutcomes['transfer.police-decision']);
      kit.finding('criminalTransfer', decision);
      return decision;
    },

    /**
     * The check is over (DOMAIN §9): its result must be public within `publishWithin` (20 working
     * days) of now, whatever the rest of the matter takes. The lead's publication task starts now
     * with that deadline, alongside the rest of the matter; when the lead publishes, the public
     * reads the result known then (`interim`, or the final one if the matter got there first); if
     * the lead has not by the deadline, the system publishes it and the record says so. The final
     * outcome later replaces an interim one as a new version.
     */
    async checkEnded(interim: MatterOutcome) {
      if (!patched(PUBLICATION_CLOCK)) return;
      const atMs = Date.now();
      const rule = def.settings.publishWithin;
      const due = await dueOf('公开', atMs, rule);
      checkEnd = { atMs, interim };
      await record('check.ended', `检查结束，结果须于 ${due.dueAt} 前公开`, { data: { dueAt: due.dueAt, interim: interim.code } });
      publication = scope.run(() => publicationStep(atMs));
      track(publication);
      void publication.catch(() => undefined);
    },

    /**
     * A penalty decision is public within 20 working days of the decision (市场监督管理行政处罚信息公示规定
     * art. 9–11): the deciding department's submission is published with it, one result each
     * (谁处罚、谁公开), naming an organisation only.
     */
    async penaltyDecided(step: StepResult, title: string) {
      if (!patched(PUBLICATION_CLOCK) || step.state !== 'completed') return;
      const resultId = `${info.workflowId}/penalty:${(view.penaltiesPublished?.length ?? 0) + 1}`;
      const at = now();
      const summary = `${departmentName(step.department)}依法作出行政处罚决定（${title}）`;
      await publishResult({
        resultId, matterId: info.workflowId, county: input.county, scenario: def.id, subjectLabel: subjectLabel(),
        resultCode: 'penalty-decided', summary, inspectedBy: [step.department], publishedAt: at, kind: 'penalty', version: 1, publishedBy: 'lead',
      });
      view.penaltiesPublished = [...(view.penaltiesPublished ?? []), { resultId, department: step.department, at }];
      await record('published.penalty', `处罚决定已公开：${summary}`, { data: { resultId, department: step.department } });
    },

    /**
     * 一公开: the lead publishes the result within 20 working days of the end of the check (of now
     * when the scenario marked none); if it has not by then, the system publishes the standard
     * result and the record says so. A result the system already published at the check's
     * deadline is replaced by the final one (a new version). Complaint handling and mediation are
     * not published (`withheld`); `public` is the wording when the matter's own differs (a
     * transfer whose investigation is open is not published). No personal data: a person's, a
     * sole trader's or a house owner's name never; an organisation's with its credit code.
     */
    async publish(outcome: MatterOutcome) {
      if (!patched(PUBLICATION_CLOCK)) return publishBefore(outcome);
      view.result = outcome;
      if (outcome.withheld) {
        view.withheld = { reason: outcome.withheld, at: now() };
        await record('publication.withheld', `不予公开：${outcome.withheld}`, { data: { code: outcome.code, reason: outcome.withheld } });
        return;
      }
      await kit.stage('publication');
      const shown = outcome.public ?? outcome;
      finalResult = shown;
      // The check's publication (started when the check ended, or now when none was marked).
      await (publication ??= publicationStep(Date.now()));
      // Published earlier with the interim result: the final one replaces it.
      if (lastShown && (lastShown.code !== shown.code || lastShown.summary !== shown.summary)) await publishVersion(shown, 'system');
    },

    /** Runs the scenario's process; a cancel (update, or the run cancelled) ends it as cancelled. */
    async run(process: () => Promise<MatterOutcome>): Promise<MatterView> {
      upsertSearchAttributes([
        { key: SA.County, value: input.county },
        { key: SA.Scenario, value: def.id },
        { key: SA.LeadDepartment, value: lead },
        { key: SA.Department, value: lead },
      ]);
      await record('opened', `${def.name.zh}事项启动，牵头部门 ${departmentName(lead)}`, {
        ...(input.launchedBy ? { actor: input.launchedBy } : {}),
        data: { scenario: def.id, definitionVersion: def.version, source: input.source?.channel ?? null },
        notifications: [{ kind: 'matter.opened', title: `新事项：${def.name.zh}`, body: `${divisionName(input.county)}启动${def.name.zh}综合监管事项，由${departmentName(lead)}牵头。`, recipients: [{ county: input.county, department: lead }, { county: input.county, role: 'supervisor' }] }],
      });
      try {
        const outcome = await scope.run(process);
        await childrenEnded();
        view.status = 'closed';
        view.closedAt = now();
        view.stage = 'closed';
        view.stageName = stageName('closed');
        view.result = outcome;
        await record('closed', `事项办结：${outcome.summary}`, { data: { code: outcome.code } });
      } catch (err) {
        if (!isCancellation(err) && !cancelRequest) throw err;
        const reason = cancelRequest?.reason ?? '事项被撤销';
        await childrenEnded();
        await CancellationScope.nonCancellable(async () => {
          for (const t of view.tasks) if (t.state === 'running') t.state = 'cancelled';
          view.status = 'cancelled';
          view.closedAt = now();
          view.cancelled = { reason, at: view.closedAt };
          await record('cancelled', `事项撤销：${reason}`, {
            ...(cancelRequest?.actor ? { actor: cancelRequest.actor } : {}),
            data: { reason },
            notifications: [{ kind: 'matter.cancelled', title: `事项撤销：${def.name.zh}`, body: `撤销原因：${reason}`, recipients: [{ county: input.county, department: lead }] }],
          });
        });
        if (!cancelRequest) throw err; // cancelled from outside: end the run as Cancelled
      }
      return clone(view);
    },
  };
  return kit;
}
