/**
 * Inspections (双随机 / 联合检查; issue 14 §4–§5): the read model each jointInspection writes
 * (0021's columns kept filled: the rounds read them to prevent duplicates and to merge), the
 * ad-hoc route's duplicate check and its refusals log, the credit a result feeds, and the public
 * result (no personal data of a person-subject).
 */
import type pg from 'pg';
import { creditAfter, type InspectionOutcome, type InspectionView } from '../domain/inspection.js';
import type { Principal } from '../domain/principal.js';
import type { CreditGrade } from '../domain/registry.js';
import { divisionName } from '../domain/departments.js';
import { insertPublicResult } from './matters.js';
import type { Pool, Queryable } from './pool.js';
import { inTransaction, keyset, Where, type Keyed } from './sql.js';
import { registrySettings } from './subject-registry.js';
import { inspectionsVisibleTo } from './visibility.js';

/** Writes the inspection's row; an older event (a retried activity) never overwrites a newer one. */
export async function upsertInspectionView(db: Queryable, v: InspectionView): Promise<void> {
  await db.query(
    `INSERT INTO inspections (inspection_id, county, subject_id, initiator, departments, items, inspector_ids, checks, visit_on, state, ended_on, created_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
     ON CONFLICT (inspection_id) DO UPDATE SET
       departments = EXCLUDED.departments, items = EXCLUDED.items, inspector_ids = EXCLUDED.inspector_ids, checks = EXCLUDED.checks,
       visit_on = EXCLUDED.visit_on, state = EXCLUDED.state, ended_on = EXCLUDED.ended_on,
       last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE inspections.last_seq < EXCLUDED.last_seq`,
    [
      v.inspectionId,
      v.county,
      v.subjectId,
      v.initiator,
      v.departments,
      v.items,
      v.inspectorIds,
      JSON.stringify(v.checks),
      v.visitOn,
      v.state,
      v.endedOn ?? null,
      v.createdAt,
      v.lastEventSeq,
      v,
    ],
  );
}

/** The inspection as last recorded (outlives Temporal's retention). */
export async function getInspectionRow(db: Queryable, inspectionId: string): Promise<InspectionView | undefined> {
  const res = await db.query<{ view: InspectionView }>('SELECT view FROM inspections WHERE inspection_id = $1', [inspectionId]);
  return res.rows[0]?.view;
}

export interface InspectionFilter {
  county?: string | undefined;
  state?: string | undefined;
  department?: string | undefined;
  subjectId?: string | undefined;
  limit: number;
  before?: InspectionCursor | undefined;
}
export type InspectionCursor = { createdAt: string; inspectionId: string };
const order = keyset('desc', [{ sql: 'created_at', type: 'timestamptz' }, { sql: 'inspection_id' }]);

/** Inspections the principal may see, newest first, keyset-paginated by (created_at desc, inspection_id desc). */
export async function listInspections(db: Queryable, p: Principal, f: InspectionFilter): Promise<Keyed<InspectionView, InspectionCursor>[]> {
  const w = inspectionsVisibleTo(new Where(), p)
    .when(f.county, 'county = ?')
    .when(f.state, 'state = ?')
    .when(f.department, '? = ANY(departments)')
    .when(f.subjectId, 'subject_id = ?');
  if (f.before) order.after(w, [f.before.createdAt, f.before.inspectionId]);
  const res = await db.query<{ view: InspectionView; created_at: Date; inspection_id: string }>(
    `SELECT inspection_id, created_at, view FROM inspections WHERE ${w.sql} ORDER BY ${order.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({ view: r.view, cursor: { createdAt: r.created_at.toISOString(), inspectionId: r.inspection_id } }));
}

// ---------------------------------------------------------------- duplicates prevented

/** Serialises the ad-hoc starts of one subject, so two requests cannot both pass the check (7233039). */
export const lockSubjectInspections = (client: pg.PoolClient, subjectId: string) =>
  client.query('SELECT pg_advisory_xact_lock(7233039, hashtext($1))', [subjectId]);

/**
 * The subject's latest inspection (not cancelled) for any of `items` visited (or, without a visit,
 * created) within `days` before or after `on`: a scheduled one counts as much as a past one.
 */
export async function recentInspection(
  db: Queryable,
  o: { subjectId: string; items: string[]; on: string; days: number },
): Promise<{ inspectionId: string; item: string; visitOn: string | null } | undefined> {
  const res = await db.query<{ inspection_id: string; item: string; day: string | null }>(
    `SELECT inspection_id, (SELECT i FROM unnest(items) i WHERE i = ANY($2) LIMIT 1) AS item, to_char(visit_on, 'YYYY-MM-DD') AS day
       FROM inspections
      WHERE subject_id = $1 AND items && $2 AND state <> 'cancelled'
        AND abs(coalesce(visit_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date) - $3::date) <= $4
      ORDER BY coalesce(visit_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date) DESC, inspection_id DESC LIMIT 1`,
    [o.subjectId, o.items, o.on, o.days],
  );
  const r = res.rows[0];
  return r ? { inspectionId: r.inspection_id, item: r.item, visitOn: r.day } : undefined;
}

/** The subject's inspections (not cancelled) in a year, and the latest of them. */
export async function inspectionsInYear(db: Queryable, subjectId: string, year: number): Promise<{ count: number; latest?: string }> {
  const res = await db.query<{ n: string; latest: string | null }>(
    `SELECT count(*) AS n, max(inspection_id) AS latest FROM inspections
      WHERE subject_id = $1 AND state <> 'cancelled'
        AND extract(year FROM coalesce(visit_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date)) = $2`,
    [subjectId, year],
  );
  const r = res.rows[0]!;
  return { count: Number(r.n), ...(r.latest ? { latest: r.latest } : {}) };
}

/** A 409 recently_inspected, kept for the report's "duplicates prevented". */
export async function logInspectionRefusal(
  db: Queryable,
  r: { county: string; department: string; subjectId: string; reason: 'recent' | 'yearly-cap'; earlierId?: string | undefined; itemId?: string | undefined },
): Promise<void> {
  await db.query('INSERT INTO inspection_refusals (county, department, subject_id, reason, earlier_id, item_id) VALUES ($1, $2, $3, $4, $5, $6)', [
    r.county,
    r.department,
    r.subjectId,
    r.reason,
    r.earlierId ?? null,
    r.itemId ?? null,
  ]);
}

// ---------------------------------------------------------------- credit

/**
 * What a department's result does to the subject's credit grade (domain/inspection.ts
 * `creditAfter`), once per inspection and department: a changed grade is written to the subject
 * with a history entry naming the inspection; a rectification is noted in the history without a
 * change. Answers the grades, or undefined when the subject is not in the registry (or erased).
 */
export async function applyInspectionCredit(
  pool: Pool,
  o: { inspectionId: string; department: string; county: string; subjectId: string; outcome: InspectionOutcome },
): Promise<{ from: CreditGrade; to: CreditGrade } | undefined> {
  return inTransaction(pool, async (client) => {
    // The registry's own lock (db/subject-registry.ts): a PUT or an import of the county waits.
    await client.query('SELECT pg_advisory_xact_lock(7233019, hashtext($1))', [o.county]);
    const done = await client.query<{ from_grade: CreditGrade; to_grade: CreditGrade }>(
      'SELECT from_grade, to_grade FROM inspection_credit WHERE inspection_id = $1 AND department = $2',
      [o.inspectionId, o.department],
    );
    if (done.rows[0]) return { from: done.rows[0].from_grade, to: done.rows[0].to_grade };
    const s = await client.query<{ credit_grade: CreditGrade | null }>(
      'SELECT credit_grade FROM subjects WHERE subject_id = $1 AND county = $2 AND registered_at IS NOT NULL AND erased_at IS NULL FOR UPDATE',
      [o.subjectId, o.county],
    );
    const from = s.rows[0]?.credit_grade;
    if (!from) return undefined;
    const { gradeE } = await registrySettings(client, o.county);
    const to = creditAfter(from, o.outcome, gradeE);
    await client.query('INSERT INTO inspection_credit (inspection_id, department, subject_id, outcome, from_grade, to_grade) VALUES ($1, $2, $3, $4, $5, $6)', [
      o.inspectionId,
      o.department,
      o.subjectId,
      o.outcome,
      from,
      to,
    ]);
    if (to !== from || o.outcome === 'rectification') {
      if (to !== from) await client.query('UPDATE subjects SET credit_grade = $2, updated_at = now() WHERE subject_id = $1', [o.subjectId, to]);
      const reason = to !== from ? `检查发现违法行为（${o.inspectionId}）：信用等级下调` : `检查发现问题责令整改（${o.inspectionId}）：等级不变`;
      await client.query(
        `INSERT INTO subject_credit_history (subject_id, seq, grade, from_grade, reason, by_key)
         SELECT $1, coalesce((SELECT max(seq) FROM subject_credit_history WHERE subject_id = $1), 0) + 1, $2, $3, $4, $5`,
        [o.subjectId, to, from, reason, o.inspectionId],
      );
    }
    return { from, to };
  });
}

// ---------------------------------------------------------------- publication

/** An organisation is named with its credit code; a person or a sole trader never (DOMAIN §9). */
export async function publicSubjectLabel(db: Queryable, subjectId: string, county: string): Promise<string> {
  const res = await db.query<{ kind: string; name: string | null; credit_code: string | null }>(
    'SELECT kind, name, credit_code FROM subjects WHERE subject_id = $1 AND erased_at IS NULL',
    [subjectId],
  );
  const s = res.rows[0];
  return s && s.kind === 'enterprise' && s.name && s.credit_code ? `${s.name}（${s.credit_code}）` : `双随机抽查对象（${divisionName(county)}）`;
}

/** The public result of an inspection (`/v1/public/results`, scenario `joint-inspection`). Idempotent on the result id. */
export async function publishInspectionResult(
  pool: Pool,
  r: {
    resultId: string;
    inspectionId: string;
    county: string;
    subjectId: string;
    resultCode: string;
    summary: string;
    inspectedBy: string[];
    publishedAt: string;
  },
): Promise<void> {
  const subjectLabel = await publicSubjectLabel(pool, r.subjectId, r.county);
  await insertPublicResult(pool, {
    resultId: r.resultId,
    matterId: r.inspectionId,
    county: r.county,
    scenario: 'joint-inspection',
    subjectLabel,
    resultCode: r.resultCode,
    summary: r.summary,
    inspectedBy: r.inspectedBy,
    publishedAt: r.publishedAt,
    kind: 'inspection',
    version: 1,
    publishedBy: 'lead',
  });
}
