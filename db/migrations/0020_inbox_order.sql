-- The inbox (GET /v1/tasks, db/tasks.ts listTasks) in its own order: deadline first (none last),
-- then the task id, the keyset a page's cursor continues from. A county's principals read their
-- county's tasks along the first index and stop after a page; a city's or province's supervisors,
-- whose division is a range of counties, read all tasks along the second, keeping their division's,
-- and stop after a page too: neither sorts every task in sight on each request.
CREATE INDEX tasks_inbox_county_order ON tasks (county, (coalesce(due_at, 'infinity'::timestamptz)), task_id);
CREATE INDEX tasks_inbox_order ON tasks ((coalesce(due_at, 'infinity'::timestamptz)), task_id);
