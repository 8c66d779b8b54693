-- Jurisdiction disputes (管辖争议) read model, for the parties' and arbiters' lists.
CREATE TABLE disputes (
  dispute_id        text PRIMARY KEY,
  county            text NOT NULL,
  other_county      text,
  matter_id         text,
  state             text NOT NULL,               -- open | decided
  rung              text NOT NULL,
  level             integer NOT NULL,
  parties           text[] NOT NULL,
  arbiter_county    text,
  arbiter_department text,
  due_at            timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  last_seq          integer NOT NULL,
  view              jsonb NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disputes_county ON disputes (county, state, created_at DESC);
