-- Rounds of a plan's random inspections (双随机, DOMAIN §7; issue 14 §3–§4): the seed fixed and
-- recorded before the registry snapshot is taken, the snapshot itself (tens of MB for a county of
-- 100,000 subjects: kept here, never in workflow history), the draw, the launch of each drawn
-- subject's (joint) inspection, and the recusal log.

-- The county's published yearly cap of inspections per enterprise (国办发〔2024〕54号). No row, or
-- a null cap: no cap (DOMAIN §7 names the rule, not a number; a county publishes its own).
CREATE TABLE inspection_settings (
  county      text PRIMARY KEY,
  yearly_cap  integer CHECK (yearly_cap IS NULL OR yearly_cap >= 1),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL
);

CREATE TABLE rounds (
  round_id         text PRIMARY KEY,          -- <planId>/round:<n> (by hand) or <planId>/round-<fire time> (Schedule)
  plan_id          text NOT NULL REFERENCES plans (plan_id),
  county           text NOT NULL,
  scheduled_on     date NOT NULL,             -- the round's date (China time): part of the published value
  published_value  text NOT NULL,
  seed             text NOT NULL,
  seeded_at        timestamptz NOT NULL DEFAULT now(),
  requested_by     text NOT NULL,
  -- Taken after the seed (a CHECK keeps the order: no snapshot without a seed recorded before it).
  snapshot         jsonb,                     -- domain/draw.ts RegistrySnapshot, canonical order
  draw_plan        jsonb,                     -- domain/draw.ts DrawPlan (recent inspections, counts, cap)
  snapshot_hash    text,
  snapshot_at      timestamptz,
  result           jsonb,                     -- domain/draw.ts DrawResult, recusals included
  drawn_at         timestamptz,
  visit_on         date,                      -- the visits' date (domain/round.ts visitDate); null: no item needs a visit
  launch_plan      jsonb,                     -- { initiator, checks: [{ department, items }] } of every drawn subject
  state            text NOT NULL DEFAULT 'seeded' CHECK (state IN ('seeded', 'snapshotted', 'drawn', 'launching', 'launched', 'closed')),
  launched_at      timestamptz,
  CHECK (snapshot_at IS NULL OR snapshot_at >= seeded_at),
  CHECK (result IS NULL OR snapshot IS NOT NULL)
);
CREATE INDEX rounds_plan ON rounds (plan_id, seeded_at);

-- One row per drawn subject once its inspection is decided: a new jointInspection (`started`,
-- its id allocated here once, so a retried batch starts the same workflow) or a check added to an
-- open one (`merged`, 进一次门、查多项事).
CREATE TABLE round_launches (
  round_id       text NOT NULL REFERENCES rounds (round_id),
  subject_id     text NOT NULL,
  inspection_id  text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('started', 'merged')),
  visit_on       date,
  delivered      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (round_id, subject_id)
);
CREATE INDEX round_launches_subject ON round_launches (subject_id, visit_on);
CREATE INDEX round_launches_inspection ON round_launches (inspection_id);

-- A subject's application for recusal (行政处罚法 art. 43) and the logged re-draw it led to.
CREATE TABLE round_recusals (
  round_id       text NOT NULL REFERENCES rounds (round_id),
  counter        integer NOT NULL CHECK (counter >= 1),
  inspection_id  text NOT NULL,
  subject_id     text NOT NULL,
  department     text NOT NULL,
  removed        text[] NOT NULL,
  added          text[] NOT NULL,
  reason         text NOT NULL,
  request_id     text NOT NULL,              -- the Update id: a retried application is the same one
  requested_by   text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  delivered      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (round_id, counter),
  UNIQUE (round_id, request_id)
);
