-- Erasure of a subject's personal data (PIPL art. 47; issue: records and safety, §4). The audit
-- log is append-only and hash-chained, so its free text (summaries, reasons, comments) is kept
-- outside the chain: each entry's hashed details hold a salted digest in the text's place, and the
-- text with its salt lives here. Erasing sets both to NULL: the chain still verifies, and the
-- digest left behind reveals nothing without its salt. A text that is present must match its
-- digest (the verification checks it); an erased one must name the recorded erasure.
CREATE TABLE audit_texts (
  event_id   text NOT NULL,
  field      text NOT NULL,
  text       text,
  salt       bytea,
  digest     text NOT NULL,
  erased_at  timestamptz,
  erased_by  text,                                -- the event id of the `subject.erased` entry
  PRIMARY KEY (event_id, field),
  CHECK ((text IS NULL) = (salt IS NULL)),
  CHECK ((text IS NULL) = (erased_at IS NOT NULL AND erased_by IS NOT NULL))
);

-- Who a matter is about, once per county: an enterprise by its credit code, anyone else by kind,
-- name and address as written. Ids are random (no personal data in an id); `match_key` finds the
-- subject again when another matter names it, and is erased with it.
CREATE TABLE subjects (
  subject_id  text PRIMARY KEY,
  county      text NOT NULL,
  kind        text NOT NULL,
  match_key   text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  erased_at   timestamptz,
  erasure     jsonb                               -- what the erasure did, answered again to a retry
);
CREATE INDEX subjects_county ON subjects (county);

ALTER TABLE matters ADD COLUMN subject_id text REFERENCES subjects (subject_id);
CREATE INDEX matters_subject ON matters (subject_id);

-- The only change a text may undergo is its erasure: text and salt to NULL, nothing else touched.
CREATE FUNCTION audit_texts_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.text IS NULL OR NEW.text IS NOT NULL OR NEW.salt IS NOT NULL
     OR NEW.event_id <> OLD.event_id OR NEW.field <> OLD.field OR NEW.digest <> OLD.digest THEN
    RAISE EXCEPTION 'audit_texts: a text can only be erased' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_texts_erase_only BEFORE UPDATE ON audit_texts FOR EACH ROW EXECUTE FUNCTION audit_texts_erase_only();
