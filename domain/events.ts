import { z } from 'zod';

/** A notification recipient: a department of a division, or everyone with a role in it. */
export const recipientSchema = z.object({
  county: z.string().regex(/^\d{6}$/),
  department: z.string().optional(),
  role: z.string().optional(),
});
export type Recipient = z.infer<typeof recipientSchema>;

export interface NotificationDraft {
  kind: string;
  title: string;
  body: string;
  recipients: Recipient[];
}

export interface Actor {
  keyId: string;
  county: string;
  department?: string;
  /** The person or system behind the key (absent in events of runs from before principals). */
  principalId?: string;
  name?: string;
}

/**
 * One thing that happened to a workflow, written to the timeline, the audit log and (when it has
 * notifications) the outbox in one transaction. (workflowId, seq) is its stable id: an activity
 * retried after a crash writes nothing twice.
 */
export interface EventRecord {
  workflowId: string;
  seq: number;
  county: string;
  at: string;
  type: string;
  summary: string;
  actor?: Actor;
  data?: Record<string, unknown>;
  notifications?: NotificationDraft[];
}

/**
 * What a recording activity is given besides the event: the workflow's view whole (a run's first
 * write, and every write of runs from before patched('delta-recording')), or the top-level fields
 * that changed since a write the workflow knows has landed (`set` always holds the view's id, its
 * county and `lastEventSeq`; `unset` names fields that went away). Free text and personal data
 * then travel once, when they change, not with every later event (PIPL art. 51: minimum copies).
 */
export type ViewRecord<V> = { view: V } | { patch: ViewPatch<V> };
export interface ViewPatch<V> {
  set: Partial<V> & { lastEventSeq: number };
  unset: string[];
}

/** One entry of a workflow's timeline, as the API shows it (times in +08:00). */
export const timelineEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  type: z.string(),
  summary: z.string(),
  actorDepartment: z.string().nullable(),
  /** The person (or system) who acted; null for the system itself and for events recorded before principals. */
  actor: z.object({ principalId: z.string(), name: z.string().nullable() }).nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
