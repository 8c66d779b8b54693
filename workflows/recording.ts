/**
 * What every workflow does to record an event: the event record (timeline, audit, notifications)
 * with a stable (workflow id, sequence) id, and the options of the recording activity. Shared by
 * the department task, the matter kit and the dispute, so the trail looks the same everywhere.
 */
import { CancellationScope, patched, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
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
            keyId: opts.actor.keyId,
            county: opts.actor.county,
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

/** A recording activity's proxy (task, matter, dispute, transfer). */
interface RecordingActivity<V> {
  executeWithOptions(options: ActivityOptions, args: [{ event: EventRecord } & ViewRecord<V>]): Promise<void>;
}

/**
 * The one `record()` of a workflow with a view: the event gets the next sequence number at once
 * (so ids are stable), the UI and search attributes follow (`publish`), and the event and the view
 * (whole, or what changed: viewDeltas) are written by `write`. Once an event has a sequence number
 * it is written even while the workflow is being cancelled: a gap in the timeline would be a lost
 * action. `patched('delta-recording')` is asked here, when the recorder is made as a run starts:
 * asked later, after a local activity, a replay could ask before the history says it is there.
 * `legacy` shapes the write of runs from before it (the matter's slim path); `landed` follows each write.
 */
export function recorder<V extends { lastEventSeq: number }>(o: {
  view: V;
  county: string;
  idField: keyof V & string;
  write: RecordingActivity<V>;
  publish: () => void;
  legacy?: (whole: ViewRecord<V>) => ViewRecord<V>;
  landed?: () => void;
}) {
  const { workflowId } = workflowInfo();
  const deltas = viewDeltas<V>([o.idField, 'county' as keyof V & string]);
  const writesChanges = patched(DELTA_RECORDING);
  return async (type: string, summary: string, opts: RecordOptions = {}): Promise<void> => {
    o.view.lastEventSeq += 1;
    o.publish();
    const event = eventRecord({ workflowId, seq: o.view.lastEventSeq, county: o.county }, type, summary, opts);
    let written = deltas.next(o.view, !writesChanges);
    if (!writesChanges && o.legacy) written = o.legacy(written);
    await CancellationScope.nonCancellable(() => o.write.executeWithOptions(recordingOptions(summary), [{ event, ...written }]));
    o.landed?.();
    deltas.landed(event.seq);
  };
}
