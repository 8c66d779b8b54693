-- Matters (综合监管一件事) read model, county scenario overrides, and published results (一公开).

CREATE TABLE matters (
  matter_id        text PRIMARY KEY,
  county           text NOT NULL,
  scenario         text NOT NULL,
  stage            text NOT NULL,
  status           text NOT NULL,             -- open | closed | cancelled
  lead_department  text NOT NULL,
  created_at       timestamptz NOT NULL,
  closed_at        timestamptz,
  last_seq         integer NOT NULL,
  view             jsonb NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX matters_list ON matters (county, created_at DESC, matter_id DESC);

-- A county's changes to a scenario's catalogue entry; the newest version is in force.
CREATE TABLE scenario_overrides (
  county      text NOT NULL,
  scenario    text NOT NULL,
  version     integer NOT NULL,
  override    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text,
  PRIMARY KEY (county, scenario, version)
);

-- What the public may read without a key: no personal data (see workflows/matter-kit.ts).
CREATE TABLE public_results (
  result_id      text PRIMARY KEY,
  matter_id      text NOT NULL UNIQUE,
  county         text NOT NULL,
  scenario       text NOT NULL,
  subject_label  text NOT NULL,
  result_code    text NOT NULL,
  summary        text NOT NULL,
  inspected_by   text[] NOT NULL,
  published_at   timestamptz NOT NULL
);
CREATE INDEX public_results_list ON public_results (county, scenario, published_at DESC);
