-- The evaluation report (考核, issue 15 §3, db/evaluation-reports.ts): what a county's figures for a
-- period read.

-- The timeline entries it counts within the period, of one type (overdue, the ladder's cards and
-- escalations, returns, extensions, disputes opened and decided); the county comes from the task
-- or the dispute each belongs to.
CREATE INDEX timeline_evaluation_events ON timeline_events (type, at)
  WHERE type IN ('overdue', 'ladder.yellow-card', 'ladder.red-card', 'ladder.escalation', 'returned', 'return.disputed',
                 'extension.requested', 'extension.approved', 'dispute.opened', 'dispute.decided');

-- A county's tasks still open, or closed since the period began: every task whose sign-for or
-- handling the period can count (a closed task is settled by its closing at the latest).
CREATE INDEX tasks_evaluation_period ON tasks (county, closed_at);
