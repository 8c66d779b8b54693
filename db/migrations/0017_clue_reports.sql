-- The clue report (issue 13 §4, db/clue-reports.ts): what a county's figures for a period read.

-- Clues taken in during the period (received, repeats). A clue whose row its workflow wrote
-- before the API's intake (a run started around the API) had no received_at: it is its view's.
UPDATE clues SET received_at = (view->>'receivedAt')::timestamptz WHERE received_at IS NULL;
CREATE INDEX clues_county_received ON clues (county, received_at);

-- A county's clue tasks still open, or closed since the period began: every task whose sign-for,
-- handling or return the period can count (a closed task is settled by its closing at the latest).
CREATE INDEX tasks_clue_closed ON tasks (county, closed_at) WHERE task_id LIKE 'clue:%';

-- A county's clue events of one type within the period (dispatches, visit-backs): the county is
-- the id's second part (clue:<county>:<year>-<seq>).
CREATE INDEX timeline_clue_events ON timeline_events (split_part(workflow_id, ':', 2), type, at) WHERE workflow_id LIKE 'clue:%';
