-- Approval ↔ supervision (审管衔接, DOMAIN §6) read model: one row per approvalFollowUp workflow,
-- its view as last recorded. The subject's name and address are not here: they stay in the sealed
-- workflow input and the competent department's check task; the view has the subject's kind and
-- credit code, the licence type and number (public, published with the licence).
CREATE TABLE approvals (
  follow_up_id   text PRIMARY KEY,
  county         text NOT NULL,
  event          text NOT NULL,               -- licence-granted | licence-changed | licence-revoked | filing
  licence_type   text NOT NULL,
  state          text NOT NULL,               -- checking | closed | cancelled
  department     text NOT NULL,               -- the competent department that checks
  -- Every department with a check task of it (who may see it, with the approval bureau).
  departments    text[] NOT NULL DEFAULT '{}',
  -- The check found an issue touching the licence and the approval bureau was told (the reverse push).
  licence_issue  boolean NOT NULL DEFAULT false,
  -- When the platform received the event (the view's receivedAt), written once: the listing's order.
  created_at     timestamptz NOT NULL,
  last_seq       integer NOT NULL,
  view           jsonb NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approvals_county_created ON approvals (county, created_at DESC, follow_up_id DESC);
CREATE INDEX approvals_county_state ON approvals (county, state, created_at DESC, follow_up_id DESC);
CREATE INDEX approvals_departments ON approvals USING gin (departments);

-- The county's approval rules (licence type → competent department and first-check working days)
-- and its defaults, one row per version; the newest applies. Follow-ups keep what they started with.
CREATE TABLE approval_rules (
  county      text NOT NULL,
  version     integer NOT NULL,
  rules       jsonb NOT NULL,                   -- { licences: [...] } (domain/approval.ts approvalRulesSchema)
  settings    jsonb NOT NULL DEFAULT '{}',      -- the county's defaults (approvalSettingsSchema), what is left out keeps DOMAIN's
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,                    -- the admin's key id
  PRIMARY KEY (county, version)
);
