import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { EventRecord } from '../domain/events.js';

const genesis = '0'.repeat(64);

/** Writes the timeline entry, the audit entry and the notifications of one event (each recipient once). Idempotent. */
export async function recordEvent(client: pg.PoolClient, e: EventRecord): Promise<void> {
  const eventId = `${e.workflowId}#${e.seq}`;
  const inserted = await client.query(
    `INSERT INTO timeline_events (workflow_id, seq, at, type, summary, actor_key_id, actor_department, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (workflow_id, seq) DO NOTHING`,
    [e.workflowId, e.seq, e.at, e.type, e.summary, e.actor?.keyId ?? null, e.actor?.department ?? null, e.data ?? {}],
  );
  if (inserted.rowCount === 0) return; // already recorded by an earlier attempt of this activity

  await appendAudit(client, {
    eventId,
    at: e.at,
    county: e.county,
    actorKeyId: e.actor?.keyId ?? null,
    actorDepartment: e.actor?.department ?? null,
    action: e.type,
    objectId: e.workflowId,
    details: { summary: e.summary, ...(e.data ?? {}) },
  });

  // One notice reaches a recipient once per event, however often the drafts name them (a task
  // with no lead department tells the supervisors in the lead's place, and the supervisors too).
  // Ids number the notifications written, in order: `<workflow id>#<seq>#<n>`.
  const sent = new Set<string>();
  let i = 0;
  for (const n of e.notifications ?? []) {
    for (const r of n.recipients) {
      const once = stableStringify([r.county, r.department ?? null, r.role ?? null, n.kind, n.title, n.body]);
      if (sent.has(once)) continue;
      sent.add(once);
      await client.query(
        `INSERT INTO notifications (id, created_at, county, department, role, kind, title, body, object_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
        [`${eventId}#${i++}`, e.at, r.county, r.department ?? null, r.role ?? null, n.kind, n.title, n.body, e.workflowId],
      );
    }
  }
}

export interface AuditEntry {
  eventId: string;
  at: string;
  county: string;
  actorKeyId: string | null;
  actorDepartment: string | null;
  action: string;
  objectId: string;
  details: Record<string, unknown>;
}

/** Appends to the hash chain. The transaction-scoped lock keeps the chain linear under concurrency. */
export async function appendAudit(client: pg.PoolClient, a: AuditEntry): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(7233002)');
  const exists = await client.query('SELECT 1 FROM audit_log WHERE event_id = $1', [a.eventId]);
  if (exists.rowCount) return;
  const last = await client.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const prevHash = last.rows[0]?.hash ?? genesis;
  const hash = auditHash(prevHash, a);
  await client.query(
    `INSERT INTO audit_log (event_id, at, county, actor_key_id, actor_department, action, object_id, details, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [a.eventId, a.at, a.county, a.actorKeyId, a.actorDepartment, a.action, a.objectId, a.details, prevHash, hash],
  );
}

export function auditHash(prevHash: string, a: AuditEntry): string {
  // Keys sorted recursively: jsonb does not keep key order, and the chain must verify after a round trip.
  const canonical = stableStringify([
    prevHash, a.eventId, new Date(a.at).toISOString(), a.county, a.actorKeyId, a.actorDepartment, a.action, a.objectId, a.details,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Re-computes the chain; returns the id of the first row that does not verify, or null. */
export async function verifyAuditChain(client: pg.Pool | pg.PoolClient): Promise<number | null> {
  const rows = await client.query(
    'SELECT id, event_id, at, county, actor_key_id, actor_department, action, object_id, details, prev_hash, hash FROM audit_log ORDER BY id',
  );
  let prev = genesis;
  for (const r of rows.rows) {
    const expected = auditHash(prev, {
      eventId: r.event_id, at: r.at, county: r.county, actorKeyId: r.actor_key_id,
      actorDepartment: r.actor_department, action: r.action, objectId: r.object_id, details: r.details,
    });
    if (r.prev_hash !== prev || r.hash !== expected) return Number(r.id);
    prev = r.hash;
  }
  return null;
}

/**
 * Canonical JSON: object keys sorted at every depth, `undefined` members left out, arrays in their
 * order. Two values that mean the same JSON give the same text, however their keys were ordered.
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
