/**
 * One run of a department task: its input, its view and clock state, and what every action and
 * clock needs (who may act, who is told, how an event is recorded, what the UI shows).
 * `patched('delta-recording')` is asked here, as the run starts (the recorder).
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo, type WorkflowInfo } from '@temporalio/workflow';
import type { ClockKind, ResolvedClock } from '../../domain/ladder.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import type { NotificationDraft, Recipient } from '../../domain/events.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import {
  departmentTaskInputSchema,
  taskStateNames,
  terminalTaskStates,
  untouchedTask,
  type Audience,
  type DeadlineView,
  type DepartmentTaskInput,
  type Rung,
  type TaskState,
  type TaskView,
} from '../../domain/task.js';
import { recorder } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { writes } from '../activities.js';
import type { DepartmentTaskArgs, Reassignment } from './messages.js';

// Recording must eventually succeed: a database outage delays the read model, it never loses an
// accepted action (the action is already in workflow history). Hence unlimited retries.
const { recordTaskEvent } = writes;

export const clockWord: Record<ClockKind, string> = { 'sign-for': '签收', handle: '办理', review: '审核' };
export const now = () => toShanghaiIso(Date.now());

export class TaskRun {
  // Bad input (a run started around the API) fails the run at once instead of retrying its first
  // workflow task for ever.
  readonly input: DepartmentTaskInput;
  readonly info: WorkflowInfo = workflowInfo();
  readonly view: TaskView;
  clock: ResolvedClock | undefined;
  fired: Set<Rung>;
  /** When the last daily chase (after the ladder's last rung) was sent for the running clock. */
  lastChaseMs: number;
  /** Until when the department may return the task (退回); set at assignment. */
  returnWindow: { dueAtMs: number; dueAt: string } | undefined;
  clockVersion = 0;
  clockRequests = 0;
  initialized: boolean;
  recomputeRequested: boolean;
  reassignment: Reassignment | undefined;
  readonly deptName: string;
  // How extensions are counted and granted (a seizure: calendar days, by the agency's head).
  readonly inDays: boolean;
  readonly byHead: boolean;
  readonly unitWord: string;
  readonly leadName: string;
  /** Appends an event and writes it (workflows/recording.ts). */
  readonly record: ReturnType<typeof recorder<TaskView>>;

  constructor(readonly args: DepartmentTaskArgs) {
    const input = parseOrRefuse(departmentTaskInputSchema, args);
    this.input = input;
    this.view = args.carried?.view ?? {
      taskId: this.info.workflowId,
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
      ...untouchedTask(),
    };
    this.clock = args.carried?.clock;
    this.fired = new Set<Rung>(args.carried?.fired ?? []);
    this.lastChaseMs = args.carried?.lastChaseMs ?? 0;
    this.returnWindow = args.carried?.returnWindow;
    this.initialized = !!args.carried;
    this.recomputeRequested = args.carried?.recomputeRequested ?? false;
    this.deptName = departmentName(input.department);
    this.inDays = input.extension?.unit === 'calendar_day';
    this.byHead = input.extension?.approvedBy === 'head';
    this.unitWord = this.inDays ? '日' : '个工作日';
    this.leadName = input.leadDepartment ? departmentName(input.leadDepartment) : '督办人员';
    this.record = recorder({ view: this.view, county: input.county, idField: 'taskId', write: recordTaskEvent, publish: () => this.publishState() });
  }

  isTerminal(): boolean {
    return terminalTaskStates.includes(this.view.state);
  }

  // ---- who may do what ----
  requireState(allowed: TaskState[], action: string): void {
    if (!allowed.includes(this.view.state)) {
      refuse('WrongState', `任务当前状态为「${taskStateNames[this.view.state]}」，不能${action}`);
    }
  }

  requireOwnDepartment(actor: Principal): void {
    const { input } = this;
    // A task decided by the head is signed and worked by the head's office or the head.
    const may = input.decidedBy === 'head' ? hasRole(actor, 'officer', 'head') : hasRole(actor, 'officer');
    if (actor.county !== input.county || actor.department !== input.department || !may) {
      refuse('Forbidden', `只有${this.deptName}的承办人员可以办理此任务`);
    }
  }

  /** Who may submit: an officer, or only the department head when the law gives them the decision. */
  requireSubmitter(actor: Principal): void {
    const { input } = this;
    if (input.decidedBy !== 'head') return this.requireOwnDepartment(actor);
    if (actor.county !== input.county || actor.department !== input.department || !hasRole(actor, 'head')) {
      refuse('Forbidden', `此决定须由${this.deptName}正职负责人（或主持工作的负责人）作出`);
    }
  }

  /** What a submission must carry besides its summary (a case group, the materials handed over). */
  requireContents(s: { outcome?: string | undefined; caseGroup?: unknown[] | undefined; materials?: string[] | undefined; forwardedTo?: unknown }): void {
    const need = this.input.requires;
    if (need?.caseGroup && (s.caseGroup?.length ?? 0) < need.caseGroup) {
      refuse('InvalidInput', `caseGroup: 须列明专案组至少${need.caseGroup}名执法人员`, [
        { path: 'caseGroup', message: `须列明专案组至少${need.caseGroup}名执法人员` },
      ]);
    }
    const missing = (need?.materials ?? []).filter((m) => !s.materials?.includes(m));
    if (missing.length > 0) {
      refuse('InvalidInput', `materials: 缺少 ${missing.join(', ')}`, [{ path: 'materials', message: `缺少 ${missing.join(', ')}` }]);
    }
    if (s.outcome === 'forwarded' && !s.forwardedTo) {
      refuse('InvalidInput', 'forwardedTo: 转送的须写明有管辖权的机关', [{ path: 'forwardedTo', message: '转送的须写明有管辖权的机关' }]);
    }
  }

  /** The lead department reviews; a supervisor of the county may act in its place. */
  requireReviewer(actor: Principal): void {
    const { input } = this;
    // Segregation of duties: when the task is the lead's own, its review goes to the supervisors.
    const isLead =
      !!input.leadDepartment && input.leadDepartment !== input.department && actor.department === input.leadDepartment && hasRole(actor, 'officer');
    const isSupervisor = hasRole(actor, 'supervisor') && actor.county === input.county;
    if (actor.county !== input.county || !(isLead || isSupervisor)) {
      refuse('Forbidden', '只有牵头部门或督办人员可以审核');
    }
  }

  // ---- recording ----
  audience(a: Audience): Recipient[] {
    const { input } = this;
    switch (a) {
      case 'task-department':
        return [{ county: input.county, department: input.department }];
      case 'lead-department':
        return input.leadDepartment ? [{ county: input.county, department: input.leadDepartment }] : [{ county: input.county, role: 'supervisor' }];
      case 'county-supervisors':
        return [{ county: input.county, role: 'supervisor' }];
      case 'county-government':
        return [{ county: input.county, department: 'county-government' }];
      case 'higher-authority':
        return [{ county: `${input.county.slice(0, 4)}00`, role: 'supervisor' }];
    }
  }

  notice(kind: string, title: string, body: string, to: Audience[]): NotificationDraft {
    return { kind, title, body, recipients: to.flatMap((a) => this.audience(a)) };
  }

  /** Search attributes and the UI's current details follow every change. */
  publishState(): void {
    const { view, input } = this;
    const active = this.activeClock();
    const current = active ? view.deadlines.find((d) => d.kind === active.kind) : undefined;
    view.currentDeadline = current ?? (active ? this.deadlineOf(active) : undefined);
    if (!view.currentDeadline) delete view.currentDeadline;
    upsertSearchAttributes([
      { key: SA.TaskState, value: view.state },
      { key: SA.DueAt, value: active ? new Date(active.dueAtMs) : null },
      { key: SA.Overdue, value: view.overdue },
      { key: SA.EscalationLevel, value: view.escalationLevel },
    ]);
    const who = active?.kind === 'review' ? this.leadName : this.deptName;
    const waiting = active
      ? `等待 **${who}** ${active.kind === 'handle' ? '办结' : clockWord[active.kind]}，期限 ${active.dueAt}${active.provisional ? '（暂定，当年节假日安排未公布）' : ''}`
      : view.state === 'submitted'
        ? `等待 **${this.leadName}** 审核`
        : `已结束：${taskStateNames[view.state]}`;
    const overdue = view.overdue ? `\n\n⚠ 已超期，督办级别 ${view.escalationLevel}` : '';
    // SDK 1.24 cannot carry a run's static summary and details over continue-as-new: a continued
    // run says in its current details what the task is, so the Temporal UI still shows it.
    const what = workflowInfo().continuedFromExecutionRunId ? `${this.deptName} · ${input.title}\n\n` : '';
    setCurrentDetails(`${what}**${taskStateNames[view.state]}** · ${waiting}${overdue}`);
  }

  // ---- clocks: which one runs and what it shows (resolving and firing: clock.ts) ----
  /** The clock that runs in the current state: sign-for while assigned, handling while worked on. */
  activeClock(): ResolvedClock | undefined {
    const { clock, view } = this;
    if (!clock) return undefined;
    if (view.state === 'assigned' && clock.kind === 'sign-for') return clock;
    if ((view.state === 'signed' || view.state === 'rework') && clock.kind === 'handle') return clock;
    if (view.state === 'submitted' && clock.kind === 'review') return clock;
    return undefined;
  }

  deadlineOf(c: ResolvedClock): DeadlineView {
    return {
      kind: c.kind,
      dueAt: c.dueAt,
      provisional: c.provisional,
      ...(c.origin ? { countsFrom: { event: c.origin, at: toShanghaiIso(c.startMs) } } : {}),
      ...(c.calendarRevision !== undefined ? { calendarRevision: c.calendarRevision } : {}),
    };
  }
}
