-- People, not only departments (issue: records and safety, §3): a principal is a person (name,
-- optional 执法证号) or a system (the 12345 platform, a risk model); API keys belong to one. A
-- principal may hold several keys (one per device, or old and new during a rotation), each with
-- its own scope (county, department, roles). Recorded actions name the principal.
CREATE TABLE principals (
  principal_id    text PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('person', 'system')),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  certificate_no  text CHECK (certificate_no IS NULL OR length(certificate_no) BETWEEN 1 AND 40),
  created_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE api_keys ADD COLUMN principal_id text REFERENCES principals (principal_id);
ALTER TABLE api_keys ADD COLUMN rotated_from text REFERENCES api_keys (key_id);
CREATE INDEX api_keys_principal ON api_keys (principal_id);

-- Keys made before principals existed: each becomes the key of a principal named by its label
-- (or its id), of kind 'person' unless nobody can tell; an admin renames it with `npm run keys`.
INSERT INTO principals (principal_id, kind, name)
  SELECT 'p-' || key_id, 'person', left(coalesce(nullif(label, ''), 'key ' || key_id), 100) FROM api_keys;
UPDATE api_keys SET principal_id = 'p-' || key_id WHERE principal_id IS NULL;
ALTER TABLE api_keys ALTER COLUMN principal_id SET NOT NULL;

-- The timeline names who acted (the audit entry carries it in its hashed details).
ALTER TABLE timeline_events ADD COLUMN actor_principal_id text;
ALTER TABLE timeline_events ADD COLUMN actor_name text;
