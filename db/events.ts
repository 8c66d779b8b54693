import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { toShanghaiIso } from '../domain/calendar/index.js';
import type { EventRecord, TimelineEntry } from '../domain/events.js';
import type { Queryable } from './pool.js';
import { divisionCondition, keyset, Where } from './sql.js';

const auditOrder = keyset('asc', [{ sql: 'id' }]);

const genesis = '0'.repeat(64);

/**
 * Writes the timeline entry, the notifications (each recipient once) and the audit entry of one
 * event. Idempotent. The audit entry comes last: it takes its county's chain lock (appendAudit),
 * which every event of the county waits for, so the transaction should write nothing after it.
 */
export async function recordEvent(client: pg.PoolClient, e: EventRecord): Promise<void> {
  const eventId = `${e.workflowId}#${e.seq}`;
  const inserted = await client.query(
    `INSERT INTO timeline_events (workflow_id, seq, at, type, summary, actor_key_id, actor_department, data, actor_principal_id, actor_name)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (workflow_id, seq) DO NOTHING`,
    [
      e.workflowId,
      e.seq,
      e.at,
      e.type,
      e.summary,
      e.actor?.keyId ?? null,
      e.actor?.department ?? null,
      e.data ?? {},
      e.actor?.principalId ?? null,
      e.actor?.name ?? null,
    ],
  );
  if (inserted.rowCount === 0) return; // already recorded by an earlier attempt of this activity

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

  // Last: the county's chain lock (appendAudit) is held from here to COMMIT, so the writes above
  // (and the caller's read-model write before this call, db/recording.ts) run outside it.
  await appendAudit(client, {
    eventId,
    at: e.at,
    county: e.county,
    actorKeyId: e.actor?.keyId ?? null,
    actorDepartment: e.actor?.department ?? null,
    action: e.type,
    objectId: e.workflowId,
    // Who acted, inside the hashed details: rewriting the name breaks the chain.
    details: { summary: e.summary, ...(e.data ?? {}) },
    ...(e.actor?.principalId ? { actor: { principalId: e.actor.principalId, name: e.actor.name ?? null } } : {}),
  });
}

/** A workflow's timeline (task, matter, dispute, transfer), in order, with its times in +08:00. */
export async function getTimeline(db: Queryable, workflowId: string): Promise<TimelineEntry[]> {
  const res = await db.query<{
    seq: number;
    at: Date;
    type: string;
    summary: string;
    actor_department: string | null;
    actor_principal_id: string | null;
    actor_name: string | null;
    data: Record<string, unknown>;
  }>(`SELECT seq, at, type, summary, actor_department, actor_principal_id, actor_name, data FROM timeline_events WHERE workflow_id = $1 ORDER BY seq`, [
    workflowId,
  ]);
  return res.rows.map((r) => ({
    seq: r.seq,
    at: toShanghaiIso(r.at.getTime()),
    type: r.type,
    summary: r.summary,
    actorDepartment: r.actor_department,
    actor: r.actor_principal_id ? { principalId: r.actor_principal_id, name: r.actor_name } : null,
    data: r.data,
  }));
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
  /** The person or system who acted: kept in the hashed details as `actor`. */
  actor?: { principalId: string; name: string | null };
}

/** The audit entry's actor fields for a principal (the key, its department, the person). */
export function actorOf(p: {
  keyId: string;
  department?: string | undefined;
  principalId?: string | undefined;
  name?: string | undefined;
}): Pick<AuditEntry, 'actorKeyId' | 'actorDepartment' | 'actor'> {
  return {
    actorKeyId: p.keyId,
    actorDepartment: p.department ?? null,
    ...(p.principalId ? { actor: { principalId: p.principalId, name: p.name ?? null } } : {}),
  };
}

/**
 * Appends to the county's hash chain (`chain` = the county). The transaction-scoped lock is the
 * chain's own, so counties write in parallel while each chain stays linear. It is held until the
 * transaction ends: call this as the transaction's last write (every caller does), so a county's
 * events wait on one another only for the chain's read and insert, and every transaction takes
 * its row locks before the chain lock, never after (one order: no deadlock between them).
 */
export async function appendAudit(client: pg.PoolClient, entry: AuditEntry): Promise<void> {
  const { actor, ...rest } = entry;
  const a = actor ? { ...rest, details: { ...rest.details, actor } } : rest;
  const chain = a.county;
  await client.query('SELECT pg_advisory_xact_lock(7233003, hashtext($1))', [chain]);
  const exists = await client.query('SELECT 1 FROM audit_log WHERE event_id = $1', [a.eventId]);
  if (exists.rowCount) return;
  // Free text leaves the chained details for audit_texts; the chain holds its salted digest.
  const texts: { field: string; text: string; salt: Buffer; digest: string }[] = [];
  const details: Record<string, unknown> = { ...a.details };
  for (const field of freeTextFields) {
    const text = details[field];
    if (typeof text !== 'string') continue;
    const salt = randomBytes(16);
    const digest = textDigest(salt, text);
    texts.push({ field, text, salt, digest });
    details[field] = { $text: digest };
  }
  const chained = { ...a, details };
  const last = await client.query<{ hash: string }>('SELECT hash FROM audit_log WHERE chain = $1 ORDER BY id DESC LIMIT 1', [chain]);
  const prevHash = last.rows[0]?.hash ?? genesis;
  const hash = auditHash(prevHash, chained, chain);
  await client.query(
    `INSERT INTO audit_log (event_id, at, county, actor_key_id, actor_department, action, object_id, details, prev_hash, hash, chain)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [a.eventId, a.at, a.county, a.actorKeyId, a.actorDepartment, a.action, a.objectId, details, prevHash, hash, chain],
  );
  for (const t of texts) {
    await client.query('INSERT INTO audit_texts (event_id, field, text, salt, digest) VALUES ($1, $2, $3, $4, $5)', [
      a.eventId,
      t.field,
      t.text,
      t.salt,
      t.digest,
    ]);
  }
}

/**
 * The audit details that are free text, personal data that may have to be erased (PIPL art. 47):
 * kept outside the hash chain in audit_texts (db/migrations/0011_erasure.sql). The rest (ids,
 * codes, dates, the actor) stays in the chained details.
 */
export const freeTextFields = ['summary', 'reason', 'comment', 'reasoning', 'basis', 'legalBasis', 'title', 'note'] as const;

/** sha256(salt ‖ text): without the salt (erased with the text) the digest says nothing of the text. */
export function textDigest(salt: Buffer, text: string): string {
  return createHash('sha256').update(salt).update(text, 'utf8').digest('hex');
}

const isTextRef = (v: unknown): v is { $text: string } =>
  !!v && typeof v === 'object' && typeof (v as { $text?: unknown }).$text === 'string' && Object.keys(v).length === 1;

/**
 * The entries as people read them: each free text back in its field, or null with the field named
 * in `erased` when it was erased (the chained details hold only its digest).
 */
export async function withTexts<T extends { eventId: string; details: Record<string, unknown> }>(
  db: Queryable,
  rows: T[],
): Promise<(T & { erased: string[] })[]> {
  const refs = rows.filter((r) => Object.values(r.details).some(isTextRef)).map((r) => r.eventId);
  const texts = new Map<string, string | null>();
  if (refs.length) {
    const res = await db.query<{ event_id: string; field: string; text: string | null }>(
      'SELECT event_id, field, text FROM audit_texts WHERE event_id = ANY($1)',
      [refs],
    );
    for (const t of res.rows) texts.set(`${t.event_id}\u0000${t.field}`, t.text);
  }
  return rows.map((r) => {
    const erased: string[] = [];
    const details = Object.fromEntries(
      Object.entries(r.details).map(([k, v]) => {
        if (!isTextRef(v)) return [k, v];
        const text = texts.get(`${r.eventId}\u0000${k}`) ?? null;
        if (text === null) erased.push(k);
        return [k, text];
      }),
    );
    return { ...r, details, erased };
  });
}

/** The hash of an entry after `prevHash`; a chained entry (per county) also binds its chain. */
export function auditHash(prevHash: string, a: AuditEntry, chain?: string | null): string {
  // Keys sorted recursively: jsonb does not keep key order, and the chain must verify after a round trip.
  const fields = [prevHash, a.eventId, new Date(a.at).toISOString(), a.county, a.actorKeyId, a.actorDepartment, a.action, a.objectId, a.details];
  const canonical = stableStringify(chain ? ['chain', chain, ...fields] : fields);
  return createHash('sha256').update(canonical).digest('hex');
}

export interface AuditRow extends AuditEntry {
  id: number;
  chain: string | null;
  prevHash: string;
  hash: string;
  recordedAt: string;
}

const auditRowOf = (r: Record<string, unknown>): AuditRow => ({
  id: Number(r.id),
  eventId: r.event_id as string,
  at: (r.at as Date).toISOString(),
  county: r.county as string,
  actorKeyId: r.actor_key_id as string | null,
  actorDepartment: r.actor_department as string | null,
  action: r.action as string,
  objectId: r.object_id as string,
  details: r.details as Record<string, unknown>,
  prevHash: r.prev_hash as string,
  hash: r.hash as string,
  chain: r.chain as string | null,
  recordedAt: (r.recorded_at as Date).toISOString(),
});

/** Audit entries of a division, oldest first, a page at a time (keyset on id). */
export async function listAudit(
  db: pg.Pool | pg.PoolClient,
  f: {
    countyPrefix: string;
    objectId?: string;
    actor?: string;
    from?: string;
    to?: string;
    limit: number;
    afterId?: number;
  },
): Promise<AuditRow[]> {
  const w = new Where();
  w.add(divisionCondition(w, 'county', f.countyPrefix))
    .when(f.objectId, 'object_id = ?')
    .when(f.from, 'at >= ?::timestamptz')
    .when(f.to, 'at < ?::timestamptz');
  // A key id, or a principal id: everything a person did, across their keys (rotations).
  if (f.actor) w.add(`(actor_key_id = ? OR details->'actor'->>'principalId' = ?)`, f.actor, f.actor);
  if (f.afterId !== undefined) auditOrder.after(w, [f.afterId]);
  const res = await db.query(`SELECT * FROM audit_log WHERE ${w.sql} ORDER BY ${auditOrder.orderBy} LIMIT ${w.param(f.limit)}`, w.args);
  return res.rows.map(auditRowOf);
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  chains: number;
  firstBreak?: { id: number; eventId: string; chain: string | null; reason: 'hash' | 'link' | 'text' };
}

/**
 * Recomputes the chains of a division's counties (each entry's hash, and its link to the entry
 * before it in its chain, even one before `from`); entries from before per-county chains are
 * checked against their own stored link. Answers the first entry that does not verify.
 */
export async function verifyAudit(db: pg.Pool | pg.PoolClient, f: { countyPrefix: string; from?: string; to?: string }): Promise<AuditVerification> {
  const w = new Where();
  w.add(divisionCondition(w, 'county', f.countyPrefix))
    .when(f.from, 'at >= ?::timestamptz')
    .when(f.to, 'at < ?::timestamptz');
  const rows = (await db.query(`SELECT * FROM audit_log WHERE ${w.sql} ORDER BY id`, w.args)).rows.map(auditRowOf);
  const lastOf = new Map<string, string>();
  const chains = new Set<string>();
  for (const r of rows) {
    const expected = auditHash(r.prevHash, r, r.chain);
    if (expected !== r.hash)
      return { ok: false, checked: rows.indexOf(r), chains: chains.size, firstBreak: { id: r.id, eventId: r.eventId, chain: r.chain, reason: 'hash' } };
    if (r.chain) {
      chains.add(r.chain);
      // The entry before it in its chain, read from the table when it lies before the range.
      let prev = lastOf.get(r.chain);
      if (prev === undefined) {
        const before = await db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE chain = $1 AND id < $2 ORDER BY id DESC LIMIT 1', [r.chain, r.id]);
        prev = before.rows[0]?.hash ?? genesis;
      }
      if (prev !== r.prevHash)
        return { ok: false, checked: rows.indexOf(r), chains: chains.size, firstBreak: { id: r.id, eventId: r.eventId, chain: r.chain, reason: 'link' } };
      lastOf.set(r.chain, r.hash);
    }
  }
  const text = await verifyTexts(db, rows);
  if (text)
    return {
      ok: false,
      checked: rows.indexOf(text),
      chains: chains.size,
      firstBreak: { id: text.id, eventId: text.eventId, chain: text.chain, reason: 'text' },
    };
  return { ok: true, checked: rows.length, chains: chains.size };
}

/**
 * The first entry whose free text does not verify: a text that no longer matches the digest in
 * the chain (rewritten), a digest with no text row (removed), or an erasure that names no recorded
 * `subject.erased` entry (text dropped outside the erasure route).
 */
async function verifyTexts(db: Queryable, rows: AuditRow[]): Promise<AuditRow | undefined> {
  const refs = rows.filter((r) => Object.values(r.details).some(isTextRef));
  if (!refs.length) return undefined;
  const res = await db.query<{ event_id: string; field: string; text: string | null; salt: Buffer | null; digest: string; erased_by: string | null }>(
    'SELECT event_id, field, text, salt, digest, erased_by FROM audit_texts WHERE event_id = ANY($1)',
    [refs.map((r) => r.eventId)],
  );
  const stored = new Map(res.rows.map((t) => [`${t.event_id}\u0000${t.field}`, t]));
  const erasures = [...new Set(res.rows.flatMap((t) => (t.erased_by ? [t.erased_by] : [])))];
  const recorded = new Set(
    erasures.length
      ? (await db.query<{ event_id: string }>("SELECT event_id FROM audit_log WHERE event_id = ANY($1) AND action = 'subject.erased'", [erasures])).rows.map(
          (r) => r.event_id,
        )
      : [],
  );
  for (const r of refs) {
    for (const [field, v] of Object.entries(r.details)) {
      if (!isTextRef(v)) continue;
      const t = stored.get(`${r.eventId}\u0000${field}`);
      if (!t || t.digest !== v.$text) return r;
      if (t.text !== null ? textDigest(t.salt!, t.text) !== t.digest : !recorded.has(t.erased_by ?? '')) return r;
    }
  }
  return undefined;
}

/** Re-computes the chain written before per-county chains; the id of the first row that does not verify, or null. */
export async function verifyAuditChain(client: pg.Pool | pg.PoolClient): Promise<number | null> {
  const rows = await client.query(
    'SELECT id, event_id, at, county, actor_key_id, actor_department, action, object_id, details, prev_hash, hash FROM audit_log WHERE chain IS NULL ORDER BY id',
  );
  let prev = genesis;
  for (const r of rows.rows) {
    const expected = auditHash(prev, {
      eventId: r.event_id,
      at: r.at,
      county: r.county,
      actorKeyId: r.actor_key_id,
      actorDepartment: r.actor_department,
      action: r.action,
      objectId: r.object_id,
      details: r.details,
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

/** One county chain's verification: the entries checked, the first break, the head (last entry). */
export interface ChainVerification {
  county: string;
  ok: boolean;
  checked: number;
  firstBreak?: AuditVerification['firstBreak'];
  head: { id: number; hash: string } | null;
}

/**
 * Verifies every county's chain on its own (a break in one names that county), and the chain from
 * before per-county chains (`legacyOk`).
 */
export async function verifyEveryChain(db: pg.Pool | pg.PoolClient): Promise<{ chains: ChainVerification[]; legacyOk: boolean }> {
  const counties = (await db.query<{ chain: string }>('SELECT DISTINCT chain FROM audit_log WHERE chain IS NOT NULL ORDER BY chain')).rows.map((r) => r.chain);
  const chains: ChainVerification[] = [];
  for (const county of counties) {
    const v = await verifyAudit(db, { countyPrefix: county });
    const head = (await db.query<{ id: string; hash: string }>('SELECT id, hash FROM audit_log WHERE chain = $1 ORDER BY id DESC LIMIT 1', [county])).rows[0];
    chains.push({
      county,
      ok: v.ok,
      checked: v.checked,
      ...(v.firstBreak ? { firstBreak: v.firstBreak } : {}),
      head: head ? { id: Number(head.id), hash: head.hash } : null,
    });
  }
  return { chains, legacyOk: (await verifyAuditChain(db)) === null };
}

/** Stores one verification run (idempotent on the run's workflow id). */
export async function insertAuditVerification(
  db: pg.Pool | pg.PoolClient,
  v: { workflowId: string; at: string; chains: ChainVerification[]; legacyOk: boolean },
): Promise<void> {
  await db.query(`INSERT INTO audit_verifications (workflow_id, at, ok, checked, chains) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workflow_id) DO NOTHING`, [
    v.workflowId,
    v.at,
    v.legacyOk && v.chains.every((c) => c.ok),
    v.chains.reduce((n, c) => n + c.checked, 0),
    JSON.stringify({ legacyOk: v.legacyOk, chains: v.chains }),
  ]);
}
