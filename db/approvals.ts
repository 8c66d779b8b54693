import type pg from 'pg';
import type { ApprovalRules, ApprovalSettings, ApprovalView } from '../domain/approval.js';
import type { Principal } from '../domain/principal.js';
import { countyVersions, type CountyVersion } from './county-versions.js';
import type { Queryable } from './pool.js';
import { keyset, Where, type Keyed } from './sql.js';
import { approvalsVisibleTo } from './visibility.js';

/** Every department with a check task of the follow-up, and the competent one (who may see it, with the approval bureau). */
export function approvalDepartments(v: Pick<ApprovalView, 'department' | 'tasks'>): string[] {
  return [...new Set([v.department, ...v.tasks.map((t) => t.department)])];
}

/**
 * Writes the follow-up's read model; an older event (a retried activity) never overwrites a newer
 * one. `created_at` is the receipt (the view's `receivedAt`), written with the first event only.
 */
export async function upsertApprovalView(db: Queryable, v: ApprovalView): Promise<void> {
  await db.query(
    `INSERT INTO approvals (follow_up_id, county, event, licence_type, state, department, departments, licence_issue, created_at, last_seq, view, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
     ON CONFLICT (follow_up_id) DO UPDATE SET
       state = EXCLUDED.state, departments = EXCLUDED.departments, licence_issue = EXCLUDED.licence_issue,
       last_seq = EXCLUDED.last_seq, view = EXCLUDED.view, updated_at = now()
     WHERE approvals.last_seq < EXCLUDED.last_seq`,
    [
      v.followUpId,
      v.county,
      v.event,
      v.licence.type,
      v.state,
      v.department,
      approvalDepartments(v),
      v.licenceIssue !== undefined,
      v.receivedAt,
      v.lastEventSeq,
      v,
    ],
  );
}

/** The follow-up as last recorded (outlives Temporal's retention). */
export async function getApprovalRow(db: Queryable, followUpId: string): Promise<ApprovalView | undefined> {
  const res = await db.query<{ view: ApprovalView }>('SELECT view FROM approvals WHERE follow_up_id = $1', [followUpId]);
  return res.rows[0]?.view;
}

export interface ApprovalFilter {
  state?: string | undefined;
  department?: string | undefined;
  overdue?: boolean | undefined;
  limit: number;
  /** The last row of the previous page. */
  before?: ApprovalCursor | undefined;
}
export type ApprovalCursor = { receivedAt: string; followUpId: string };

const approvalOrder = keyset('desc', [{ sql: 'created_at', type: 'timestamptz' }, { sql: 'follow_up_id' }]);

/** A follow-up is overdue when its check task is open past its deadline. */
const overdueSql = `EXISTS (SELECT 1 FROM tasks t WHERE t.task_id LIKE approvals.follow_up_id || '/%' AND t.overdue AND t.closed_at IS NULL)`;

/** Follow-ups the principal may see (db/visibility.ts), newest first, keyset-paginated by (created_at desc, follow_up_id desc). */
export async function listApprovals(db: Queryable, p: Principal, f: ApprovalFilter): Promise<Keyed<ApprovalView, ApprovalCursor>[]> {
  const w = approvalsVisibleTo(new Where(), p).when(f.state, 'state = ?').when(f.department, '? = ANY(departments)');
  if (f.overdue !== undefined) w.add(f.overdue ? overdueSql : `NOT ${overdueSql}`);
  if (f.before) approvalOrder.after(w, [f.before.receivedAt, f.before.followUpId]);
  const res = await db.query<{ view: ApprovalView; created_at: Date; follow_up_id: string }>(
    `SELECT follow_up_id, created_at, view FROM approvals WHERE ${w.sql} ORDER BY ${approvalOrder.orderBy} LIMIT ${w.param(f.limit)}`,
    w.args,
  );
  return res.rows.map((r) => ({ view: r.view, cursor: { receivedAt: r.created_at.toISOString(), followUpId: r.follow_up_id } }));
}

export interface ApprovalRulesVersion {
  county: string;
  version: number;
  rules: ApprovalRules;
  settings: Partial<ApprovalSettings>;
  createdAt: string;
  createdBy: string;
}

const ruleVersions = countyVersions<ApprovalRules, ApprovalSettings>({ table: 'approval_rules', column: 'rules', lock: 7233021 });
const asRules = ({ document, ...v }: CountyVersion<ApprovalRules, ApprovalSettings>): ApprovalRulesVersion => ({ ...v, rules: document });

/** The county's approval rules in force (their newest version), or undefined: none yet. */
export async function currentApprovalRules(db: Queryable, county: string): Promise<ApprovalRulesVersion | undefined> {
  const r = await ruleVersions.current(db, county);
  return r && asRules(r);
}

/**
 * A new version of the county's approval rules. `baseVersion` is the version the admin edited:
 * rules changed meanwhile answer 'stale' and nothing is written. Serialised per county.
 */
export async function putApprovalRules(
  client: pg.PoolClient,
  o: { county: string; rules: ApprovalRules; settings: Partial<ApprovalSettings>; createdBy: string; baseVersion: number | undefined },
): Promise<ApprovalRulesVersion | 'stale'> {
  const { rules, ...rest } = o;
  const r = await ruleVersions.put(client, { ...rest, document: rules });
  return r === 'stale' ? r : asRules(r);
}
