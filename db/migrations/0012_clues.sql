-- Clues (问题线索, DOMAIN §6) read model: one row per clue workflow, its view as last recorded.
-- The complainant's name and phone are not here: they never enter the workflow or its view.
CREATE TABLE clues (
  clue_id      text PRIMARY KEY,
  county       text NOT NULL,
  category     text NOT NULL,
  state        text NOT NULL,               -- dispatching | handling | replied | deciding | closed | cancelled
  department   text,                        -- the lead handling it now
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seq     integer NOT NULL,
  view         jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clues_county_state ON clues (county, state, created_at DESC);
