import { continueAsNew, getExternalWorkflowHandle, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { recomputeDeadlinesSignal } from './department-task.js';
import { listings } from './activities.js';

const { listTasksAffectedByYear } = listings;

export interface CalendarPublicationInput {
  year: number;
  version: number;
  /** Continue-as-new: tasks already told. */
  offset?: number;
  signalled?: number;
}

/**
 * A year's holiday schedule was published or corrected (PUT /v1/calendar/{year}): tell every open
 * task whose deadline it can move. A workflow, not a loop in the API, so a crash half-way loses
 * nobody: it resumes where it was. Telling a task that ended meanwhile fails harmlessly.
 */
export async function calendarPublication(input: CalendarPublicationInput): Promise<{ signalled: number; affected: number }> {
  const ids = await listTasksAffectedByYear.executeWithOptions(
    { startToCloseTimeout: '1 minute', summary: `查找受 ${input.year} 年节假日安排影响的在办任务` },
    [{ year: input.year }],
  );
  let signalled = input.signalled ?? 0;
  for (let i = input.offset ?? 0; i < ids.length; i += 50) {
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof calendarPublication>({ ...input, offset: i, signalled });
    }
    setCurrentDetails(`${input.year} 年节假日安排 v${input.version}：已通知 ${signalled} / ${ids.length} 个在办任务重新计算期限`);
    const results = await Promise.allSettled(
      ids.slice(i, i + 50).map((id) => getExternalWorkflowHandle(id).signal(recomputeDeadlinesSignal, { year: input.year })),
    );
    signalled += results.filter((r) => r.status === 'fulfilled').length;
  }
  setCurrentDetails(`${input.year} 年节假日安排 v${input.version}：已通知 ${signalled} 个在办任务`);
  return { signalled, affected: ids.length };
}
