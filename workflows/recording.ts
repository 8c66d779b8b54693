/**
 * What every workflow does to record an event: the event record (timeline, audit, notifications)
 * with a stable (workflow id, sequence) id, and the options of the recording activity. Shared by
 * the department task, the matter kit and the dispute, so the trail looks the same everywhere.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { toShanghaiIso } from '../domain/calendar/index.js';
import type { EventRecord, NotificationDraft, ViewRecord } from '../domain/events.js';
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

/** The patch that makes recording activities carry changes, not whole views (task, matter, dispute, transfer). */
export const DELTA_RECORDING = 'delta-recording';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Turns a workflow's view into what each recording activity carries (domain/events.ts ViewRecord).
 * A patch holds every field that changed after the last write known to have landed, with its
 * value now. Writes may be in flight together (a handler and a clock) and land in any order: the
 * row at any landed sequence ≥ that write agrees with the view on every field left out, because
 * none of them changed since (a field that changed and changed back is still sent). The row
 * ignores a patch older than itself, as it ignores an older whole view.
 */
export function viewDeltas<V extends { lastEventSeq: number }>(always: readonly (keyof V & string)[]) {
  let previous: Record<string, unknown> | undefined;
  /** The sequence of the last write that changed each field. */
  const changedAt = new Map<string, number>();
  let landedSeq = 0;
  return {
    /** What the write of `view` carries: the whole view when `whole`, or before any write of this run has landed. */
    next(view: V, whole: boolean): ViewRecord<V> {
      const now = clone(view) as Record<string, unknown>;
      const seq = view.lastEventSeq;
      if (previous) {
        for (const k of new Set([...Object.keys(previous), ...Object.keys(now)])) {
          if (!same(previous[k], now[k])) changedAt.set(k, seq);
        }
      }
      previous = now;
      if (whole || landedSeq === 0) return { view: clone(view) };
      const set: Record<string, unknown> = {};
      const unset: string[] = [];
      for (const k of always) set[k] = now[k];
      for (const [k, at] of changedAt) {
        if (at <= landedSeq) continue;
        if (k in now) set[k] = now[k];
        else unset.push(k);
      }
      return { patch: { set: { ...set, lastEventSeq: seq } as Partial<V> & { lastEventSeq: number }, unset } };
    },
    /** The write of `seq` has landed. */
    landed(seq: number): void {
      if (seq > landedSeq) landedSeq = seq;
    },
  };
}
