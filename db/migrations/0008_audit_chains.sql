-- One hash chain per county, each with its own lock (issue: records and safety): before, one
-- global advisory lock serialised every event write and a county's trail could not be verified
-- without every other county's. Rows written before this migration keep `chain` NULL: the one
-- chain they form is verified as it was written (append-only rows cannot be back-filled).
ALTER TABLE audit_log ADD COLUMN chain text;
CREATE INDEX audit_log_chain ON audit_log (chain, id);
CREATE INDEX audit_log_county_at ON audit_log (county, at, id);
