import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stableStringify } from '../db/events.js';
import { claimIdempotencyKey } from '../db/ids.js';
import type { Pool } from '../db/pool.js';
import { ApiError } from './errors.js';

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(8)
    .max(128)
    .regex(/^[\w.:-]+$/)
    .optional()
    .describe('Retries with the same key return the first result instead of acting twice'),
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What a request is, for its Idempotency-Key: the SHA-256 of its body in canonical JSON (keys
 * sorted at every depth), so the same body sent with its keys in another order is the same
 * request. `asWritten` is the hash keys were stored under before (the body as parsed, in its key
 * order): a key reserved then still matches its request.
 */
export function requestHashes(body: unknown): { canonical: string; asWritten: string } {
  return { canonical: sha256(stableStringify(body)), asWritten: sha256(JSON.stringify(body) ?? 'null') };
}

/**
 * The workflow id a creating request acts on. With an Idempotency-Key the id is reserved under
 * the key before anything starts, so a retry (even after a crash between reserving and starting)
 * lands on the same workflow; `created` is false for a retry. The same key with another body is
 * a 409.
 */
export async function reserveWorkflowId(
  pool: Pool,
  opts: { scope: string; key: string | undefined; body: unknown; newId: () => Promise<string> },
): Promise<{ workflowId: string; created: boolean }> {
  const candidate = await opts.newId();
  if (!opts.key) return { workflowId: candidate, created: true };
  const hashes = requestHashes(opts.body);
  const prior = await claimIdempotencyKey(pool, opts.scope, opts.key, hashes.canonical, candidate);
  if (!prior) return { workflowId: candidate, created: true };
  return { workflowId: priorResource(prior, hashes), created: false };
}

/** The resource an earlier claim of the key made, when this request is the same one; else the 409. */
export function priorResource(prior: { resourceId: string; requestHash: string }, hashes: { canonical: string; asWritten: string }): string {
  if (prior.requestHash !== hashes.canonical && prior.requestHash !== hashes.asWritten) {
    throw new ApiError(409, 'idempotency_key_reused', '同一 Idempotency-Key 已用于内容不同的请求');
  }
  return prior.resourceId;
}

/** A deterministic Update id from the Idempotency-Key, so Temporal dedupes a retried action. */
export function updateIdFor(key: string | undefined, action: string, workflowId: string): string | undefined {
  return key ? `${action}:${createHash('sha256').update(`${workflowId}|${key}`).digest('hex').slice(0, 32)}` : undefined;
}
