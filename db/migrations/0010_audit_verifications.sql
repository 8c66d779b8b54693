-- The daily verification of the audit trail (issue: records and safety, §2): one row per run of
-- the auditVerification workflow (a Temporal Schedule starts it every day), with each county
-- chain's result and head: a later recomputation of a chain would not match the heads recorded
-- and sent to the city that day.
CREATE TABLE audit_verifications (
  workflow_id  text PRIMARY KEY,
  at           timestamptz NOT NULL,
  ok           boolean NOT NULL,
  checked      integer NOT NULL,
  chains       jsonb NOT NULL
);
CREATE INDEX audit_verifications_at ON audit_verifications (at DESC);
