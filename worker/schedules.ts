/**
 * The Temporal Schedules the service runs on. Created (or brought up to date) by every worker at
 * start: idempotent, so two replicas or a restart leave one schedule. Supervisors see them in the
 * Temporal UI (Schedules), with every run.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

/** The daily verification of the audit trail (workflows/audit-verification.ts). */
export const auditScheduleId = 'audit-verification';

export interface ScheduleSettings {
  taskQueue: string;
  /** Local time (Asia/Shanghai) of the daily run, `HH:MM`. */
  auditVerifyAt: string;
}

export async function ensureSchedules(client: Client, s: ScheduleSettings): Promise<void> {
  const [hour, minute] = s.auditVerifyAt.split(':').map(Number) as [number, number];
  const options = {
    spec: { calendars: [{ hour, minute }], timezone: 'Asia/Shanghai' },
    action: { type: 'startWorkflow' as const, workflowType: 'auditVerification', taskQueue: s.taskQueue, workflowId: 'audit-verification', args: [] },
    // A run that is still going (a large trail) is not overlapped; a run missed while the cluster
    // was down is caught up within a day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    state: { note: '每日校验审计链（各县哈希链），断裂时通知县督查人员，并将当日链头发送给市级督查人员' },
  };
  try {
    await client.schedule.create({ scheduleId: auditScheduleId, ...options });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Brought up to date: a changed time or task queue applies from the next run.
    await client.schedule.getHandle(auditScheduleId).update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: options.policies }));
  }
}
