-- Joint inspections' results, credit and refusals (issue 14 §4–§5; DOMAIN §7, §9). The
-- `inspections` rows themselves (0021) are written by each jointInspection workflow.

-- What each department's result did to the subject's credit record (one per inspection and
-- department: the credit activity's idempotency key). The grade itself and its history are the
-- registry's (subjects, subject_credit_history).
CREATE TABLE inspection_credit (
  inspection_id  text NOT NULL,
  department     text NOT NULL,
  subject_id     text NOT NULL,
  outcome        text NOT NULL,
  from_grade     text NOT NULL CHECK (from_grade IN ('A', 'B', 'C', 'D', 'E')),
  to_grade       text NOT NULL CHECK (to_grade IN ('A', 'B', 'C', 'D', 'E')),
  at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (inspection_id, department)
);

-- Duplicates prevented at the door: an ad-hoc inspection refused (409 recently_inspected) because
-- the subject was inspected (or is scheduled) for the same item within the window, or has reached
-- the county's yearly cap. Counted by the inspections report; no personal data (ids only).
CREATE TABLE inspection_refusals (
  refusal_id     bigserial PRIMARY KEY,
  county         text NOT NULL,
  department     text NOT NULL,
  subject_id     text NOT NULL,
  reason         text NOT NULL CHECK (reason IN ('recent', 'yearly-cap')),
  earlier_id     text,                            -- the earlier inspection
  item_id        text,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspection_refusals_county_at ON inspection_refusals (county, at);

-- Who inspected a subject for an item within a window: items of the subject's inspections.
CREATE INDEX inspections_items ON inspections USING gin (items);
CREATE INDEX inspections_county_ended ON inspections (county, ended_on);

-- The county's published yearly cap per enterprise (国办发〔2024〕54号) is `inspection_settings`
-- (0023), read by the ad-hoc route as by the rounds' draw.
