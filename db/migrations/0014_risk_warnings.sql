-- Risk warnings (风险预警, DOMAIN §6) read model: one row per riskWarning workflow, its view as
-- last recorded. The subject's name and address are not here: they stay in the sealed workflow
-- input and the departments' tasks; the view has the subject's kind and credit code only.
CREATE TABLE risk_warnings (
  warning_id          text PRIMARY KEY,
  county              text NOT NULL,
  level               text NOT NULL,               -- red | orange | yellow | blue
  state               text NOT NULL,               -- verifying | reviewing | disposing | awaiting-feedback | closed | cancelled
  trade               text,
  township            text,
  -- Every department it was pushed to or disposed of by, and the issuing department (who may see it).
  departments         text[] NOT NULL DEFAULT '{}',
  issuing_department  text,
  -- It carried a special-campaign suggestion (专项整治): the rule does not raise another within its window.
  campaign_suggested  boolean NOT NULL DEFAULT false,
  -- When it was pushed (the view's issuedAt), written once: the listing's order and the campaign rule's window.
  created_at          timestamptz NOT NULL,
  last_seq            integer NOT NULL,
  view                jsonb NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
-- The listing: a county's (or a city's counties') warnings newest first, by level and state.
CREATE INDEX risk_warnings_county_created ON risk_warnings (county, created_at DESC, warning_id DESC);
CREATE INDEX risk_warnings_county_level_state ON risk_warnings (county, level, state, created_at DESC, warning_id DESC);
-- The campaign rule: recent warnings of one trade in one township.
CREATE INDEX risk_warnings_campaign ON risk_warnings (county, trade, township, created_at DESC)
  WHERE trade IS NOT NULL AND township IS NOT NULL;
