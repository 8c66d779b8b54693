/**
 * 谁公开 (DOMAIN §9): once every department has recorded, the inspection has ended; its result
 * must be public within `publishWithinWorkingDays` (20) working days of that day. The initiator
 * publishes on its own department task, due then, with the task's clocks and ladder (提醒 → 催办
 * → 黄牌 → 红牌 → 上级督办) like every other step; publishing puts the result on
 * `/v1/public/results`, naming an organisation with its credit code and anyone else never.
 */
import { CancellationScope, ParentClosePolicy } from '@temporalio/workflow';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import { inspectionOutcomeNames, overallOutcome } from '../../domain/inspection.js';
import { inspectionDefaults } from '../../domain/inspection-plan.js';
import { SA } from '../../domain/search-attributes.js';
import { defaultLadder, type TaskResult } from '../../domain/task.js';
import { clocks, writes } from '../activities.js';
import { startTaskUnderFreshId } from '../children.js';
import { publishedOutcome } from './messages.js';
import { now, type InspectionRun } from './run.js';

const { resolveDue } = clocks;
const { publishInspectionResult } = writes;

const publishRule = { amount: inspectionDefaults.publishWithinWorkingDays, unit: 'working_day', startsFrom: 'previous-step' } as const;

/** What is published: each department's result in a line, the overall one as the code. */
function publicSummary(run: InspectionRun) {
  const lines = run.view.results.map((r) => `${departmentName(r.department)}：${r.outcomeName}`);
  const code = overallOutcome(run.view.results.map((r) => r.outcome));
  return { code, summary: `${run.view.visitOn ? `${run.view.visitOn} 联合检查` : '书面/非现场检查'}。${lines.join('；')}`.slice(0, 2000) };
}

async function issue(run: InspectionRun, endedMs: number): Promise<TaskResult & { taskId: string }> {
  const { input, info, view } = run;
  const department = input.initiator;
  const { code } = publicSummary(run);
  const title = `${run.ref}：公开检查结果`;
  const { handle, workflowId: taskId } = await startTaskUnderFreshId(info.workflowId, department, () => ++run.taskCounter, {
    args: [
      {
        county: input.county,
        department,
        title,
        instructions: `各部门检查结果已录入完毕（${view.endedOn}），请于 ${inspectionDefaults.publishWithinWorkingDays} 个工作日内公开检查结果（谁公开）。综合结果：${inspectionOutcomeNames[code]}。提交时选择结果 ${publishedOutcome}。`,
        limits: { signFor: { amount: 1, unit: 'working_day', startsFrom: 'assignment' }, handle: publishRule },
        clockOrigins: { previousStepEndedAt: endedMs },
        ladder: defaultLadder,
        outcomes: [publishedOutcome],
        review: 'none',
        returnable: false,
      },
    ],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: `${departmentName(department)} · ${title}`.slice(0, 200),
    staticDetails: `**双随机联合检查 · 公开** · ${divisionName(input.county)} · ${run.ref}`,
    typedSearchAttributes: [
      { key: SA.County, value: input.county },
      { key: SA.Department, value: department },
    ],
  });
  const ref = { taskId, department, kind: 'publication' as const, state: 'running' };
  view.tasks.push(ref);
  if (view.publication) view.publication.taskId = taskId;
  await run.record('task.assigned', `公开任务：${departmentName(department)}`, { data: { taskId, department } });
  try {
    const result = await handle.result();
    ref.state = result.state;
    return { ...result, taskId };
  } catch (err) {
    ref.state = 'cancelled';
    if (CancellationScope.current().consideredCancelled) throw err;
    return { taskId, department, state: 'cancelled' };
  }
}

/** The end of the inspection, its publication clock, the initiator's task, and the public result. */
export async function endAndPublish(run: InspectionRun): Promise<void> {
  const { view } = run;
  const endedMs = Date.now();
  view.endedOn = shanghaiDate(endedMs);
  view.endedAt = now();
  const due = await resolveDue.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算公开期限' }, [{ startMs: endedMs, rule: publishRule }]);
  run.setState('publishing');
  view.publication = { taskId: '', dueAt: due.dueAt };
  await run.record('inspection.ended', `各部门检查结果录入完毕，检查结束；结果须于 ${due.dueAt.slice(0, 10)} 前公开`, {
    data: { endedOn: view.endedOn, dueAt: due.dueAt, provisional: due.provisional },
  });

  let end: TaskResult & { taskId: string };
  for (;;) {
    end = await issue(run, endedMs);
    if (end.state === 'completed') break;
    await run.record('task.interrupted', `${departmentName(view.initiator)}的公开任务在系统外终止，重新交办`, { data: { taskId: end.taskId } });
  }

  const { code, summary } = publicSummary(run);
  const resultId = `${view.inspectionId}/result`;
  const at = now();
  await publishInspectionResult({
    resultId,
    inspectionId: view.inspectionId,
    county: view.county,
    subjectId: view.subjectId,
    resultCode: code,
    summary,
    inspectedBy: view.departments,
    publishedAt: at,
  });
  const onTime = Date.parse(at) <= due.dueAtMs;
  view.publication = { ...view.publication, publishedAt: at, resultId, onTime };
  run.setState('published');
  await run.record('published', `检查结果已公开${onTime ? '' : '（超过公开期限）'}：${inspectionOutcomeNames[code]}`, {
    data: { resultId, code, onTime, dueAt: due.dueAt },
  });
}
