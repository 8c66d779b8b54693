import { z } from 'zod';

/**
 * Views of what the record holds besides the workflows' own (domain/task.ts, matter.ts,
 * dispute.ts, transfer.ts): each a Zod schema with its type inferred, read by db/ into these
 * shapes and shown by the API through schemas derived from them (api/schemas.ts).
 */

/** A notification as its recipients read it. */
export const notificationViewSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  objectId: z.string(),
  to: z.object({ county: z.string(), department: z.string().nullable(), role: z.string().nullable() }),
  readAt: z.string().nullable(),
});
export type NotificationView = z.infer<typeof notificationViewSchema>;

/** One version of a published result (the record keeps them all). */
export const resultVersionSchema = z.object({
  version: z.number().int(),
  change: z.enum(['published', 'updated', 'corrected', 'withdrawn']),
  resultCode: z.string(),
  summary: z.string(),
  by: z.enum(['lead', 'system', 'supervisor']),
  reason: z.string().optional(),
  at: z.string(),
});
export type ResultVersion = z.infer<typeof resultVersionSchema>;

/** A 推诿扯皮 flag for the county's evaluation, with the timeline entries it rests on. */
export const accountabilityFlagSchema = z.object({
  department: z.string(),
  county: z.string(),
  matterId: z.string().nullable(),
  kind: z.enum(['repeated-returns', 'repeated-extensions', 'red-card', 'return-designated-back', 'return-upheld']),
  count: z.number().int(),
  evidence: z.array(z.object({ workflowId: z.string(), seq: z.number().int(), at: z.string(), type: z.string(), summary: z.string() })),
});
export type AccountabilityFlag = z.infer<typeof accountabilityFlagSchema>;

/** A webhook endpoint (never its secret). */
export const webhookEndpointViewSchema = z.object({
  county: z.string(),
  /** `department:<code>` or `role:<role>`. */
  target: z.string(),
  url: z.string(),
  active: z.boolean(),
  activeSince: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookEndpointView = z.infer<typeof webhookEndpointViewSchema>;

/** An endpoint's deliveries: counts by state, and the last attempt. */
export const deliveryStatsSchema = z.object({
  pending: z.number().int(),
  delivered: z.number().int(),
  dead: z.number().int(),
  lastAttempt: z.object({ at: z.string(), statusCode: z.number().int().nullable(), error: z.string().nullable(), durationMs: z.number().int() }).nullable(),
});
export type DeliveryStats = z.infer<typeof deliveryStatsSchema>;

/** The erasure of a subject's personal data (PIPL art. 47), as recorded. */
export const erasureSchema = z.object({
  subjectId: z.string(),
  erasedAt: z.string(),
  eventId: z.string(),
  matters: z.array(z.string()),
  auditTexts: z.number().int(),
  timelineEntries: z.number().int(),
  notifications: z.number().int(),
  /** Audit entries written before texts left the chain (migration 0011): their text is in the hashed details and stays. */
  retainedInChain: z.number().int(),
});
export type Erasure = z.infer<typeof erasureSchema>;

/** An audit entry as people read it: its actor, times in +08:00, erased texts named. */
export const auditEntryViewSchema = z.object({
  id: z.number().int(),
  eventId: z.string(),
  at: z.string(),
  recordedAt: z.string(),
  county: z.string(),
  actorKeyId: z.string().nullable(),
  actorDepartment: z.string().nullable(),
  actor: z.object({ principalId: z.string(), name: z.string().nullable() }).nullable(),
  action: z.string(),
  objectId: z.string(),
  details: z.record(z.string(), z.unknown()),
  erased: z.array(z.string()),
  /** The county whose hash chain holds the entry (null: written before per-county chains). */
  chain: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;
