/**
 * Subjects (the enterprise, person or house a matter is about) and the erasure of their personal
 * data (PIPL art. 47; issue: records and safety, §4).
 */
import type pg from 'pg';
import type { Subject } from '../domain/matter.js';
import { appendAudit, freeTextFields, type AuditEntry } from './events.js';
import type { Erasure } from '../domain/records.js';
import type { Queryable } from './pool.js';

/** What an erased text reads as. */
export const ERASED = '［已依法删除］';

const normalise = (s: string | undefined) => (s ?? '').normalize('NFKC').replace(/\s+/g, '').toLowerCase();

/** An enterprise is found again by its credit code; anyone else by kind, name and address as written. */
export function subjectMatchKey(county: string, s: Subject): string {
  return s.creditCode ? `${county}|code|${s.creditCode}` : `${county}|${s.kind}|${normalise(s.name)}|${normalise(s.address)}`;
}

/** The subject of a matter, made on its first record; the same subject for every matter naming it. */
export async function ensureMatterSubject(db: Queryable, matterId: string, county: string, s: Subject): Promise<void> {
  const key = subjectMatchKey(county, s);
  await db.query(
    `INSERT INTO subjects (subject_id, county, kind, match_key) VALUES ('s-' || replace(gen_random_uuid()::text, '-', ''), $1, $2, $3)
     ON CONFLICT (match_key) DO NOTHING`,
    [county, s.kind, key],
  );
  await db.query('UPDATE matters SET subject_id = (SELECT subject_id FROM subjects WHERE match_key = $2) WHERE matter_id = $1 AND subject_id IS NULL', [
    matterId,
    key,
  ]);
}

export async function subjectIdOfMatter(db: Queryable, matterId: string): Promise<string | null> {
  return (await db.query<{ subject_id: string | null }>('SELECT subject_id FROM matters WHERE matter_id = $1', [matterId])).rows[0]?.subject_id ?? null;
}

/** The matters about a subject (workflow ids), in id order. */
export async function mattersOfSubject(db: Queryable, subjectId: string): Promise<string[]> {
  return (await db.query<{ matter_id: string }>('SELECT matter_id FROM matters WHERE subject_id = $1 ORDER BY matter_id', [subjectId])).rows.map(
    (r) => r.matter_id,
  );
}

export interface SubjectRow {
  subjectId: string;
  county: string;
  kind: string;
  erasedAt: string | null;
  erasure: Erasure | null;
}

export async function getSubject(db: Queryable, subjectId: string): Promise<SubjectRow | undefined> {
  const r = (await db.query('SELECT * FROM subjects WHERE subject_id = $1', [subjectId])).rows[0];
  return r
    ? { subjectId: r.subject_id, county: r.county, kind: r.kind, erasedAt: r.erased_at ? (r.erased_at as Date).toISOString() : null, erasure: r.erasure }
    : undefined;
}

export type { Erasure } from '../domain/records.js';

export class SubjectInUse extends Error {}

/** Every string under a free-text key, or a name, address or phone, replaced (at any depth). */
function scrub(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrub);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' && scrubbed.has(k) ? ERASED : scrub(x)]));
}
const scrubbed = new Set<string>([...freeTextFields, 'name', 'address', 'phone', 'instructions']);

/**
 * Erases a subject's personal data from the record, in one transaction: the free text of every
 * audit entry of its matters (and their tasks, disputes and transfers; the chain still verifies),
 * their timeline entries' text, their notifications' text, and the subject's name and address in
 * the read model, and its registry record (name, address, credit code, its grades' reasons and the
 * registry's audit texts). The erasure itself is an audit entry (`subject.erased`, by whom, counts only).
 * Refused while one of its matters is open (its workflow would write the data again). A second
 * call answers the first erasure. Public results (一公开) stay: publication is the law's.
 */
export async function eraseSubject(
  client: pg.PoolClient,
  subjectId: string,
  by: Pick<AuditEntry, 'actorKeyId' | 'actorDepartment' | 'actor'>,
  reason: string,
  now = new Date(),
): Promise<Erasure> {
  const subject = (await client.query('SELECT * FROM subjects WHERE subject_id = $1 FOR UPDATE', [subjectId])).rows[0];
  if (subject.erasure) return subject.erasure as Erasure;
  const matters = (
    await client.query<{ matter_id: string; status: string }>('SELECT matter_id, status FROM matters WHERE subject_id = $1 ORDER BY matter_id', [subjectId])
  ).rows;
  if (matters.some((m) => m.status === 'open')) throw new SubjectInUse();
  const ids = matters.map((m) => m.matter_id);
  const like = ids.map((m) => `${m.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`);
  const objects = `(object_id = ANY($1) OR object_id LIKE ANY($2))`;
  const eventId = `subject:${subjectId}#erased`;
  // The registry's own entries (its grades' reasons) too, but not the erasure's own reason.
  const texts = await client.query(
    `UPDATE audit_texts SET text = NULL, salt = NULL, erased_at = $3, erased_by = $4
     WHERE text IS NOT NULL AND event_id IN (SELECT event_id FROM audit_log WHERE ${objects} OR (object_id = $5 AND event_id <> $4))`,
    [ids, like, now, eventId, subjectId],
  );
  const retained = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM audit_log WHERE ${objects} AND NOT EXISTS (SELECT 1 FROM audit_texts t WHERE t.event_id = audit_log.event_id)`,
    [ids, like],
  );
  const timeline = await client.query<{ workflow_id: string; seq: number; data: unknown }>(
    `SELECT workflow_id, seq, data FROM timeline_events WHERE workflow_id = ANY($1) OR workflow_id LIKE ANY($2)`,
    [ids, like],
  );
  for (const t of timeline.rows) {
    await client.query('UPDATE timeline_events SET summary = $3, data = $4 WHERE workflow_id = $1 AND seq = $2', [t.workflow_id, t.seq, ERASED, scrub(t.data)]);
  }
  const notes = await client.query(`UPDATE notifications SET title = $3, body = $3 WHERE ${objects}`, [ids, like, ERASED]);
  for (const table of ['matters', 'tasks', 'disputes', 'transfers'] as const) {
    const key = { matters: 'matter_id', tasks: 'task_id', disputes: 'dispute_id', transfers: 'transfer_id' }[table];
    const rows = await client.query<{ id: string; view: unknown }>(`SELECT ${key} AS id, view FROM ${table} WHERE ${key} = ANY($1) OR ${key} LIKE ANY($2)`, [
      ids,
      like,
    ]);
    for (const r of rows.rows) await client.query(`UPDATE ${table} SET view = $2 WHERE ${key} = $1`, [r.id, scrub(r.view)]);
  }
  const erasure: Erasure = {
    subjectId,
    erasedAt: now.toISOString(),
    eventId,
    matters: ids,
    auditTexts: texts.rowCount ?? 0,
    timelineEntries: timeline.rowCount ?? 0,
    notifications: notes.rowCount ?? 0,
    retainedInChain: Number(retained.rows[0]!.n),
  };
  // The registry's record: name, address and credit code (a person's or a sole trader's identifies
  // them), and the reasons of its grades. Kind, township, trade, tags and grades stay (no one is
  // identified by them); an erased subject is never drawn again (db/subject-registry.ts).
  await client.query(
    `UPDATE subjects SET name = CASE WHEN name IS NULL THEN NULL ELSE $2 END, address = CASE WHEN address IS NULL THEN NULL ELSE $2 END, credit_code = NULL
     WHERE subject_id = $1`,
    [subjectId, ERASED],
  );
  await client.query('UPDATE subject_credit_history SET reason = $2 WHERE subject_id = $1', [subjectId, ERASED]);
  await client.query('UPDATE subjects SET match_key = $2, erased_at = $3, erasure = $4 WHERE subject_id = $1', [
    subjectId,
    `erased:${subjectId}`,
    now,
    erasure,
  ]);
  // Last, like every audit append (db/events.ts appendAudit): the county's chain lock is taken after
  // the rows above are locked, the order every recording takes them in, and held only to COMMIT.
  await appendAudit(client, {
    eventId,
    at: now.toISOString(),
    county: subject.county,
    ...by,
    action: 'subject.erased',
    objectId: subjectId,
    details: { summary: `依法删除主体个人信息（${ids.length} 个事项）`, reason, matters: ids },
  });
  return erasure;
}
