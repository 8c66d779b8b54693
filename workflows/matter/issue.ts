/**
 * Issuing a step: one department task as a child workflow, from assignment to its end, and the
 * step issued again until its department ends it by its own act (a reassigned step to its new
 * department, an interrupted one to the same).
 */
import { CancellationScope, ParentClosePolicy, TerminatedFailure, TimeoutFailure, isCancellation, patched, startChild } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import type { MatterTaskRef } from '../../domain/matter.js';
import type { TaskSpec } from '../../domain/scenarios/schema.js';
import { matterTaskWorkflowId } from '../../domain/ids.js';
import { SA } from '../../domain/search-attributes.js';
import { interruptedTaskView, type TaskResult } from '../../domain/task.js';
import { departmentTask } from '../department-task.js';
import { writes } from '../activities.js';
import { PATCH, type Designation, type StepResult, type ThroughDisputes } from './messages.js';
import { now, type MatterRun } from './run.js';

const { closeInterruptedTask } = writes;

/** How a child ended outside the API, for the timeline and the supervisors' notice. */
function interruptionOf(err: unknown): { code: 'cancelled' | 'terminated' | 'timed-out' | 'failed'; name: string } {
  const cause = (err as { cause?: unknown }).cause;
  if (isCancellation(err)) return { code: 'cancelled', name: '被撤销' };
  if (cause instanceof TerminatedFailure) return { code: 'terminated', name: '被终止' };
  if (cause instanceof TimeoutFailure) return { code: 'timed-out', name: '超时终止' };
  return { code: 'failed', name: '运行失败' };
}

/** How a step is issued: its note, the task it replaces, its designation, its clock's origin. */
export interface IssueOptions {
  note?: string | undefined;
  replaces?: string | undefined;
  designated?: Designation | undefined;
  countsFrom?: number | undefined;
  through?: ThroughDisputes | undefined;
}

/** One department task as a child workflow, from assignment to its end. */
async function runOne(m: MatterRun, key: string, spec: TaskSpec, department: string, o: IssueOptions): Promise<StepResult> {
  const { input, def, info, view, lead } = m;
  const { note, replaces, designated, countsFrom, through } = o;
  const stepOrigin = countsFrom ?? m.previousStepEndedAt;
  const title = `${spec.title}${note ? `（${note}）` : ''}`;
  // Runs before FRESH_CHILD_IDS listed the task before it started (the reassign update waits on
  // that list, so replay needs the same moment); later runs list it once it runs under its id.
  const ref: MatterTaskRef = { taskId: '', key, department, state: 'running', ...(replaces ? { replaces } : {}) };
  const listEarly = !patched(PATCH.freshChildIds);
  if (listEarly) view.tasks.push(ref);
  const { handle, workflowId: taskId } = await m.startFresh(
    () => (ref.taskId = matterTaskWorkflowId(info.workflowId, department, ++m.taskCounter)),
    (workflowId, reuse) =>
      startChild(departmentTask, {
        workflowId,
        ...reuse,
        args: [
          {
            county: input.county,
            department,
            title,
            instructions: spec.instructions,
            matterId: info.workflowId,
            scenario: def.id,
            leadDepartment: lead,
            limits: spec.limits,
            ladder: def.ladder,
            ...(spec.outcomes ? { outcomes: spec.outcomes } : {}),
            clockOrigins: { matterOpenedAt: m.matterOpenedAt, ...(stepOrigin !== undefined ? { previousStepEndedAt: stepOrigin } : {}) },
            ...(spec.maxExtensionWorkingDays !== undefined ? { maxExtensionWorkingDays: spec.maxExtensionWorkingDays } : {}),
            ...(spec.extension ? { extension: spec.extension } : {}),
            ...(designated ? { designated } : {}),
            ...(through ? { worksThroughDisputes: true } : {}),
          },
        ],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `${departmentName(department)} · ${spec.title}`.slice(0, 200),
        staticDetails: `**${def.name.zh}** · ${divisionName(input.county)} · ${view.stageName}\n\n${spec.instructions}`,
        typedSearchAttributes: [...m.childAttributes(), { key: SA.Department, value: department }, { key: SA.LeadDepartment, value: lead }],
      }),
  );
  if (!listEarly) view.tasks.push(ref);
  m.track(handle.result());
  await m.record('task.assigned', `派单：${departmentName(department)} · ${spec.title}`, {
    data: { taskId, key, department, ...(replaces ? { replaces } : {}) },
  });
  let result: TaskResult;
  try {
    result = await handle.result();
  } catch (err) {
    // The matter itself is winding down (cancelled, a step expiring, an interim task no longer
    // needed): the task's end is part of that.
    if (CancellationScope.current().consideredCancelled || !patched(PATCH.reissueInterruptedSteps)) {
      if (isCancellation(err)) ref.state = 'cancelled';
      throw err;
    }
    return interrupted(m, ref, spec, title, interruptionOf(err));
  }
  if (result.state === 'cancelled' && patched(PATCH.reissueInterruptedSteps)) {
    return interrupted(m, ref, spec, title, { code: 'cancelled', name: '被撤销' });
  }
  ref.state = result.state;
  if (result.state === 'completed') m.previousStepEndedAt = Date.now();
  if (result.submission?.outcome) ref.outcome = result.submission.outcome;
  if (result.state === 'returned') {
    await m.record('task.returned', `${departmentName(department)}退回「${spec.title}」：${result.returned?.reason ?? ''}`, {
      data: { taskId, key, reason: result.returned?.reason ?? '', suggestedDepartment: result.returned?.suggestedDepartment ?? null },
    });
  } else if (result.state === 'reassigned') {
    const moved = result.reassigned!;
    const actor = m.reassigning.get(taskId);
    m.reassigning.delete(taskId);
    await m.record('task.reassigned', `「${spec.title}」由${departmentName(department)}改派至${departmentName(moved.department)}：${moved.reason}`, {
      ...(actor ? { actor } : {}),
      data: { taskId, key, from: department, to: moved.department, reason: moved.reason },
    });
  } else {
    await m.record(
      `task.${result.state}`,
      `${departmentName(department)}${result.state === 'completed' ? '办结' : '任务撤销'}：${spec.title}${ref.outcome ? `（${ref.outcome}）` : ''}`,
      { data: { taskId, key, outcome: ref.outcome ?? null } },
    );
  }
  return { ...result, taskId };
}

/** A task ended outside the API: on the record, the supervisors told, the step to be issued again. */
async function interrupted(m: MatterRun, ref: MatterTaskRef, spec: TaskSpec, title: string, how: ReturnType<typeof interruptionOf>): Promise<StepResult> {
  const { input, def, info, lead } = m;
  ref.state = 'interrupted';
  const dept = departmentName(ref.department);
  const at = now();
  // A terminated task cannot close its own inbox row: the matter does, with what it knows of it.
  await closeInterruptedTask({
    view: interruptedTaskView(
      {
        taskId: ref.taskId,
        county: input.county,
        department: ref.department,
        title,
        instructions: spec.instructions,
        matterId: info.workflowId,
        scenario: def.id,
        leadDepartment: lead,
        ...(spec.outcomes ? { outcomes: spec.outcomes } : {}),
      },
      `任务在系统外${how.name}，已重新派发`,
      at,
    ),
  });
  await m.record('task.interrupted', `${dept}「${spec.title}」${how.name}（未经本系统办理），已重新派发`, {
    data: { taskId: ref.taskId, key: ref.key, how: how.code },
    notifications: [
      {
        kind: 'matter.task-interrupted',
        title: `任务${how.name}：${spec.title}`,
        body: `${dept}的任务「${spec.title}」在系统外${how.name}，事项不能缺少该环节的结果，已重新派发给${dept}。请核实原因。`,
        recipients: [{ county: input.county, role: 'supervisor' }],
      },
    ],
  });
  return { taskId: ref.taskId, department: ref.department, state: 'interrupted' };
}

/**
 * Issues a step until it ends by the department's own act (completed, returned): a reassigned
 * step goes to its new department, an interrupted one to the same, each time with fresh clocks.
 */
export async function untilSettled(m: MatterRun, key: string, spec: TaskSpec, department: string, o: Omit<IssueOptions, 'replaces'> = {}): Promise<StepResult> {
  let replaces: string | undefined;
  for (;;) {
    const r = await runOne(m, key, spec, department, { ...o, replaces, designated: o.through?.designation ?? o.designated });
    if (r.state === 'reassigned') department = r.reassigned!.department;
    else if (r.state !== 'interrupted') return r;
    replaces = r.taskId;
  }
}
