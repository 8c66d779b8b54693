-- Foundation: principals and API keys, id counters, idempotency keys, the task read model,
-- the timeline, the append-only audit log and the notification outbox.

CREATE TABLE api_keys (
  key_id      text PRIMARY KEY,
  key_hash    text NOT NULL,                 -- sha256 of the whole key; the key itself is never stored
  county      text NOT NULL CHECK (county ~ '^[0-9]{6}$'),
  department  text,
  roles       text[] NOT NULL CHECK (cardinality(roles) > 0),
  label       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- Readable sequence numbers for workflow ids (matter:610124:refined-oil:2026-0001).
CREATE TABLE id_counters (
  scope  text PRIMARY KEY,
  value  integer NOT NULL
);

-- Idempotency-Key → the resource the first request created.
CREATE TABLE idempotency_keys (
  scope         text NOT NULL,               -- e.g. 'task:610124' (the caller's county and resource)
  key           text NOT NULL,
  request_hash  text NOT NULL,
  resource_id   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);

-- Read model of department tasks: written only by activities, keyed by the workflow id; a write
-- carries the event sequence so a late retry never overwrites a newer state.
CREATE TABLE tasks (
  task_id          text PRIMARY KEY,
  matter_id        text,
  county           text NOT NULL,
  department       text NOT NULL,
  lead_department  text,
  scenario         text,
  title            text NOT NULL,
  state            text NOT NULL,
  due_at           timestamptz,
  due_provisional  boolean NOT NULL DEFAULT false,
  overdue          boolean NOT NULL DEFAULT false,
  escalation_level integer NOT NULL DEFAULT 0,
  assigned_at      timestamptz NOT NULL,
  closed_at        timestamptz,
  last_seq         integer NOT NULL,
  view             jsonb NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_inbox ON tasks (county, department, state, due_at);
CREATE INDEX tasks_matter ON tasks (matter_id);

-- What happened to a workflow, in order. (workflow_id, seq) is the stable event id.
CREATE TABLE timeline_events (
  workflow_id       text NOT NULL,
  seq               integer NOT NULL,
  at                timestamptz NOT NULL,
  type              text NOT NULL,
  summary           text NOT NULL,
  actor_key_id      text,
  actor_department  text,
  data              jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (workflow_id, seq)
);

-- Append-only, hash-chained audit log: who did what, when. Each row's hash covers the previous
-- row's hash, so a removed or edited row breaks the chain; triggers refuse UPDATE and DELETE.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  event_id      text NOT NULL UNIQUE,
  at            timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  county        text NOT NULL,
  actor_key_id  text,
  actor_department text,
  action        text NOT NULL,
  object_id     text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}',
  prev_hash     text NOT NULL,
  hash          text NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Notification outbox: one row per recipient. The id is derived from the event, so a retried
-- activity never notifies twice.
CREATE TABLE notifications (
  id            text PRIMARY KEY,
  created_at    timestamptz NOT NULL,
  county        text NOT NULL,                -- recipient division (a county, or a city for escalations)
  department    text,                         -- recipient department, or null for a role
  role          text,                         -- recipient role, or null for a department
  kind          text NOT NULL,
  title         text NOT NULL,
  body          text NOT NULL,
  object_id     text NOT NULL,
  read_at       timestamptz,
  CHECK (department IS NOT NULL OR role IS NOT NULL)
);
CREATE INDEX notifications_department ON notifications (county, department, created_at DESC);
CREATE INDEX notifications_role ON notifications (county, role, created_at DESC);
