import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stableStringify } from '../db/events.js';
import { claimIdempotencyKey } from '../db/ids.js';
import type { Pool } from '../db/pool.js';
import { safeText } from '../domain/text.js';
import { ApiError } from './errors.js';
import { isoDateTimeSchema } from './schemas.js';

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(8).max(128).regex(/^[\w.:-]+$/).optional()
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
  pool: Pool, opts: { scope: string; key: string | undefined; body: unknown; newId: () => Promise<string> },
): Promise<{ workflowId: string; created: boolean }> {
  const candidate = await opts.newId();
  if (!opts.key) return { workflowId: candidate, created: true };
  const hashes = requestHashes(opts.body);
  const prior = await claimIdempotencyKey(pool, opts.scope, opts.key, hashes.canonical, candidate);
  if (!prior) return { workflowId: candidate, created: true };
  if (prior.requestHash !== hashes.canonical && prior.requestHash !== hashes.asWritten) {
    throw new ApiError(409, 'idempotency_key_reused', '同一 Idempotency-Key 已用于内容不同的请求');
  }
  return { workflowId: prior.resourceId, created: false };
}

/** A deterministic Update id from the Idempotency-Key, so Temporal dedupes a retried action. */
export function updateIdFor(key: string | undefined, action: string, workflowId: string): string | undefined {
  return key ? `${action}:${createHash('sha256').update(`${workflowId}|${key}`).digest('hex').slice(0, 32)}` : undefined;
}

/** Opaque keyset cursors: base64url JSON, checked field by field (a bad one is a 400). */
export function encodeCursor(value: Record<string, string | null>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A keyset page: callers fetch `limit + 1` rows; the extra row only says whether a next page
 * exists, and the cursor is made from the last row shown.
 */
export function pageOf<R>(rows: R[], limit: number, cursorOf: (last: R) => Record<string, string | null>): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

const cursorField = { string: safeText().max(300), time: isoDateTimeSchema };

/**
 * A cursor's fields, each checked as the API checks its parameters: text PostgreSQL can store, and
 * times in the API's ISO form and years (`Date.parse` accepts "0", "2026" or year 275760; PostgreSQL does not).
 */
export function decodeCursor<K extends string>(cursor: string, fields: { [F in K]: 'string' | 'time' | 'time-or-null' }): { [F in K]: string | null } {
  const bad = () => new ApiError(400, 'validation_failed', '无效的分页游标', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!raw || typeof raw !== 'object') throw bad();
  const out = {} as { [F in K]: string | null };
  for (const [name, kind] of Object.entries(fields) as [K, string][]) {
    const v = (raw as Record<string, unknown>)[name];
    if (kind === 'time-or-null' && v === null) {
      out[name] = null;
      continue;
    }
    const checked = cursorField[kind === 'string' ? 'string' : 'time'].safeParse(v);
    if (!checked.success) throw bad();
    out[name] = checked.data;
  }
  return out;
}
