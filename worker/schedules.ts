/**
 * The Temporal Schedules the service runs on. Created (or brought up to date) by every worker at
 * start: idempotent, so two replicas or a restart leave one schedule. Supervisors see them in the
 * Temporal UI (Schedules), with every run.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

/** The daily verification of the audit trail (workflows/audit-verification.ts). */
export const auditScheduleId = 'audit-verification';

/** The yearly launch of the planning seasons (workflows/planning-season/launch.ts). */
export const planningSeasonScheduleId = 'planning-season-launch';

export interface ScheduleSettings {
  taskQueue: string;
  /** Local time (Asia/Shanghai) of the daily run, `HH:MM`. */
  auditVerifyAt: string;
}

/** Creates the schedule, or brings an existing one up to date (spec, action, policies). */
async function ensure(client: Client, scheduleId: string, options: Omit<ScheduleOptions, 'scheduleId'>): Promise<void> {
  try {
    await client.schedule.create({ scheduleId, ...options });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Brought up to date: a changed time or task queue applies from the next run.
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: options.policies }));
  }
}

export async function ensureSchedules(client: Client, s: ScheduleSettings): Promise<void> {
  const [hour, minute] = s.auditVerifyAt.split(':').map(Number) as [number, number];
  await ensure(client, auditScheduleId, {
    spec: { calendars: [{ hour, minute }], timezone: 'Asia/Shanghai' },
    action: { type: 'startWorkflow' as const, workflowType: 'auditVerification', taskQueue: s.taskQueue, workflowId: 'audit-verification', args: [] },
    // A run that is still going (a large trail) is not overlapped; a run missed while the cluster
    // was down is caught up within a day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    state: { note: '每日校验审计链（各县哈希链），断裂时通知县督查人员，并将当日链头发送给市级督查人员' },
  });
  // The planning seasons (DOMAIN §7: plans by 31 March): on 1 January every county with a
  // published item gets its season (which waits for 1 March); on 1 March again, for counties that
  // published their first items since. Starting is idempotent (one id per county and year).
  await ensure(client, planningSeasonScheduleId, {
    spec: {
      calendars: [
        { month: 'JANUARY', dayOfMonth: 1, hour: 0, minute: 10 },
        { month: 'MARCH', dayOfMonth: 1, hour: 0, minute: 10 },
      ],
      timezone: 'Asia/Shanghai',
    },
    action: { type: 'startWorkflow', workflowType: 'planningSeasonLaunch', taskQueue: s.taskQueue, workflowId: planningSeasonScheduleId, args: [{}] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
    state: { note: '每年 1 月 1 日与 3 月 1 日为已公开事项清单的各县启动年度检查计划季（3 月 31 日前报送计划）' },
  });
}
