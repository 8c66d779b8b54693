/**
 * What every workflow does to record an event: the event record (timeline, audit, notifications)
 * with a stable (workflow id, sequence) id, and the options of the recording activity. Shared by
 * the department task, the matter kit and the dispute, so the trail looks the same everywhere.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { toShanghaiIso } from '../domain/calendar/index.js';
import type { EventRecord, NotificationDraft } from '../domain/events.js';
import type { Principal } from '../domain/principal.js';

export interface RecordOptions {
  actor?: Principal;
  data?: Record<string, unknown>;
  notifications?: NotificationDraft[];
}

/** Snapshots of plain data (the workflow sandbox has no structuredClone). */
export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function eventRecord(at: { workflowId: string; seq: number; county: string }, type: string, summary: string, opts: RecordOptions): EventRecord {
  return {
    ...at,
    at: toShanghaiIso(Date.now()),
    type,
    summary,
    ...(opts.actor
      ? {
        actor: {
          keyId: opts.actor.keyId, county: opts.actor.county,
          ...(opts.actor.department ? { department: opts.actor.department } : {}),
          ...(opts.actor.principalId ? { principalId: opts.actor.principalId } : {}),
          ...(opts.actor.name ? { name: opts.actor.name } : {}),
        },
      }
      : {}),
    ...(opts.data ? { data: opts.data } : {}),
    ...(opts.notifications ? { notifications: opts.notifications } : {}),
  };
}

/** The recording activity's options, with a summary the Temporal UI shows. */
export const recordingOptions = (summary: string): ActivityOptions => ({ startToCloseTimeout: '30 seconds', summary: `记录 ${summary}`.slice(0, 120) });
