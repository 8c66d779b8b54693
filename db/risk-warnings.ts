import type { Principal } from '../domain/principal.js';
import type { RecentWarning, RiskWarningView } from '../domain/risk-warning.js';
import type { Queryable } from './pool.js';
import { keyset, Where, type Keyed } from './sql.js';
import { riskWarningsVisibleTo } from './visibility.js';

/** Every department a warning was pushed to or disposed of by (who may see it, with the issuer). */
export function warningDepartments(v: Pick<RiskWarningView, 'departments' | 'tasks'>): string[] {
  return [...new Set([...v.departments, ...v.tasks.map((t) => t.department)])];
}

/**
 * Writes the warning's read model; an older event (a retried activity) never overwrites a newer
 * one. `created_at` is the push (the view's `issuedAt`), written with the first event only.
 */
export async function upsertRiskWarningView(db: Queryable, v: RiskWarningView): Promise<void> {
  await db.query(
    `INSERT INTO risk_warnings (warning_id, county, level, state, trade, township, departments, issuing_department, campaign_suggested, created_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
     ON CONFLICT (warning_id) DO UPDATE SET
       state = EXCLUDED.state, departments = EXCLUDED.departments, campaign_suggested = EXCLUDED.campaign_suggested,
       last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE risk_warnings.last_seq < EXCLUDED.last_seq`,
    [
      v.warningId,
      v.county,
      v.level,
      v.state,
      v.trade ?? null,
      v.township ?? null,
      warningDepartments(v),
      v.issuingDepartment ?? null,
      v.campaign !== undefined,
      v.issuedAt,
      v.lastEventSeq,
      v,
    ],
  );
}

/** The warning as last recorded (outlives Temporal's retention). */
export async function getRiskWarningRow(db: Queryable, warningId: string): Promise<RiskWarningView | undefined> {
  const res = await db.query<{ view: RiskWarningView }>('SELECT view FROM risk_warnings WHERE warning_id = $1', [warningId]);
  return res.rows[0]?.view;
}

export interface RiskWarningFilter {
  level?: string | undefined;
  state?: string | undefined;
  overdue?: boolean | undefined;
  limit: number;
  /** The last row of the previous page. */
  before?: RiskWarningCursor | undefined;
}
export interface RiskWarningCursor {
  createdAt: string;
  warningId: string;
}

const warningOrder = keyset('desc', [{ sql: 'created_at', type: 'timestamptz' }, { sql: 'warning_id' }]);

/**
 * A warning is overdue when one of its department tasks (verification, disposal) is open past its
 * deadline, or its joint review or its feedback is awaited past its own.
 */
const overdueSql = `(EXISTS (SELECT 1 FROM tasks t WHERE t.task_id LIKE risk_warnings.warning_id || '/%' AND t.overdue AND t.closed_at IS NULL)
   OR (risk_warnings.state = 'reviewing' AND (risk_warnings.view->>'reviewDueAt')::timestamptz < now())
   OR (risk_warnings.state = 'awaiting-feedback' AND (risk_warnings.view->>'feedbackDueAt')::timestamptz < now()))`;

/** Warnings the principal may see, newest first, keyset-paginated by (created_at desc, warning_id desc). */
export async function listRiskWarnings(db: Queryable, p: Principal, f: RiskWarningFilter): Promise<Keyed<RiskWarningView, RiskWarningCursor>[]> {
  const w = riskWarningsVisibleTo(new Where(), p).when(f.level, 'level = ?').when(f.state, 'state = ?');
  if (f.overdue !== undefined) w.add(f.overdue ? overdueSql : `NOT ${overdueSql}`);
  if (f.before) warningOrder.after(w, [f.before.createdAt, f.before.warningId]);
  const res = await db.query<{ view: RiskWarningView; created_at: Date; warning_id: string }>(
    `SELECT warning_id, created_at, view FROM risk_warnings WHERE ${w.sql} ORDER BY ${warningOrder.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({ view: r.view, cursor: { createdAt: r.created_at.toISOString(), warningId: r.warning_id } }));
}

/**
 * The county's warnings of one trade in one township pushed after `since`, newest first, for the
 * special-campaign rule (domain/risk-warning.ts `campaignSuggestion`). A cancelled (withdrawn)
 * warning does not count. At most `limit` (the suggestion lists at most 50).
 */
export async function recentWarningsByTradeAndTownship(
  db: Queryable,
  q: { county: string; trade: string; township: string; since: string; limit?: number },
): Promise<RecentWarning[]> {
  const res = await db.query<{ warning_id: string; trade: string; township: string; created_at: Date; campaign_suggested: boolean }>(
    `SELECT warning_id, trade, township, created_at, campaign_suggested FROM risk_warnings
      WHERE county = $1 AND trade = $2 AND township = $3 AND created_at > $4::timestamptz AND state <> 'cancelled'
      ORDER BY created_at DESC, warning_id DESC
      LIMIT $5`,
    [q.county, q.trade, q.township, q.since, q.limit ?? 100],
  );
  return res.rows.map((r) => ({
    warningId: r.warning_id,
    trade: r.trade,
    township: r.township,
    issuedAt: r.created_at.toISOString(),
    campaignSuggested: r.campaign_suggested,
  }));
}

/**
 * Serialises intakes of one trade in one township of a county, so two warnings arriving together
 * are counted by the special-campaign rule one after the other (neither misses the other).
 */
export async function lockCampaignKey(client: Queryable, o: { county: string; trade: string; township: string }): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(7233015, hashtext($1))', [`${o.county}|${o.trade}|${o.township}`]);
}
