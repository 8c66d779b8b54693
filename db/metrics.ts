import type { Pool } from './pool.js';
import { inTransaction } from './sql.js';
import { taskStates, terminalTaskStates } from '../domain/task.js';

/** The states a task is open in: every one but the terminal ones (domain/task.ts). */
export const openTaskStates = taskStates.filter((s) => !terminalTaskStates.includes(s));

export interface BusinessFigures {
  openTasks: { county: string; department: string; state: string; count: number }[];
  overdueTasks: { county: string; department: string; count: number }[];
  escalationLevels: { county: string; level: number; count: number }[];
  webhookPending: { count: number; oldestAt: Date | null };
  lastAuditVerification: { at: Date; ok: boolean } | null;
}

/**
 * The business figures `/metrics` shows, read at scrape time in one read-only transaction whose
 * statements PostgreSQL cancels past `timeoutMs`: a scrape never holds a connection long, whatever
 * the tables hold. Counts only, grouped by codes (county, department, state, level): no title, no
 * name, no id. Each query is served by an index: the open tasks by `tasks_inbox` (county,
 * department, state, …), the pending deliveries by the partial `webhook_deliveries_due`, the last
 * verification by `audit_verifications_at`.
 */
export async function readBusinessFigures(pool: Pool, timeoutMs: number): Promise<BusinessFigures> {
  return inTransaction(pool, async (client) => {
    await client.query('SET TRANSACTION READ ONLY');
    // SET LOCAL takes no parameters; the value is an integer from our own configuration.
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(timeoutMs))}`);
    const open = await client.query<{ county: string; department: string; state: string; n: string }>(
      `SELECT county, department, state, count(*) AS n FROM tasks WHERE state = ANY($1::text[])
        GROUP BY county, department, state ORDER BY county, department, state`,
      [openTaskStates],
    );
    const overdue = await client.query<{ county: string; department: string; n: string }>(
      `SELECT county, department, count(*) AS n FROM tasks WHERE state = ANY($1::text[]) AND overdue
        GROUP BY county, department ORDER BY county, department`,
      [openTaskStates],
    );
    const levels = await client.query<{ county: string; level: number; n: string }>(
      `SELECT county, escalation_level AS level, count(*) AS n FROM tasks WHERE state = ANY($1::text[])
        GROUP BY county, escalation_level ORDER BY county, escalation_level`,
      [openTaskStates],
    );
    const pending = await client.query<{ n: string; oldest: Date | null }>(
      `SELECT count(*) AS n, min(created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'`,
    );
    const audit = await client.query<{ at: Date; ok: boolean }>('SELECT at, ok FROM audit_verifications ORDER BY at DESC LIMIT 1');
    return {
      openTasks: open.rows.map((r) => ({ county: r.county, department: r.department, state: r.state, count: Number(r.n) })),
      overdueTasks: overdue.rows.map((r) => ({ county: r.county, department: r.department, count: Number(r.n) })),
      escalationLevels: levels.rows.map((r) => ({ county: r.county, level: r.level, count: Number(r.n) })),
      webhookPending: { count: Number(pending.rows[0]?.n ?? 0), oldestAt: pending.rows[0]?.oldest ?? null },
      lastAuditVerification: audit.rows[0] ?? null,
    };
  });
}
