import { toShanghaiIso } from '../domain/calendar/index.js';
import type { AccountabilityFlag } from '../domain/records.js';
import type { Queryable } from './pool.js';
import { divisionCondition, Where } from './sql.js';

export type { AccountabilityFlag } from '../domain/records.js';

/**
 * 推诿扯皮 flags for the county's evaluation (考核): a department that returned work, or asked for
 * more time, twice or more on the same matter, and every red card. Each flag carries the timeline
 * entries it rests on. A return a jurisdiction dispute settled is told apart: designated back to
 * the department that returned it (`return-designated-back`, the real 推诿 signal) or upheld, the
 * task going to another department (`return-upheld`, not a fault); each rests on the decision.
 */
export async function accountabilityFlags(db: Queryable, f: { countyPrefix: string; from: string; to: string }): Promise<AccountabilityFlag[]> {
  const w = new Where();
  const taskIn = divisionCondition(w, 't.county', f.countyPrefix);
  const disputeIn = divisionCondition(w, 'd.county', f.countyPrefix);
  const from = w.param(f.from);
  const to = w.param(f.to);
  const res = await db.query(
    `WITH ev AS (
       SELECT e.workflow_id, e.seq, e.at, e.type, e.summary, t.department, t.county,
              coalesce(t.matter_id, e.workflow_id) AS matter_key, t.matter_id
         FROM timeline_events e
         JOIN tasks t ON t.task_id = e.workflow_id
        WHERE ${taskIn} AND e.at >= ${from}::timestamptz AND e.at < ${to}::timestamptz
          AND e.type IN ('returned', 'return.disputed', 'extension.requested', 'ladder.red-card')
     ),
     grouped AS (
       SELECT department, county, matter_key, matter_id,
              -- A return that ends the task and one the department keeps working through (DOMAIN §5) are both returns.
              CASE WHEN type IN ('returned', 'return.disputed') THEN 'repeated-returns' WHEN type = 'extension.requested' THEN 'repeated-extensions' ELSE 'red-card' END AS kind,
              count(*)::int AS n,
              json_agg(json_build_object('workflowId', workflow_id, 'seq', seq, 'at', at, 'type', type, 'summary', summary) ORDER BY at) AS evidence
         FROM ev
        GROUP BY 1, 2, 3, 4, 5
     ),
     settled AS (
       SELECT d.view->>'returnedBy' AS department, d.county, coalesce(d.matter_id, d.dispute_id) AS matter_key, d.matter_id,
              CASE WHEN e.data->>'department' = d.view->>'returnedBy' THEN 'return-designated-back' ELSE 'return-upheld' END AS kind,
              count(*)::int AS n,
              json_agg(json_build_object('workflowId', e.workflow_id, 'seq', e.seq, 'at', e.at, 'type', e.type, 'summary', e.summary) ORDER BY e.at) AS evidence
         FROM timeline_events e
         JOIN disputes d ON d.dispute_id = e.workflow_id
        WHERE e.type = 'dispute.decided' AND ${disputeIn} AND e.at >= ${from}::timestamptz AND e.at < ${to}::timestamptz
        GROUP BY 1, 2, 3, 4, 5
     )
     SELECT * FROM (
       SELECT * FROM grouped WHERE kind = 'red-card' OR n >= 2
       UNION ALL SELECT * FROM settled
     ) flags
      ORDER BY county, department, kind, matter_key`,
    w.args,
  );
  return res.rows.map((r) => ({
    department: r.department,
    county: r.county,
    matterId: r.matter_id,
    kind: r.kind,
    count: r.n,
    evidence: (r.evidence as { workflowId: string; seq: number; at: string; type: string; summary: string }[]).map((e) => ({
      ...e,
      at: toShanghaiIso(Date.parse(e.at)),
    })),
  }));
}
