/**
 * The inspector registry (执法检查人员库, DOMAIN §7): a county's certificate holders by department,
 * what they are qualified for, and the subjects they declared a conflict with.
 */
import type pg from 'pg';
import type { InspectorBody } from '../domain/registry.js';
import type { Principal } from '../domain/principal.js';
import type { Queryable } from './pool.js';
import { keyset, Where } from './sql.js';
import { inspectorsVisibleTo } from './visibility.js';

export interface Inspector extends InspectorBody {
  inspectorId: string;
  county: string;
  version: number;
  updatedAt: string;
}

interface InspectorRow {
  inspector_id: string;
  county: string;
  department: string;
  name: string;
  certificate_no: string;
  qualifications: string[];
  specialties: string[];
  active: boolean;
  conflicts: string[];
  version: number;
  updated_at: Date;
}

const toInspector = (r: InspectorRow): Inspector => ({
  inspectorId: r.inspector_id,
  county: r.county,
  department: r.department as Inspector['department'],
  name: r.name,
  certificateNo: r.certificate_no,
  qualifications: r.qualifications,
  specialties: r.specialties,
  active: r.active,
  conflicts: r.conflicts,
  version: r.version,
  updatedAt: r.updated_at.toISOString(),
});

export async function getInspector(db: Queryable, inspectorId: string): Promise<Inspector | undefined> {
  const r = (await db.query<InspectorRow>('SELECT * FROM inspectors WHERE inspector_id = $1', [inspectorId])).rows[0];
  return r ? toInspector(r) : undefined;
}

/** The subjects of `ids` that are the county's and not erased (a conflict names a known subject). */
export async function knownSubjects(db: Queryable, county: string, ids: string[]): Promise<Set<string>> {
  const res = await db.query<{ subject_id: string }>('SELECT subject_id FROM subjects WHERE subject_id = ANY($1) AND county = $2 AND erased_at IS NULL', [
    ids,
    county,
  ]);
  return new Set(res.rows.map((r) => r.subject_id));
}

/**
 * Creates or replaces the inspector (its county is the one it was first written in; the caller has
 * checked it). A certificate held by another inspector is refused by the unique key (23505).
 */
export async function putInspector(
  client: pg.PoolClient,
  o: { inspectorId: string; county: string; body: InspectorBody; by: string },
): Promise<{ inspector: Inspector; created: boolean }> {
  const b = o.body;
  const res = await client.query<InspectorRow & { inserted: boolean }>(
    `INSERT INTO inspectors (inspector_id, county, department, name, certificate_no, qualifications, specialties, active, conflicts, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (inspector_id) DO UPDATE SET
       department = EXCLUDED.department, name = EXCLUDED.name, certificate_no = EXCLUDED.certificate_no,
       qualifications = EXCLUDED.qualifications, specialties = EXCLUDED.specialties, active = EXCLUDED.active,
       conflicts = EXCLUDED.conflicts, version = inspectors.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
     RETURNING *, (xmax = 0) AS inserted`,
    [o.inspectorId, o.county, b.department, b.name, b.certificateNo, [...new Set(b.qualifications)], [...new Set(b.specialties)], b.active, b.conflicts, o.by],
  );
  const r = res.rows[0]!;
  return { inspector: toInspector(r), created: r.inserted };
}

const order = keyset('asc', [{ sql: 'inspector_id' }]);

/** Inspectors the principal may see (db/visibility.ts), by id, keyset-paginated. */
export async function listInspectors(
  db: Queryable,
  p: Principal,
  f: { department?: string | undefined; active?: boolean | undefined; limit: number; after?: string | undefined },
): Promise<Inspector[]> {
  const w = inspectorsVisibleTo(new Where(), p).when(f.department, 'department = ?').when(f.active, 'active = ?');
  if (f.after !== undefined) order.after(w, [f.after]);
  const res = await db.query<InspectorRow>(`SELECT * FROM inspectors WHERE ${w.sql} ORDER BY ${order.orderBy} LIMIT ${w.param(f.limit)}`, w.args);
  return res.rows.map(toInspector);
}
