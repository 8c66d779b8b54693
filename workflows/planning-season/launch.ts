/**
 * The yearly launch of the planning seasons (worker/schedules.ts: a Temporal Schedule fires it on
 * 1 January and again on 1 March, China time): one `planningSeason` per county with a published
 * item, started as an abandoned child under its own id `season:<county>:<year>`, so it outlives
 * this run. A season already started (by the first firing, or by an admin through the API) is
 * left as it is: the second firing only adds counties that published their first items since.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { divisionName } from '../../domain/departments.js';
import { planWorkflowIds } from '../../domain/inspection-plan.js';
import { SA } from '../../domain/search-attributes.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { listings } from '../activities.js';
import { planningSeason } from './workflow.js';

const { listCountiesWithPublishedItems } = listings;

export interface PlanningSeasonLaunchResult {
  year: number;
  started: string[];
  running: string[];
}

/** `year`: the season's year; default the year it runs in (China time). */
export async function planningSeasonLaunch(args: { year?: number } = {}): Promise<PlanningSeasonLaunchResult> {
  const year = args.year ?? Number(toShanghaiIso(Date.now()).slice(0, 4));
  const counties = await listCountiesWithPublishedItems.executeWithOptions({ startToCloseTimeout: '1 minute', summary: '列出已公开事项清单的县' }, []);
  const result: PlanningSeasonLaunchResult = { year, started: [], running: [] };
  for (const county of counties) {
    try {
      await startChild(planningSeason, {
        workflowId: planWorkflowIds.season(county, year),
        args: [{ county, year }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A season that has run (closed) is not run again for the same year.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `年度检查计划 · ${divisionName(county)} · ${year}`,
        typedSearchAttributes: [{ key: SA.County, value: county }],
      });
      result.started.push(county);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      result.running.push(county);
    }
  }
  return result;
}
