-- Criminal transfers (行刑衔接, 国务院令第310号) read model: one row per transfer, for its page and
-- the matter's; the steps themselves are department tasks (tasks table).
CREATE TABLE transfers (
  transfer_id  text PRIMARY KEY,
  matter_id    text NOT NULL,
  county       text NOT NULL,
  agency       text NOT NULL,
  police       text NOT NULL,
  state        text NOT NULL,               -- running | refused | filed | not-filed | cancelled
  step         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seq     integer NOT NULL,
  view         jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfers_matter ON transfers (matter_id);
