/**
 * A plan's rounds run from a Temporal Schedule (issue 14 §3): one Schedule per plan, id
 * `<planId>/rounds`, whose action starts `inspectionRound` with the workflow id `<planId>/round`
 * (Temporal appends the fire time, e.g. `…/round-2027-04-01T01:00:00Z`). The fire times follow the
 * plan's frequency within its window (domain/round.ts `roundCalendar`), in Asia/Shanghai; the
 * Schedule is bounded by the window too. Supervisors see it, with every run, in the Temporal UI.
 *
 * Created idempotently, like worker/schedules.ts: a second call (a retried POST /v1/plans, a
 * restart) finds it and brings its spec and action up to date. A round runs until the window ends
 * (it takes recusal applications), so rounds of one plan overlap: ALLOW_ALL.
 */
import { MONTHS, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { departmentName, divisionName } from '../domain/departments.js';
import { planFrequencyNames, type Plan } from '../domain/inspection-plan.js';
import { roundCalendar, roundIds } from '../domain/round.js';
import { SA } from '../domain/search-attributes.js';
import type { InspectionRoundInput } from '../workflows/inspection-round.js';

export type SchedulePlan = Pick<Plan, 'planId' | 'county' | 'name' | 'lead' | 'frequency' | 'window'>;

export function planScheduleOptions(plan: SchedulePlan, taskQueue: string) {
  const input: InspectionRoundInput = { planId: plan.planId, requestedBy: 'schedule' };
  return {
    spec: {
      calendars: roundCalendar(plan.frequency, plan.window).map((c) => ({ ...c, month: MONTHS[c.month - 1]! })),
      timezone: 'Asia/Shanghai',
      startAt: new Date(`${plan.window.from}T00:00:00+08:00`),
      endAt: new Date(`${plan.window.to}T23:59:59+08:00`),
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'inspectionRound',
      taskQueue,
      workflowId: roundIds.scheduled(plan.planId),
      args: [input],
      staticSummary: `双随机抽查轮次 · ${divisionName(plan.county)} · ${departmentName(plan.lead)}牵头`,
      typedSearchAttributes: [{ key: SA.County, value: plan.county }],
    },
    // A fire time missed while the cluster was down is caught up within a day.
    policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '1 day' },
  };
}

/** Creates the plan's Schedule, or brings an existing one up to date. Answers its id. */
export async function ensurePlanSchedule(client: Client, plan: SchedulePlan, taskQueue: string): Promise<string> {
  const scheduleId = roundIds.schedule(plan.planId);
  const options = planScheduleOptions(plan, taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      ...options,
      state: { note: `${plan.name}：${planFrequencyNames[plan.frequency]}，${plan.window.from} 至 ${plan.window.to}` },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: options.policies }));
  }
  return scheduleId;
}
