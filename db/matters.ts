import { divisionPrefix } from '../domain/departments.js';
import type { MatterView } from '../domain/matter.js';
import type { ResultVersion } from '../domain/records.js';
import type { ScenarioOverride } from '../domain/scenarios/schema.js';
import type pg from 'pg';
import { appendAudit } from './events.js';
import { priorClaim, type IdempotencyHit } from './ids.js';
import type { Queryable } from './pool.js';
import { divisionCondition, inTransaction, keyset, Where, type Keyed } from './sql.js';

/** A matter's view as later events record it: without the subject and facts the first one wrote. */
export type RecordedMatterView = Omit<MatterView, 'subject' | 'facts'>;

/**
 * Writes a matter's row. A view without subject and facts (every event after the first) keeps
 * the row's: they never change, and stay out of every later recording activity's input.
 */
export async function upsertMatterView(db: Queryable, v: MatterView | RecordedMatterView): Promise<void> {
  await db.query(
    `INSERT INTO matters (matter_id, county, scenario, stage, status, lead_department, created_at, closed_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
     ON CONFLICT (matter_id) DO UPDATE SET
       stage = EXCLUDED.stage, status = EXCLUDED.status, closed_at = EXCLUDED.closed_at,
       last_seq = EXCLUDED.last_seq, updated_at = now(),
       view = CASE WHEN EXCLUDED.view ? 'subject' THEN EXCLUDED.view
                   ELSE EXCLUDED.view || jsonb_build_object('subject', matters.view->'subject', 'facts', matters.view->'facts') END
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

const matterOrder = keyset('desc', [{ sql: 'm.created_at', type: 'timestamptz' }, { sql: 'm.matter_id' }]);

/** Newest first; `overdue` and `department` look at the matter's tasks. */
export async function listMatters(db: Queryable, f: MatterFilter): Promise<Keyed<MatterView, { createdAt: string; matterId: string }>[]> {
  const w = new Where();
  w.add(divisionCondition(w, 'm.county', f.countyPrefix))
    .when(f.scenario, 'm.scenario = ?')
    .when(f.stage, 'm.stage = ?')
    .when(f.status, 'm.status = ?')
    .when(f.department, 'EXISTS (SELECT 1 FROM tasks t WHERE t.matter_id = m.matter_id AND t.department = ?)');
  if (f.overdue !== undefined) {
    w.add(`${f.overdue ? '' : 'NOT '}EXISTS (SELECT 1 FROM tasks t WHERE t.matter_id = m.matter_id AND t.overdue AND t.closed_at IS NULL)`);
  }
  if (f.before) matterOrder.after(w, [f.before.createdAt, f.before.matterId]);
  const res = await db.query<{ matter_id: string; created_at: Date; view: MatterView }>(
    `SELECT m.matter_id, m.created_at, m.view FROM matters m WHERE ${w.sql} ORDER BY ${matterOrder.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({ view: r.view, cursor: { createdAt: r.created_at.toISOString(), matterId: r.matter_id } }));
}

export async function getScenarioOverride(
  db: Queryable,
  county: string,
  scenario: string,
): Promise<{ version: number; override: ScenarioOverride } | undefined> {
  // Named: prepared once per connection (every matter launched reads it).
  const res = await db.query({
    name: 'scenario-override-current',
    text: 'SELECT version, override FROM scenario_overrides WHERE county = $1 AND scenario = $2 ORDER BY version DESC LIMIT 1',
    values: [county, scenario],
  });
  return res.rows[0] ? { version: res.rows[0].version, override: res.rows[0].override } : undefined;
}

/** What `reserveMatterLaunch` found: the next id, the county's scenario override, and the key's earlier claim. */
export interface MatterLaunchReservation {
  /** The id this request takes when it is new: the sequence's next number. */
  candidate: string;
  /** The Idempotency-Key's earlier claim (a retry), when it had one. */
  prior?: IdempotencyHit;
  override?: { version: number; override: ScenarioOverride };
}

/**
 * Everything `POST /v1/matters` reads and writes before it starts the workflow, in one statement:
 * the next number of the county's scenario and year (`id_counters`), the Idempotency-Key's claim
 * for the id it makes (with a key), and the county's scenario override in force. One round trip
 * instead of three queries: every matter launched runs it, and on a machine where the API, the
 * database and Temporal share the cores each query costs CPU on both ends (BENCHMARKS.md). Being
 * one statement, it is atomic: a failure claims nothing and takes no number.
 *
 * The id is formatted here as domain/ids.ts `matterWorkflowId` formats it (`prefix` + the number
 * zero-padded to SEQ_WIDTH digits, more when it has more); test/api/matter-launch.test.ts holds the
 * two equal. A retried key burns a number, as the two-query version did.
 */
export async function reserveMatterLaunch(
  db: Queryable,
  o: { counter: string; prefix: string; width: number; county: string; scenario: string; claim?: { scope: string; key: string; requestHash: string } },
): Promise<MatterLaunchReservation> {
  const res = await db.query({
    name: 'reserve-matter-launch',
    text: `WITH seq AS (
         INSERT INTO id_counters (scope, value) VALUES ($1, 1)
         ON CONFLICT (scope) DO UPDATE SET value = id_counters.value + 1
         RETURNING $2::text || lpad(value::text, greatest($3::int, length(value::text)), '0') AS id
       ), claimed AS (
         INSERT INTO idempotency_keys (scope, key, request_hash, resource_id)
         SELECT $4::text, $5::text, $6::text, id FROM seq WHERE $5::text IS NOT NULL
         ON CONFLICT (scope, key) DO NOTHING
         RETURNING resource_id
       )
       SELECT seq.id AS candidate, (SELECT count(*) FROM claimed)::int AS claimed,
              prior.resource_id AS prior_id, prior.request_hash AS prior_hash, ov.version, ov.override
         FROM seq
         LEFT JOIN idempotency_keys prior ON prior.scope = $4::text AND prior.key = $5::text
         LEFT JOIN LATERAL (SELECT version, override FROM scenario_overrides
                             WHERE county = $7 AND scenario = $8 ORDER BY version DESC LIMIT 1) ov ON true`,
    values: [o.counter, o.prefix, o.width, o.claim?.scope ?? null, o.claim?.key ?? null, o.claim?.requestHash ?? null, o.county, o.scenario],
  });
  const row = res.rows[0]!;
  const out: MatterLaunchReservation = {
    candidate: row.candidate,
    ...(row.override ? { override: { version: row.version, override: row.override } } : {}),
  };
  if (!o.claim || row.claimed) return out;
  if (row.prior_id) return { ...out, prior: { resourceId: row.prior_id, requestHash: row.prior_hash } };
  // The key was claimed by a request still in flight when this statement took its snapshot: its
  // row is committed now (the INSERT waited for it), so read it.
  return { ...out, prior: await priorClaim(db, o.claim.scope, o.claim.key) };
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
  /** What is published (DOMAIN §9): the inspection result or a penalty decision. Default inspection. */
  kind?: 'inspection' | 'penalty';
  /** 1 for the first publication; a later version replaces it (the final outcome after an interim one). */
  version?: number;
  /** Who published: the lead department, or the system at the deadline when the lead did not. */
  publishedBy?: 'lead' | 'system';
}

/**
 * Publishes a version of a result: the version is kept on the record (idempotent on result and
 * version), and the public row shows it when it is newer than the one shown.
 */
export async function insertPublicResult(db: pg.Pool, r: PublicResult): Promise<void> {
  const version = r.version ?? 1;
  const by = r.publishedBy ?? 'lead';
  await inTransaction(db, async (client) => {
    const kept = await client.query(
      `INSERT INTO public_result_versions (result_id, version, change, result_code, summary, subject_label, by_whom, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (result_id, version) DO NOTHING`,
      [r.resultId, version, version === 1 ? 'published' : 'updated', r.resultCode, r.summary, r.subjectLabel, by, r.publishedAt],
    );
    if (kept.rowCount === 0) return; // an earlier attempt of this activity published it
    await client.query(
      `INSERT INTO public_results (result_id, matter_id, county, scenario, subject_label, result_code, summary, inspected_by, published_at, kind, version, published_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (result_id) DO UPDATE SET
         subject_label = EXCLUDED.subject_label, result_code = EXCLUDED.result_code, summary = EXCLUDED.summary,
         inspected_by = EXCLUDED.inspected_by, version = EXCLUDED.version, published_by = EXCLUDED.published_by, updated_at = EXCLUDED.published_at
       WHERE public_results.version < EXCLUDED.version`,
      [
        r.resultId,
        r.matterId,
        r.county,
        r.scenario,
        r.subjectLabel,
        r.resultCode,
        r.summary,
        r.inspectedBy,
        r.publishedAt,
        r.kind ?? 'inspection',
        version,
        by,
      ],
    );
  });
}

export interface PublishedResult extends PublicResult {
  kind: 'inspection' | 'penalty';
  version: number;
  publishedBy: 'lead' | 'system';
  updatedAt?: string;
  withdrawnAt?: string;
}

const resultOf = (r: Record<string, unknown>): PublishedResult => ({
  resultId: r.result_id as string,
  matterId: r.matter_id as string,
  county: r.county as string,
  scenario: r.scenario as string,
  subjectLabel: r.subject_label as string,
  resultCode: r.result_code as string,
  summary: r.summary as string,
  inspectedBy: r.inspected_by as string[],
  publishedAt: (r.published_at as Date).toISOString(),
  kind: r.kind as PublishedResult['kind'],
  version: r.version as number,
  publishedBy: r.published_by as PublishedResult['publishedBy'],
  ...(r.updated_at ? { updatedAt: (r.updated_at as Date).toISOString() } : {}),
  ...(r.withdrawn_at ? { withdrawnAt: (r.withdrawn_at as Date).toISOString() } : {}),
});

export async function getPublicResult(db: Queryable, resultId: string): Promise<PublishedResult | undefined> {
  const res = await db.query('SELECT * FROM public_results WHERE result_id = $1', [resultId]);
  return res.rows[0] ? resultOf(res.rows[0]) : undefined;
}

export type { ResultVersion } from '../domain/records.js';

/** Every version of a result, oldest first (the record keeps them all). */
export async function listResultVersions(db: Queryable, resultId: string): Promise<ResultVersion[]> {
  const res = await db.query('SELECT * FROM public_result_versions WHERE result_id = $1 ORDER BY version', [resultId]);
  return res.rows.map((r) => ({
    version: r.version,
    change: r.change,
    resultCode: r.result_code,
    summary: r.summary,
    by: r.by_whom,
    ...(r.reason ? { reason: r.reason as string } : {}),
    at: (r.at as Date).toISOString(),
  }));
}

/**
 * A supervisor corrects (new summary or code) or withdraws a published result: a new version on
 * the record, with its reason and who acted, and the public row changed to match; with an audit
 * entry. Answers the new version, or undefined when the result had changed meanwhile (retry).
 */
export async function changePublicResult(
  db: pg.Pool,
  c: {
    resultId: string;
    expectVersion: number;
    change: 'corrected' | 'withdrawn';
    reason: string;
    actorKeyId: string;
    actorCounty: string;
    resultCode?: string;
    summary?: string;
    at: string;
    details?: Record<string, unknown>;
  },
): Promise<number | undefined> {
  return inTransaction(db, async (client) => {
    const cur = await client.query('SELECT * FROM public_results WHERE result_id = $1 FOR UPDATE', [c.resultId]);
    const row = cur.rows[0];
    if (!row || row.version !== c.expectVersion) return undefined;
    const version = (row.version as number) + 1;
    const code = c.resultCode ?? row.result_code;
    const summary = c.summary ?? row.summary;
    await client.query(
      `INSERT INTO public_result_versions (result_id, version, change, result_code, summary, subject_label, by_whom, actor_key_id, reason, at)
       VALUES ($1, $2, $3, $4, $5, $6, 'supervisor', $7, $8, $9)`,
      [c.resultId, version, c.change, code, summary, row.subject_label, c.actorKeyId, c.reason, c.at],
    );
    await client.query(
      `UPDATE public_results SET version = $2, result_code = $3, summary = $4, updated_at = $5,
         withdrawn_at = CASE WHEN $6 THEN $5::timestamptz ELSE withdrawn_at END
       WHERE result_id = $1`,
      [c.resultId, version, code, summary, c.at, c.change === 'withdrawn'],
    );
    await appendAudit(client, {
      eventId: `${c.resultId}#v${version}`,
      at: c.at,
      county: row.county as string,
      actorKeyId: c.actorKeyId,
      actorDepartment: null,
      action: `public-result.${c.change}`,
      objectId: row.matter_id as string,
      details: { resultId: c.resultId, version, reason: c.reason, resultCode: code, ...(c.details ?? {}) },
    });
    return version;
  });
}

const resultOrder = keyset('desc', [{ sql: 'published_at', type: 'timestamptz' }, { sql: 'result_id' }]);

export async function listPublicResults(
  db: Queryable,
  f: { county?: string; scenario?: string; from?: string; to?: string; limit: number; before?: { publishedAt: string; resultId: string } },
): Promise<PublishedResult[]> {
  const w = new Where().add('withdrawn_at IS NULL');
  // A city (xxxx00) or province (xx0000) code stands for all its counties.
  if (f.county) w.add(divisionCondition(w, 'county', divisionPrefix(f.county)));
  w.when(f.scenario, 'scenario = ?').when(f.from, 'published_at >= ?::timestamptz').when(f.to, 'published_at < ?::timestamptz');
  if (f.before) resultOrder.after(w, [f.before.publishedAt, f.before.resultId]);
  const res = await db.query(`SELECT * FROM public_results WHERE ${w.sql} ORDER BY ${resultOrder.orderBy} LIMIT ${w.param(f.limit)}`, w.args);
  return res.rows.map(resultOf);
}
