import { continueAsNew, getExternalWorkflowHandle, patched, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { recomputeDeadlinesSignal } from './department-task.js';
import { listings } from './activities.js';

const { listTasksAffectedByYear } = listings;

export interface CalendarPublicationInput {
  year: number;
  version: number;
  /** Continue-as-new (runs before keyset pages): tasks already told, by position. */
  offset?: number;
  /** Continue-as-new: the last task id told. */
  after?: string;
  signalled?: number;
  affected?: number;
  /** Workflows told per page (default PAGE); smaller in tests that walk several pages. */
  pageSize?: number;
}

/** Workflows told per page; each page is one activity and at most this many signals. */
const PAGE = 200;

/**
 * A year's holiday schedule was published or corrected (PUT /v1/calendar/{year}): tell every open
 * task whose deadline it can move, and every open matter and dispute (their own waits). A workflow, not a loop in the API, so a crash half-way loses
 * nobody: it resumes where it was. Telling a task that ended meanwhile fails harmlessly. Pages go
 * by the last task id told (keyset), so tasks closing meanwhile never make it skip one.
 */
export async function calendarPublication(input: CalendarPublicationInput): Promise<{ signalled: number; affected: number }> {
  if (input.offset === undefined && patched('keyset-pages')) return byPages(input);
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
    signalled += await tell(ids.slice(i, i + 50), input.year);
  }
  setCurrentDetails(`${input.year} 年节假日安排 v${input.version}：已通知 ${signalled} 个在办任务`);
  return { signalled, affected: ids.length };
}

async function byPages(input: CalendarPublicationInput): Promise<{ signalled: number; affected: number }> {
  let { after, signalled = 0, affected = 0 } = input;
  const page = input.pageSize ?? PAGE;
  for (;;) {
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof calendarPublication>({ ...input, ...(after !== undefined ? { after } : {}), signalled, affected });
    }
    const ids = await listTasksAffectedByYear.executeWithOptions(
      { startToCloseTimeout: '1 minute', summary: `查找受 ${input.year} 年节假日安排影响的在办任务（${after ?? '起'}之后）` },
      [{ year: input.year, ...(after !== undefined ? { after } : {}), limit: page }],
    );
    if (ids.length === 0) break;
    affected += ids.length;
    signalled += await tell(ids, input.year);
    after = ids[ids.length - 1];
    setCurrentDetails(`${input.year} 年节假日安排 v${input.version}：已通知 ${signalled} 个在办任务重新计算期限`);
    if (ids.length < page) break;
  }
  setCurrentDetails(`${input.year} 年节假日安排 v${input.version}：已通知 ${signalled} 个在办任务`);
  return { signalled, affected };
}

/** Signals the tasks; returns how many took the signal (an ended task cannot). */
async function tell(ids: string[], year: number): Promise<number> {
  const results = await Promise.allSettled(ids.map((id) => getExternalWorkflowHandle(id).signal(recomputeDeadlinesSignal, { year })));
  return results.filter((r) => r.status === 'fulfilled').length;
}
