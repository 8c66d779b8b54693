/**
 * 办理: the lead department's task (its submission is the reply) and the co-handlers' tasks (they
 * verify in parallel), as child workflows with the category's clocks (DOMAIN §6).
 */
import { CancellationScope, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { clueCategoryNames, clueLimits } from '../../domain/clue.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import { matterTaskWorkflowId } from '../../domain/ids.js';
import { SA } from '../../domain/search-attributes.js';
import { defaultLadder, type TaskResult } from '../../domain/task.js';
import { startTaskUnderFreshId } from '../children.js';
import { departmentTask } from '../department-task.js';
import type { ClueRun } from './run.js';

/**
 * The content as the platform took it down, and whom it is about. A clue started without a
 * subject (every run before the API sent one) gets the content alone, as it always did.
 */
function instructionsOf(input: ClueRun['input']): string {
  const s = input.subject;
  if (!s) return input.content;
  const about = [s.name, s.creditCode ? `统一社会信用代码 ${s.creditCode}` : undefined, s.address].filter(Boolean).join('，');
  const whole = `${input.content}\n\n涉及对象：${about}`;
  return whole.length <= 4000 ? whole : input.content; // the task's instructions hold 4,000 characters
}

export type TaskEnd = TaskResult & { taskId: string };

/**
 * The lead's reply after the matter opened from the clue ended (matter.ts): a step of its own,
 * signed for within a normal clue's sign-for limit and answered within the county's
 * `replyAfterMatterWorkingDays` of the matter's end (the previous step), whatever the urgency was.
 */
export interface ReplyStep {
  matterEndedAt: number;
  /** What the matter came to, for the instructions. */
  outcome: string;
}

function replyLimits(run: ClueRun) {
  const s = run.input.settings;
  return {
    signFor: { amount: s.signFor.normalWorkingDays, unit: 'working_day', startsFrom: 'assignment' },
    handle: { amount: s.replyAfterMatterWorkingDays, unit: 'working_day', startsFrom: 'previous-step' },
  } as const;
}

/** Starts one department task of the clue and answers its end (cancelled when it ended outside the API). */
export async function handleAs(run: ClueRun, department: string, role: 'lead' | 'co-handler', designated: boolean, reply?: ReplyStep): Promise<TaskEnd> {
  const { input, info, view } = run;
  const limits = reply ? replyLimits(run) : clueLimits(input.settings, input.category, input.urgency);
  const kind = clueCategoryNames[input.category];
  const title = `${reply ? '答复' : role === 'lead' ? '办理并答复' : '协办核实'}：${kind}（${input.ref}）`;
  const instructions = reply ? `${instructionsOf(input)}\n\n${reply.outcome}`.slice(0, 4000) : instructionsOf(input);
  const { handle, workflowId: taskId } = await startTaskUnderFreshId(info.workflowId, department, () => ++run.taskCounter, {
    args: [
      {
        county: input.county,
        department,
        title,
        instructions,
        limits: {
          ...limits,
          returnWithin: { amount: input.settings.returnWorkingDays, unit: 'working_day', startsFrom: 'assignment' },
        },
        ladder: defaultLadder,
        ...(input.receivedAt !== undefined || reply
          ? {
              clockOrigins: {
                ...(input.receivedAt !== undefined ? { matterOpenedAt: input.receivedAt } : {}),
                ...(reply ? { previousStepEndedAt: reply.matterEndedAt } : {}),
              },
            }
          : {}),
        maxExtensionWorkingDays: input.settings.maxExtensionWorkingDays,
        // No lead department reviews a clue's answer; the visit-back judges it.
        review: 'none',
        // A co-handler verifies what the lead was given; the designated handler cannot return it.
        returnable: role === 'lead' && !designated,
      },
    ],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: `${departmentName(department)} · ${title}`.slice(0, 200),
    staticDetails: `**问题线索** · ${divisionName(input.county)} · ${kind}`,
    typedSearchAttributes: [
      { key: SA.County, value: input.county },
      { key: SA.Department, value: department },
    ],
  });
  const ref = { taskId, department, role, round: view.rounds, state: 'running' };
  view.tasks.push(ref);
  await run.record('task.assigned', `${role === 'lead' ? '交办' : '协办'}：${departmentName(department)}`, { data: { taskId, department, role } });
  let result: TaskResult;
  try {
    result = await handle.result();
  } catch (err) {
    ref.state = 'cancelled';
    if (CancellationScope.current().consideredCancelled) throw err; // the clue itself is cancelled
    // Cancelled or terminated outside the API: the caller issues it again.
    return { taskId, department, state: 'cancelled' };
  }
  ref.state = result.state;
  return { ...result, taskId };
}
