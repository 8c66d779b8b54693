/**
 * The object registry (监管对象库, DOMAIN §7): the subjects matters already name (db/subjects.ts),
 * registered with name, township, trade, tags and a credit grade whose history is kept. One
 * writer per county at a time (an advisory lock), so a subject is found by its match key (credit
 * code, else kind, name and address) exactly once, whether a PUT, an import or a matter names it.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CreditGrade, RegistrySubject } from '../domain/registry.js';
import type { Queryable } from './pool.js';
import { subjectMatchKey } from './subjects.js';

export interface CreditHistoryEntry {
  grade: CreditGrade;
  from: CreditGrade | null;
  reason: string;
  at: string;
}

export interface RegistryRecord {
  subjectId: string;
  county: string;
  kind: string;
  name: string;
  creditCode: string | null;
  township: string;
  trade: string;
  tags: string[];
  creditGrade: CreditGrade;
  address: string | null;
  registeredAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- settings

/** Whether the county grades E (严重失信) besides A–D. Default: A–D only (DOMAIN §7). */
export async function registrySettings(db: Queryable, county: string): Promise<{ gradeE: boolean; updatedAt?: string }> {
  const r = (await db.query<{ grade_e: boolean; updated_at: Date }>('SELECT grade_e, updated_at FROM registry_settings WHERE county = $1', [county])).rows[0];
  return r ? { gradeE: r.grade_e, updatedAt: r.updated_at.toISOString() } : { gradeE: false };
}

/** Sets the county's grades; E is not given up while a subject of the county is graded E ('in_use'). */
export async function putRegistrySettings(client: pg.PoolClient, county: string, gradeE: boolean, by: string): Promise<'in_use' | 'ok'> {
  await lockRegistry(client, county);
  if (!gradeE) {
    const used = await client.query("SELECT 1 FROM subjects WHERE county = $1 AND credit_grade = 'E' AND erased_at IS NULL LIMIT 1", [county]);
    if (used.rowCount) return 'in_use';
  }
  await client.query(
    `INSERT INTO registry_settings (county, grade_e, updated_by) VALUES ($1, $2, $3)
     ON CONFLICT (county) DO UPDATE SET grade_e = EXCLUDED.grade_e, updated_at = now(), updated_by = EXCLUDED.updated_by`,
    [county, gradeE, by],
  );
  return 'ok';
}

/** One registry writer per county (PUTs, import batches, the E setting). */
const lockRegistry = (client: pg.PoolClient, county: string) => client.query('SELECT pg_advisory_xact_lock(7233019, hashtext($1))', [county]);

// ---------------------------------------------------------------- reads

interface SubjectDbRow {
  subject_id: string;
  county: string;
  kind: string;
  match_key: string;
  name: string | null;
  credit_code: string | null;
  township: string | null;
  trade: string | null;
  tags: string[];
  credit_grade: CreditGrade | null;
  address: string | null;
  registered_at: Date | null;
  updated_at: Date | null;
  erased_at: Date | null;
}

const toRecord = (r: SubjectDbRow): RegistryRecord | null =>
  r.registered_at
    ? {
        subjectId: r.subject_id,
        county: r.county,
        kind: r.kind,
        name: r.name ?? '',
        creditCode: r.credit_code,
        township: r.township ?? '',
        trade: r.trade ?? '',
        tags: r.tags,
        creditGrade: r.credit_grade!,
        address: r.address,
        registeredAt: r.registered_at.toISOString(),
        updatedAt: (r.updated_at ?? r.registered_at).toISOString(),
      }
    : null;

/** The subject's registry record (null: a matter's subject never registered). */
export async function registryRecord(db: Queryable, subjectId: string): Promise<RegistryRecord | null> {
  const r = (await db.query<SubjectDbRow>('SELECT * FROM subjects WHERE subject_id = $1', [subjectId])).rows[0];
  return r ? toRecord(r) : null;
}

/** Every grade the subject has had, oldest first. */
export async function creditHistory(db: Queryable, subjectId: string): Promise<CreditHistoryEntry[]> {
  const res = await db.query<{ grade: CreditGrade; from_grade: CreditGrade | null; reason: string; at: Date }>(
    'SELECT grade, from_grade, reason, at FROM subject_credit_history WHERE subject_id = $1 ORDER BY seq',
    [subjectId],
  );
  return res.rows.map((r) => ({ grade: r.grade, from: r.from_grade, reason: r.reason, at: r.at.toISOString() }));
}

/**
 * The county's registered subjects a plan's target selects (any of the tags, trades, kinds given;
 * all when none), not erased, in id order: what a draw's registry snapshot is taken from.
 */
export async function registeredSubjects(
  db: Queryable,
  county: string,
  target: { tags?: string[]; trades?: string[]; kinds?: string[] } = {},
): Promise<RegistryRecord[]> {
  const res = await db.query<SubjectDbRow>(
    `SELECT * FROM subjects WHERE county = $1 AND registered_at IS NOT NULL AND erased_at IS NULL
       AND ($2::text[] IS NULL OR tags && $2) AND ($3::text[] IS NULL OR trade = ANY($3)) AND ($4::text[] IS NULL OR kind = ANY($4))
     ORDER BY subject_id`,
    [county, target.tags ?? null, target.trades ?? null, target.kinds ?? null],
  );
  return res.rows.map((r) => toRecord(r)!);
}

// ---------------------------------------------------------------- writes

/** A row to write: the subject, its id when the caller named one, and the default reason of a grade. */
export interface SubjectWrite {
  subjectId?: string | undefined;
  subject: RegistrySubject;
}

export type WriteOutcome =
  | { outcome: 'created' | 'updated'; subjectId: string; regraded: boolean }
  /** `exists`: another subject has its credit code (or kind, name and address); `erased`: its data was erased; `other-county`: the id is another county's. */
  | { outcome: 'refused'; reason: 'exists' | 'erased' | 'other-county'; existing?: string };

/** The match key a row is found by (db/subjects.ts). */
export const writeKey = (w: SubjectWrite) => subjectMatchKey(w.subject.county, w.subject);

/**
 * Writes a batch of the county's subjects in the caller's transaction, each fully or not at all:
 * rows that conflict are refused (nothing of them written), the others created or updated, a
 * credit-history entry for each new grade. The batch names each id and each match key once (the
 * caller flushes before a repeat). A matter naming a new subject at the same moment may take a
 * match key first: the batch is then decided again (`isUniqueViolation`, by the caller).
 */
export async function writeSubjects(
  client: pg.PoolClient,
  county: string,
  rows: SubjectWrite[],
  byKey: string,
  defaultReason: string,
): Promise<WriteOutcome[]> {
  await lockRegistry(client, county);
  const keys = rows.map(writeKey);
  const ids = rows.flatMap((r) => (r.subjectId ? [r.subjectId] : []));
  const found = await client.query<SubjectDbRow>('SELECT * FROM subjects WHERE subject_id = ANY($1) OR match_key = ANY($2) FOR UPDATE', [ids, keys]);
  const byId = new Map(found.rows.map((r) => [r.subject_id, r]));
  const byMatch = new Map(found.rows.map((r) => [r.match_key, r]));

  const outcomes: WriteOutcome[] = [];
  const upserts: Record<string, unknown>[] = [];
  const history: Record<string, unknown>[] = [];
  rows.forEach((row, i) => {
    const key = keys[i]!;
    const owner = byMatch.get(key);
    let target: SubjectDbRow | undefined;
    let subjectId: string;
    if (row.subjectId) {
      target = byId.get(row.subjectId);
      if (target && target.county !== county) return outcomes.push({ outcome: 'refused', reason: 'other-county' });
      if (target?.erased_at) return outcomes.push({ outcome: 'refused', reason: 'erased' });
      if (owner && owner.subject_id !== row.subjectId) return outcomes.push({ outcome: 'refused', reason: 'exists', existing: owner.subject_id });
      subjectId = row.subjectId;
    } else {
      target = owner;
      subjectId = owner?.subject_id ?? `s-${randomUUID().replaceAll('-', '')}`;
    }
    const s = row.subject;
    const from = target?.registered_at ? target.credit_grade : null;
    const regraded = from !== s.creditGrade;
    upserts.push({
      id: subjectId,
      kind: s.kind,
      key,
      name: s.name,
      code: s.creditCode ?? null,
      township: s.township,
      trade: s.trade,
      tags: [...new Set(s.tags)],
      grade: s.creditGrade,
      address: s.address ?? null,
    });
    if (regraded) {
      history.push({
        id: subjectId,
        grade: s.creditGrade,
        from_grade: from,
        reason: s.creditReason ?? (from ? `${defaultReason}：信用等级调整` : `${defaultReason}：登记评定`),
      });
    }
    return outcomes.push({ outcome: target?.registered_at ? 'updated' : 'created', subjectId, regraded });
  });

  if (upserts.length) {
    await client.query(
      `INSERT INTO subjects (subject_id, county, kind, match_key, name, credit_code, township, trade, tags, credit_grade, address, registered_at, updated_at)
       SELECT u.id, $2, u.kind, u.key, u.name, u.code, u.township, u.trade, u.tags, u.grade, u.address, now(), now()
         FROM jsonb_to_recordset($1::jsonb) AS u(id text, kind text, key text, name text, code text, township text, trade text, tags text[], grade text, address text)
       ON CONFLICT (subject_id) DO UPDATE SET
         kind = EXCLUDED.kind, match_key = EXCLUDED.match_key, name = EXCLUDED.name, credit_code = EXCLUDED.credit_code,
         township = EXCLUDED.township, trade = EXCLUDED.trade, tags = EXCLUDED.tags, credit_grade = EXCLUDED.credit_grade,
         address = EXCLUDED.address, registered_at = coalesce(subjects.registered_at, EXCLUDED.registered_at), updated_at = now()`,
      [JSON.stringify(upserts), county],
    );
  }
  if (history.length) {
    await client.query(
      `INSERT INTO subject_credit_history (subject_id, seq, grade, from_grade, reason, by_key)
       SELECT h.id, coalesce((SELECT max(x.seq) FROM subject_credit_history x WHERE x.subject_id = h.id), 0) + 1, h.grade, h.from_grade, h.reason, $2
         FROM jsonb_to_recordset($1::jsonb) AS h(id text, grade text, from_grade text, reason text)`,
      [JSON.stringify(history), byKey],
    );
  }
  return outcomes;
}

/** A unique key taken meanwhile (a matter named the same subject): decide the batch again. */
export const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === '23505';
