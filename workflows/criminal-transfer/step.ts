/**
 * A transfer's step: a department task of the agency or the police (a child workflow), clocked
 * from the event its article names, issued again when it is ended outside the API; and the
 * outcome its department reported.
 */
import { CancellationScope, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import { matterTaskWorkflowId } from '../../domain/ids.js';
import { SA } from '../../domain/search-attributes.js';
import { interruptedTaskView, type TaskResult } from '../../domain/task.js';
import { transferOutcomes, transferStepNames, type TransferStepKey, type TransferView } from '../../domain/transfer.js';
import { departmentTask } from '../department-task.js';
import { writes } from '../activities.js';
import { startTaskUnderFreshId } from '../children.js';
import { now, type TransferRun } from './run.js';

const { closeInterruptedTask } = writes;

export type StepEnd = TaskResult & { taskId: string };

/**
 * One step as a department task, until its department reports. A task ended outside the API
 * (cancelled, terminated) is recorded and issued again: the transfer cannot go on without the
 * step, and the statutory clock keeps counting from the same event.
 */
export async function step(run: TransferRun, key: TransferStepKey, department: string, county = run.input.county): Promise<StepEnd> {
  const { input, info, view } = run;
  view.step = key;
  view.stepName = transferStepNames[key];
  const spec = input.steps[key];
  // What the task is, as its input and as the view the transfer writes when it is interrupted.
  const task = {
    county,
    department,
    title: spec.title,
    instructions: spec.instructions,
    matterId: input.matterId,
    scenario: input.scenario,
    leadDepartment: input.agency,
    outcomes: [...transferOutcomes[key]],
  };
  for (;;) {
    const { handle, workflowId: taskId } = await startTaskUnderFreshId(info.workflowId, department, () => ++run.taskCounter, {
      args: [
        {
          ...task,
          limits: spec.limits,
          ladder: input.ladder,
          clockOrigins: {
            ...(input.matterOpenedAt !== undefined ? { matterOpenedAt: input.matterOpenedAt } : {}),
            ...(run.previousStepEndedAt !== undefined ? { previousStepEndedAt: run.previousStepEndedAt } : {}),
          },
          ...(spec.decidedBy ? { decidedBy: spec.decidedBy } : {}),
          ...(spec.review ? { review: spec.review } : {}),
          ...(spec.requires ? { requires: spec.requires } : {}),
          ...(spec.ladderScale ? { ladderScale: spec.ladderScale } : {}),
          ...(spec.returnable !== undefined ? { returnable: spec.returnable } : {}),
        },
      ],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${departmentName(department)} · ${spec.title}`.slice(0, 200),
      staticDetails: `**行刑衔接** · ${divisionName(county)} · ${input.reason}\n\n${spec.instructions}`,
      typedSearchAttributes: [
        { key: SA.County, value: county },
        { key: SA.Scenario, value: input.scenario },
        { key: SA.MatterId, value: input.matterId },
        { key: SA.Department, value: department },
        { key: SA.LeadDepartment, value: input.agency },
      ],
    });
    const ref: TransferView['tasks'][number] = { taskId, key, department, county, state: 'running' };
    view.tasks.push(ref);
    await run.record('transfer.task-assigned', `${transferStepNames[key]}：派单至${departmentName(department)}`, { data: { taskId, key, department, county } });
    let result: TaskResult | undefined;
    try {
      result = await handle.result();
    } catch (err) {
      if (CancellationScope.current().consideredCancelled) {
        ref.state = 'cancelled';
        throw err;
      }
    }
    if (result?.state === 'completed') {
      ref.state = 'completed';
      if (result.submission?.outcome) ref.outcome = result.submission.outcome;
      // The next article counts from this step's own act (the report, the approval, the
      // notice), as the task recorded it, not from when the transfer heard of it.
      run.previousStepEndedAt = result.submission?.at ? Date.parse(result.submission.at) : Date.now();
      return { ...result, taskId };
    }
    // Not ended by its department (cancelled or terminated outside the API; transfer steps
    // cannot be returned): on the record, the supervisors told, issued again.
    ref.state = 'interrupted';
    // A terminated task cannot close its own inbox row: the transfer does, with what it knows of it.
    const at = now();
    await closeInterruptedTask({
      view: interruptedTaskView({ taskId, ...task }, '任务在系统外终止，已重新派发', at),
    });
    await run.record('transfer.task-interrupted', `${departmentName(department)}「${spec.title}」在系统外终止，已重新派发`, {
      data: { taskId, key },
      notifications: [
        {
          kind: 'transfer.task-interrupted',
          title: `移送环节中断：${spec.title}`,
          body: `${departmentName(department)}的「${spec.title}」在系统外终止，移送不能缺少该环节，已重新派发。法定期限仍自原事件起算。`,
          recipients: [{ county: input.county, role: 'supervisor' }],
        },
      ],
    });
  }
}

/** The outcome a step's department reported, one of the step's own (domain/transfer.ts). */
export const outcomeOf = <K extends TransferStepKey>(key: K, end: StepEnd): (typeof transferOutcomes)[K][number] => {
  const o = end.submission?.outcome;
  if (o !== undefined && (transferOutcomes[key] as readonly string[]).includes(o)) return o as (typeof transferOutcomes)[K][number];
  throw new Error(`${end.taskId} ended with outcome ${o ?? '(none)'}, expected one of ${transferOutcomes[key].join(', ')}`);
};
