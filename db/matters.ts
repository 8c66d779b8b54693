import { divisionPrefix } from '../domain/departments.js';
import type { MatterView } from '../domain/matter.js';
import type { ScenarioOverride } from '../domain/scenarios/schema.js';
import type { Queryable } from './pool.js';

/** Upserts the matter read model; a write older than the stored one (lower seq) is ignored. */
export async function upsertMatterView(db: Queryable, v: MatterView): Promise<void> {
  await db.query(
    `INSERT INTO matters (matter_id, county, scenario, stage, status, lead_department, created_at, closed_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
     ON CONFLICT (matter_id) DO UPDATE SET
       stage = EXCLUDED.stage, status = EXCLUDED.status, closed_at = EXCLUDED.closed_at,
       last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE matters.last_seq < EXCLUDED.last_seq`,
    [v.matterId, v.county, v.scenario, v.stage, v.status, v.leadDepartment, v.createdAt, v.closedAt ?? null, v.lastEventSeq, v],
  );
}

export async function getMatterRow(db: Queryable, matterId: string): Promise<MatterView | undefined> {
  const res = await db.query<{ view: MatterView }>('SELECT view FROM matters WHERE matter_id = $1', [matterId]);
  return res.rows[0]?.view;
}

export interface MatterFilter {
  countyPrefix: string;
  scenario?: string;
  stage?: string;
  status?: string;
  overdue?: boolean;
  department?: string;
  limit: number;
  before?: { createdAt: string; matterId: string };
}

/** Newest first; `overdue` and `department` look at the matter's tasks. */
export async function listMatters(db: Queryable, f: MatterFilter): Promise<{ view: MatterView; created_at: Date; matter_id: string }[]> {
  const args: unknown[] = [`${f.countyPrefix}%`];
  const where = ['m.county LIKE $1'];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replaceAll('?', `$${args.length}`));
  };
  if (f.scenario) add('m.scenario = ?', f.scenario);
  if (f.stage) add('m.stage = ?', f.stage);
  if (f.status) add('m.status = ?', f.status);
  if (f.department) add('EXISTS (SELECT 1 FROM tasks t WHERE t.matter_id = m.matter_id AND t.department = ?)', f.department);
  if (f.overdue !== undefined) {
    where.push(`${f.overdue ? '' : 'NOT '}EXISTS (SELECT 1 FROM tasks t WHERE t.matter_id = m.matter_id AND t.overdue AND t.closed_at IS NULL)`);
  }
  if (f.before) {
    args.push(f.before.createdAt, f.before.matterId);
    where.push(`(m.created_at, m.matter_id) < ($${args.length - 1}::timestamptz, $${args.length})`);
  }
  args.push(f.limit);
  const res = await db.query(
    `SELECT m.matter_id, m.created_at, m.view FROM matters m WHERE ${where.join(' AND ')}
     ORDER BY m.created_at DESC, m.matter_id DESC LIMIT $${args.length}`,
    args,
  );
  return res.rows;
}

export async function getScenarioOverride(db: Queryable, county: string, scenario: string): Promise<{ version: number; override: ScenarioOverride } | undefined> {
  const res = await db.query(
    'SELECT version, override FROM scenario_overrides WHERE county = $1 AND scenario = $2 ORDER BY version DESC LIMIT 1',
    [county, scenario],
  );
  return res.rows[0] ? { version: res.rows[0].version, override: res.rows[0].override } : undefined;
}

export async function putScenarioOverride(db: Queryable, county: string, scenario: string, override: ScenarioOverride, by: string): Promise<number> {
  const res = await db.query(
    `INSERT INTO scenario_overrides (county, scenario, version, override, created_by)
     VALUES ($1, $2, coalesce((SELECT max(version) FROM scenario_overrides WHERE county = $1 AND scenario = $2), 0) + 1, $3, $4)
     RETURNING version`,
    [county, scenario, override, by],
  );
  return res.rows[0].version;
}

export interface PublicResult {
  resultId: string;
  matterId: string;
  county: string;
  scenario: string;
  subjectLabel: string;
  resultCode: string;
  summary: string;
  inspectedBy: string[];
  publishedAt: string;
}

export async function insertPublicResult(db: Queryable, r: PublicResult): Promise<void> {
  await db.query(
    `INSERT INTO public_results (result_id, matter_id, county, scenario, subject_label, result_code, summary, inspected_by, published_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (result_id) DO NOTHING`,
    [r.resultId, r.matterId, r.county, r.scenario, r.subjectLabel, r.resultCode, r.summary, r.inspectedBy, r.publishedAt],
  );
}

export async function listPublicResults(db: Queryable, f: { county?: string; scenario?: string; from?: string; to?: string; limit: number; before?: { publishedAt: string; resultId: string } }): Promise<PublicResult[]> {
  const args: unknown[] = [];
  const where: string[] = ['true'];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  if (f.county) {
    // A city (xxxx00) or province (xx0000) code stands for all its counties.
    add('county LIKE ?', `${divisionPrefix(f.county)}%`);
  }
  if (f.scenario) add('scenario = ?', f.scenario);
  if (f.from) add('published_at >= ?::timestamptz', f.from);
  if (f.to) add('published_at < ?::timestamptz', f.to);
  if (f.before) {
    args.push(f.before.publishedAt, f.before.resultId);
    where.push(`(published_at, result_id) < ($${args.length - 1}::timestamptz, $${args.length})`);
  }
  args.push(f.limit);
  const res = await db.query(
    `SELECT * FROM public_results WHERE ${where.join(' AND ')} ORDER BY published_at DESC, result_id DESC LIMIT $${args.length}`,
    args,
  );
  return res.rows.map((r) => ({
    resultId: r.result_id, matterId: r.matter_id, county: r.county, scenario: r.scenario, subjectLabel: r.subject_label,
    resultCode: r.result_code, summary: r.summary, inspectedBy: r.inspected_by, publishedAt: (r.published_at as Date).toISOString(),
  }));
}
