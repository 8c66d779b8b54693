import type pg from 'pg';
import type { ClueSettings, ClueView, DispatchCatalogue } from '../domain/clue.js';
import type { Principal } from '../domain/principal.js';
import { countyVersions, type CountyVersion } from './county-versions.js';
import type { Queryable } from './pool.js';
import { keyset, Where, type Keyed } from './sql.js';
import { cluesVisibleTo } from './visibility.js';

/** Every department a clue was dispatched to or co-handled by (who may see it: db/visibility.ts). */
export function clueDepartments(v: Pick<ClueView, 'dispatches' | 'coHandlers' | 'department'>): string[] {
  return [...new Set([...v.dispatches.flatMap((d) => [d.department, ...d.coHandlers]), ...v.coHandlers, ...(v.department ? [v.department] : [])])];
}

/**
 * Writes the clue's read model; an older event (a retried activity) never overwrites a newer one.
 * The intake's columns (merge key, received, merged into) are the API's, written once; a row the
 * workflow writes first (a run started around the API) takes its received time from the view.
 */
export async function upsertClueView(db: Queryable, v: ClueView): Promise<void> {
  await db.query(
    `INSERT INTO clues (clue_id, county, category, state, department, departments, last_seq, view, received_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
     ON CONFLICT (clue_id) DO UPDATE SET
       state = EXCLUDED.state, department = EXCLUDED.department, departments = EXCLUDED.departments,
       last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE clues.last_seq < EXCLUDED.last_seq`,
    [v.clueId, v.county, v.category, v.state, v.department ?? null, clueDepartments(v), v.lastEventSeq, v, v.receivedAt],
  );
}

export interface ClueRow {
  view: ClueView;
  mergedInto: string | null;
  mergeKey: string | null;
}

/** The clue as last recorded (outlives Temporal's retention). */
export async function getClueRow(db: Queryable, clueId: string): Promise<ClueView | undefined> {
  return (await getClueRecord(db, clueId))?.view;
}

export async function getClueRecord(db: Queryable, clueId: string): Promise<ClueRow | undefined> {
  const res = await db.query<{ view: ClueView; merged_into: string | null; merge_key: string | null }>(
    'SELECT view, merged_into, merge_key FROM clues WHERE clue_id = $1',
    [clueId],
  );
  const r = res.rows[0];
  return r ? { view: r.view, mergedInto: r.merged_into, mergeKey: r.merge_key } : undefined;
}

/**
 * The open clue a repeat joins (并单): same merge key (county, category, subject), received within
 * the window, not closed, cancelled or itself merged. Called under the key's lock.
 */
export async function findOpenRepeat(client: pg.PoolClient, mergeKey: string, windowDays: number): Promise<string | undefined> {
  const res = await client.query<{ clue_id: string }>(
    `SELECT clue_id FROM clues
      WHERE merge_key = $1 AND merged_into IS NULL AND state NOT IN ('closed', 'cancelled')
        AND received_at > now() - make_interval(days => $2)
      ORDER BY received_at LIMIT 1`,
    [mergeKey, windowDays],
  );
  return res.rows[0]?.clue_id;
}

/** Serialises intakes of one merge key, so two repeats arriving together merge into one clue. */
export async function lockMergeKey(client: pg.PoolClient, mergeKey: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(7233013, hashtext($1))', [mergeKey]);
}

/** The row the API writes when it accepts a clue (its view as at intake, `last_seq` 0). */
export async function insertClueIntake(
  client: pg.PoolClient,
  o: { view: ClueView; mergeKey: string | undefined; mergedInto: string | undefined; receivedAt: string },
): Promise<void> {
  await client.query(
    `INSERT INTO clues (clue_id, county, category, state, department, departments, last_seq, view, merge_key, merged_into, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (clue_id) DO NOTHING`,
    [
      o.view.clueId,
      o.view.county,
      o.view.category,
      o.view.state,
      o.view.department ?? null,
      clueDepartments(o.view),
      o.view.lastEventSeq,
      o.view,
      o.mergeKey ?? null,
      o.mergedInto ?? null,
      o.receivedAt,
    ],
  );
}

/** The repeats merged into a clue, oldest first. */
export async function mergedClues(db: Queryable, clueId: string): Promise<ClueView[]> {
  const res = await db.query<{ view: ClueView }>('SELECT view FROM clues WHERE merged_into = $1 ORDER BY received_at, clue_id', [clueId]);
  return res.rows.map((r) => r.view);
}

export interface ClueFilter {
  state?: string | undefined;
  category?: string | undefined;
  department?: string | undefined;
  overdue?: boolean | undefined;
  limit: number;
  before?: { receivedAt: string; clueId: string } | undefined;
}

const clueOrder = keyset('desc', [{ sql: 'received_at', type: 'timestamptz' }, { sql: 'clue_id' }]);

/**
 * A clue is overdue when one of its department tasks is open past its deadline, or its reply
 * awaits a visit-back past the visit's limit.
 */
const overdueSql = `(EXISTS (SELECT 1 FROM tasks t WHERE t.task_id LIKE clues.clue_id || '/%' AND t.overdue AND t.closed_at IS NULL)
   OR (clues.state = 'replied' AND (clues.view->>'visitDueAt')::timestamptz < now()))`;

/** Clues the principal may see (db/visibility.ts), newest first, keyset-paginated. */
export async function listClues(db: Queryable, p: Principal, f: ClueFilter): Promise<Keyed<ClueRow, { receivedAt: string; clueId: string }>[]> {
  const w = cluesVisibleTo(new Where(), p).when(f.state, 'state = ?').when(f.category, 'category = ?').when(f.department, '? = ANY(departments)');
  if (f.overdue !== undefined) w.add(f.overdue ? overdueSql : `NOT ${overdueSql}`);
  if (f.before) clueOrder.after(w, [f.before.receivedAt, f.before.clueId]);
  const res = await db.query<{ view: ClueView; merged_into: string | null; merge_key: string | null; received_at: Date; clue_id: string }>(
    `SELECT clue_id, received_at, view, merged_into, merge_key FROM clues WHERE ${w.sql} ORDER BY ${clueOrder.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({
    view: { view: r.view, mergedInto: r.merged_into, mergeKey: r.merge_key },
    cursor: { receivedAt: r.received_at.toISOString(), clueId: r.clue_id },
  }));
}

export interface CatalogueVersion {
  county: string;
  version: number;
  catalogue: DispatchCatalogue;
  settings: Partial<ClueSettings>;
  createdAt: string;
  createdBy: string;
}

const catalogues = countyVersions<DispatchCatalogue, ClueSettings>({ table: 'dispatch_catalogues', column: 'catalogue', lock: 7233014 });
const asCatalogue = ({ document, ...v }: CountyVersion<DispatchCatalogue, ClueSettings>): CatalogueVersion => ({ ...v, catalogue: document });

/** The county's dispatch catalogue in force (its newest version), or undefined: none yet. */
export async function currentCatalogue(db: Queryable, county: string): Promise<CatalogueVersion | undefined> {
  const c = await catalogues.current(db, county);
  return c && asCatalogue(c);
}

/**
 * A new version of the county's catalogue. `baseVersion` is the version the admin edited: a
 * catalogue changed meanwhile answers 'stale' and nothing is written. Serialised per county.
 */
export async function putCatalogue(
  client: pg.PoolClient,
  o: { county: string; catalogue: DispatchCatalogue; settings: Partial<ClueSettings>; createdBy: string; baseVersion: number | undefined },
): Promise<CatalogueVersion | 'stale'> {
  const { catalogue, ...rest } = o;
  const c = await catalogues.put(client, { ...rest, document: catalogue });
  return c === 'stale' ? c : asCatalogue(c);
}
