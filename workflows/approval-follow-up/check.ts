/**
 * The competent department's check (事后监管首次检查, or after a revocation: whether the licensed
 * activity stopped) as a department task, a child of the follow-up. It has the task's own clocks
 * and ladder (提醒 → 催办 → 黄牌 → 红牌 → 上级督办, then daily chases), extensions and calendar
 * recomputation, so an overdue check climbs the ladder with no machinery of the follow-up's own.
 */
import { CancellationScope, ParentClosePolicy } from '@temporalio/workflow';
import { checkOutcomeNames, checkOutcomes, checkWords } from '../../domain/approval.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import { SA } from '../../domain/search-attributes.js';
import { defaultLadder, type TaskResult } from '../../domain/task.js';
import { startTaskUnderFreshId } from '../children.js';
import type { ApprovalRun } from './run.js';

/** What the department is given: the event, the licence, whom it is held by, what to check and the outcomes (the codec seals the payload). */
function instructionsOf(run: ApprovalRun): string {
  const { input, view } = run;
  const s = input.subject;
  const holder = [s.name, s.creditCode ? `统一社会信用代码 ${s.creditCode}` : undefined, s.address].filter(Boolean).join('，');
  const what =
    input.event === 'licence-revoked'
      ? '许可已注销或撤销：请核查持证主体是否已停止许可事项的经营活动；仍在从事的，属无证经营，依法查处并选“涉及许可的问题”。'
      : '请对取得许可（备案）后的经营活动开展首次检查，核实是否符合许可条件、是否超范围经营、申请材料是否真实。';
  const outcomes = checkOutcomes(input.event)
    .map((o) => `- ${o}：${checkOutcomeNames[o]}`)
    .join('\n');
  return [
    `${view.eventName}：${run.licenceTypeName}，许可证（备案）编号 ${input.licence.number}，审批决定于 ${view.decidedAt}。`,
    `持证主体：${holder}`,
    what,
    `期限：自审批决定之日起 ${input.firstCheckWorkingDays} 个工作日内。`,
    `检查结果（提交时选择）：\n${outcomes}\n选“涉及许可的问题”的，检查情况推送${departmentName('approval')}。`,
  ].join('\n\n');
}

export type CheckEnd = TaskResult & { taskId: string };

/** Starts one check task; answers its end (cancelled when it ended outside the API). */
async function issue(run: ApprovalRun): Promise<CheckEnd> {
  const { input, info, view } = run;
  const department = input.department;
  const title = `${checkWords(input.event)}：${run.licenceTypeName} ${run.ref}`.slice(0, 200);
  const { handle, workflowId: taskId } = await startTaskUnderFreshId(info.workflowId, department, () => ++run.taskCounter, {
    args: [
      {
        county: input.county,
        department,
        title,
        instructions: instructionsOf(run).slice(0, 4000),
        limits: {
          signFor: { amount: input.signForWorkingDays, unit: 'working_day', startsFrom: 'assignment' },
          // From the approval, whatever the sign-for and however often the task is issued.
          handle: { amount: input.firstCheckWorkingDays, unit: 'working_day', startsFrom: 'matter-opened' },
        },
        ladder: defaultLadder,
        clockOrigins: { matterOpenedAt: input.decidedAt },
        outcomes: [...checkOutcomes(input.event)],
        // The competent department's own finding is final: no lead department reviews it.
        review: 'none',
        // Named by the approval bureau or the county's rules for the licence type: a department
        // that finds the licence outside its remit says so in its findings; the rules are
        // corrected for later events (a return would leave the licensed activity unchecked).
        returnable: false,
      },
    ],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: `${departmentName(department)} · ${title}`.slice(0, 200),
    staticDetails: `**审管衔接** · ${divisionName(input.county)} · ${run.ref}`,
    typedSearchAttributes: [
      { key: SA.County, value: input.county },
      { key: SA.Department, value: department },
    ],
  });
  const ref = { taskId, department, state: 'running' };
  view.tasks.push(ref);
  await run.record('task.assigned', `${checkWords(input.event)}：${departmentName(department)}`, { data: { taskId, department } });
  let result: TaskResult;
  try {
    result = await handle.result();
  } catch (err) {
    ref.state = 'cancelled';
    if (CancellationScope.current().consideredCancelled) throw err; // the follow-up itself is cancelled
    return { taskId, department, state: 'cancelled' };
  }
  ref.state = result.state;
  return { ...result, taskId };
}

/**
 * The check until it is done: a task that ended outside the API (cancelled or terminated in the
 * Temporal UI) is issued again to the same department, its clock from the same approval. The
 * task cannot be returned or reassigned, so only completion ends it.
 */
export async function checkOf(run: ApprovalRun): Promise<CheckEnd> {
  for (;;) {
    const end = await issue(run);
    if (end.state === 'completed') return end;
    await run.record('task.interrupted', `${departmentName(end.department)}的检查任务在系统外终止，重新交办`, { data: { taskId: end.taskId } });
  }
}
