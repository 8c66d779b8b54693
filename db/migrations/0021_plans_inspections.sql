-- Annual plans and (joint) inspections (双随机、一公开, 进一次门、查多项事; DOMAIN §7, issue 14 §2–§5).
-- The shared core: the plan API and the planning season read `plans`; rounds, the ad-hoc route and
-- the draw's duplicate prevention read `inspections`, which each jointInspection workflow writes.
-- Later migrations add what each part needs beside this.

-- An annual plan (annex 2 of 周政办发〔2024〕13号). Never updated in place: a correction is a new plan.
CREATE TABLE plans (
  plan_id      text PRIMARY KEY,                 -- plan:<county>:<year>-<seq>
  county       text NOT NULL,
  year         integer NOT NULL,
  name         text NOT NULL,
  lead         text NOT NULL,
  cooperating  text[] NOT NULL DEFAULT '{}',
  items        text[] NOT NULL,                  -- item ids of the county's list
  target       jsonb NOT NULL DEFAULT '{}',      -- { tags?, trades?, kinds? }
  ratios       jsonb NOT NULL,                   -- effective { A, B, C, D, E? }
  frequency    text NOT NULL CHECK (frequency IN ('once', 'half-yearly', 'quarterly', 'monthly')),
  window_from  date NOT NULL,
  window_to    date NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL                     -- the key id
);
-- Who has planned what this year (the planning season), and a county's plans listed.
CREATE INDEX plans_county_year ON plans (county, year, lead);
CREATE INDEX plans_items ON plans USING gin (items);

-- An inspection of one subject: one visit (or none), one team, one checklist per department. One
-- row per jointInspection workflow, its view as last recorded.
CREATE TABLE inspections (
  inspection_id  text PRIMARY KEY,               -- inspection:<county>:<year>-<seq>
  county         text NOT NULL,
  subject_id     text NOT NULL,
  initiator      text NOT NULL,
  departments    text[] NOT NULL,
  items          text[] NOT NULL,                -- every item any department checks
  inspector_ids  text[] NOT NULL DEFAULT '{}',
  checks         jsonb NOT NULL,                 -- [{ department, items, inspectors, planId?, roundId? }]
  visit_on       date,                           -- null: written / off-site only
  state          text NOT NULL CHECK (state IN ('scheduled', 'inspecting', 'publishing', 'published', 'cancelled')),
  ended_on       date,                           -- the day the inspection ended (the publication clock's start)
  created_at     timestamptz NOT NULL,
  last_seq       integer NOT NULL,
  view           jsonb NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Duplicate prevention and merging: a subject's inspections by date.
CREATE INDEX inspections_subject ON inspections (subject_id, visit_on);
CREATE INDEX inspections_county_created ON inspections (county, created_at DESC, inspection_id DESC);
CREATE INDEX inspections_departments ON inspections USING gin (departments);
