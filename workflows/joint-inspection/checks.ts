/**
 * Each department's check (谁检查、谁录入) as a department task, a child of the inspection: the
 * task's own clocks and ladder (提醒 → 催办 → 黄牌 → 红牌 → 上级督办, then daily chases), its
 * extensions and its recomputation when a year's calendar is published. The result is due
 * `resultWorkingDays` working days after the visit day (or after the notice when nothing needs
 * a visit), counted from that day however often the task is issued. Its submission is the
 * department's result, final (`review: 'none'`): the department answers for its own finding.
 */
import { CancellationScope, ParentClosePolicy } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import { dayStartMs, findingsOf, inspectionOutcomeNames, inspectionOutcomes, resultWorkingDays, type InspectionOutcome } from '../../domain/inspection.js';
import { SA } from '../../domain/search-attributes.js';
import { defaultLadder, type TaskResult } from '../../domain/task.js';
import { writes } from '../activities.js';
import { startTaskUnderFreshId } from '../children.js';
import { now, type InspectionRun } from './run.js';

const { applyInspectionCredit } = writes;

/** What the department is given: its checklist, its team, the visit (the subject by registry id). */
function instructionsOf(run: InspectionRun, department: string): string {
  const { view } = run;
  const check = run.check(department)!;
  const when = view.visitOn ? `检查日期：${view.visitOn}（联合检查，由${departmentName(view.initiator)}带队）` : '书面检查或非现场检查，无需入户。';
  return [
    `联合检查 ${view.inspectionId}，检查对象 ${view.subjectId}（监管对象库）。`,
    when,
    `检查事项：${check.items.join('、')}`,
    `检查人员（编号）：${check.inspectors.join('、')}`,
    `请于检查后 ${resultWorkingDays} 个工作日内录入检查结果（谁检查、谁录入），结果选项：\n${inspectionOutcomes.map((o) => `- ${o}：${inspectionOutcomeNames[o]}`).join('\n')}`,
  ].join('\n\n');
}

type CheckEnd = TaskResult & { taskId: string };

async function issue(run: InspectionRun, department: string, originMs: number): Promise<CheckEnd> {
  const { input, info, view } = run;
  const title = `${run.ref}：${departmentName(department)}检查并录入结果`;
  const { handle, workflowId: taskId } = await startTaskUnderFreshId(info.workflowId, department, () => ++run.taskCounter, {
    args: [
      {
        county: input.county,
        department,
        title,
        instructions: instructionsOf(run, department).slice(0, 4000),
        limits: {
          signFor: { amount: 1, unit: 'working_day', startsFrom: 'assignment' },
          // From the visit day (or the notice), whatever the sign-for and however often issued.
          handle: { amount: resultWorkingDays, unit: 'working_day', startsFrom: 'matter-opened' },
        },
        clockOrigins: { matterOpenedAt: originMs },
        ladder: defaultLadder,
        outcomes: [...inspectionOutcomes],
        review: 'none',
        // Drawn for its own items: a department that finds an item outside its remit says so in
        // its result; a return would leave the visit without its check.
        returnable: false,
      },
    ],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: `${departmentName(department)} · ${title}`.slice(0, 200),
    staticDetails: `**双随机联合检查** · ${divisionName(input.county)} · ${run.ref}`,
    typedSearchAttributes: [
      { key: SA.County, value: input.county },
      { key: SA.Department, value: department },
    ],
  });
  const ref = { taskId, department, kind: 'check' as const, state: 'running' };
  view.tasks.push(ref);
  await run.record('task.assigned', `检查任务：${departmentName(department)}`, { data: { taskId, department } });
  let result: TaskResult;
  try {
    result = await handle.result();
  } catch (err) {
    ref.state = 'cancelled';
    if (CancellationScope.current().consideredCancelled) throw err; // the inspection itself is cancelled
    return { taskId, department, state: 'cancelled' };
  }
  ref.state = result.state;
  return { ...result, taskId };
}

/**
 * The department's check until its result is recorded: a task ended outside the API is issued
 * again, its clock from the same day. Then its result, and what the result does to the subject's
 * credit (domain/inspection.ts `creditAfter`), recorded.
 */
export async function checkOf(run: InspectionRun, department: string): Promise<void> {
  const { view } = run;
  const originMs = view.visitOn ? dayStartMs(view.visitOn) : Date.now();
  let end: CheckEnd;
  for (;;) {
    end = await issue(run, department, originMs);
    if (end.state === 'completed') break;
    await run.record('task.interrupted', `${departmentName(department)}的检查任务在系统外终止，重新交办`, { data: { taskId: end.taskId } });
  }
  const s = end.submission;
  const outcome = (inspectionOutcomes as readonly string[]).includes(s?.outcome ?? '') ? (s!.outcome as InspectionOutcome) : 'no-issue';
  const findings = findingsOf(s?.findings, run.check(department)?.items[0] ?? '');
  view.results.push({
    department,
    taskId: end.taskId,
    outcome,
    outcomeName: inspectionOutcomeNames[outcome],
    summary: s?.summary ?? inspectionOutcomeNames[outcome],
    findings,
    at: s?.at ?? now(),
  });
  if (view.state === 'scheduled') run.setState('inspecting');
  await run.record('result.recorded', `${departmentName(department)}录入检查结果：${inspectionOutcomeNames[outcome]}`, {
    data: { department, taskId: end.taskId, outcome, findings: findings.length },
  });

  // 信用: the subject's credit record follows the finding (history kept in the registry); a
  // recorded result's credit is applied even while the inspection is being withdrawn.
  const credit = await CancellationScope.nonCancellable(() =>
    applyInspectionCredit({ inspectionId: view.inspectionId, department, county: view.county, subjectId: view.subjectId, outcome }),
  );
  if (credit) {
    const { from, to } = credit;
    view.credit = [...(view.credit ?? []), { department, from, to }];
    const words =
      from !== to ? `信用等级 ${from} → ${to}` : outcome === 'rectification' ? `信用等级 ${from} 不变，整改情况记入信用记录` : `信用等级 ${from} 不变`;
    await run.record('credit.updated', `${departmentName(department)}检查结果记入信用记录：${words}`, { data: { department, from, to, outcome } });
  }
  run.recorded.add(department);
}
