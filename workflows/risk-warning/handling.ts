/**
 * 核查 and 处置 as department tasks (children of the warning): each department's step has the
 * task's own clocks and ladder (提醒 → 催办 → 黄牌 → 红牌 → 上级督办, then daily chases), its
 * extensions and its recomputation when a year's calendar is published, so an overdue step climbs
 * the ladder with no machinery of the warning's own. Each step's submission is final (`review:
 * 'none'`): the joint review and the issuer's feedback judge them, not a lead department.
 */
import { CancellationScope, ParentClosePolicy } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import { verificationLimit, type RiskWarningStep } from '../../domain/risk-warning.js';
import { SA } from '../../domain/search-attributes.js';
import { defaultLadder, type TaskResult } from '../../domain/task.js';
import { startTaskUnderFreshId } from '../children.js';
import { disposalOutcomes, verificationOutcomes } from './messages.js';
import type { RiskWarningRun } from './run.js';

const stepWords: Record<RiskWarningStep, string> = { verification: '核查', disposal: '处置' };

/** What the departments are given: the warning, its indicators and whom it is about (the codec seals the payload). */
function instructionsOf(run: RiskWarningRun, step: RiskWarningStep): string {
  const { input, view } = run;
  const s = input.subject;
  const about = [s.name, s.creditCode ? `统一社会信用代码 ${s.creditCode}` : undefined, s.address].filter(Boolean).join('，');
  const indicators = input.indicators.map((i) => `- ${i.name}：${i.value}${i.threshold !== undefined ? `（阈值 ${i.threshold}）` : ''}`).join('\n');
  const found = view.verifications
    .map((v) => `- ${departmentName(v.department)}：${v.confirmed ? '属实' : '不实'}${v.findings ? `，${v.findings}` : ''}`)
    .join('\n');
  const parts = [
    input.summary,
    `涉及对象：${about}`,
    ...(indicators ? [`预警指标：\n${indicators}`] : []),
    ...(step === 'disposal' && found ? [`核查情况：\n${found}`] : []),
    ...(step === 'disposal' && view.jointReview ? [`综合研判结论：${view.jointReview.conclusion}`] : []),
  ];
  const whole = parts.join('\n\n');
  // The task's instructions hold 4,000 characters: the summary (2,000) and the subject always fit.
  return whole.length <= 4000 ? whole : `${input.summary}\n\n涉及对象：${about}`;
}

export type StepEnd = TaskResult & { taskId: string };

/** Starts one department task of the step; answers its end (cancelled when it ended outside the API). */
async function issue(run: RiskWarningRun, step: RiskWarningStep, department: string, previousStepEndedAt: number): Promise<StepEnd> {
  const { input, info, view } = run;
  const { settings } = input;
  const title = `${stepWords[step]}风险预警：${run.ref}`;
  const limits =
    step === 'verification'
      ? {
          signFor: { amount: settings.signForWorkingDays, unit: 'working_day', startsFrom: 'assignment' } as const,
          // From the push, whatever the sign-for and however often the task is issued.
          handle: verificationLimit(settings, input.level),
        }
      : {
          signFor: { amount: settings.signForWorkingDays, unit: 'working_day', startsFrom: 'assignment' } as const,
          // From the end of verification (and review): a re-issued disposal keeps its deadline.
          handle: { amount: settings.disposalWorkingDays, unit: 'working_day', startsFrom: 'previous-step' } as const,
        };
  const { handle, workflowId: taskId } = await startTaskUnderFreshId(info.workflowId, department, () => ++run.taskCounter, {
    args: [
      {
        county: input.county,
        department,
        title,
        instructions: instructionsOf(run, step),
        limits,
        ladder: defaultLadder,
        clockOrigins: { matterOpenedAt: run.pushedAtMs, previousStepEndedAt },
        outcomes: [...(step === 'verification' ? verificationOutcomes : disposalOutcomes)],
        maxExtensionWorkingDays: step === 'verification' ? settings.verificationWorkingDays[input.level] : settings.maxDisposalExtensionWorkingDays,
        review: 'none',
        // Pushed by the county's catalogue on a clock of days (red: one): a department that finds
        // the warning outside its remit says so in its findings (unfounded), and the joint review
        // or the issuer's feedback settles it; a return and re-push would spend the clock.
        returnable: false,
      },
    ],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: `${departmentName(department)} · ${title}`.slice(0, 200),
    staticDetails: `**风险预警** · ${divisionName(input.county)} · ${run.ref}`,
    typedSearchAttributes: [
      { key: SA.County, value: input.county },
      { key: SA.Department, value: department },
    ],
  });
  const ref = { taskId, department, step, state: 'running' };
  view.tasks.push(ref);
  await run.record('task.assigned', `${stepWords[step]}：${departmentName(department)}`, { data: { taskId, department, step } });
  let result: TaskResult;
  try {
    result = await handle.result();
  } catch (err) {
    ref.state = 'cancelled';
    if (CancellationScope.current().consideredCancelled) throw err; // the warning itself is cancelled
    return { taskId, department, state: 'cancelled' };
  }
  ref.state = result.state;
  return { ...result, taskId };
}

/**
 * The department's step until it is done: a task that ended outside the API (cancelled or
 * terminated in the Temporal UI) is issued again to the same department, its clock from the
 * same origin. A step's task cannot be returned or reassigned, so only completion ends it.
 */
export async function stepOf(run: RiskWarningRun, step: RiskWarningStep, department: string, previousStepEndedAt: number): Promise<StepEnd> {
  for (;;) {
    const end = await issue(run, step, department, previousStepEndedAt);
    if (end.state === 'completed') return end;
    await run.record('task.interrupted', `${departmentName(department)}的${stepWords[step]}任务在系统外终止，重新交办`, { data: { taskId: end.taskId, step } });
  }
}
