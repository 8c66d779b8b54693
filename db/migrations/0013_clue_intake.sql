-- Clue intake (issue 13 §1): the API writes a clue's row when it accepts it, before its workflow
-- starts, so a repeat (并单) is found even before the workflow's first record lands.
ALTER TABLE clues
  ADD COLUMN merge_key    text,                 -- county|category|uscc:… or addr:… (no name, no phone)
  ADD COLUMN merged_into  text,                 -- a repeat: the open clue it joined (no workflow of its own)
  ADD COLUMN received_at  timestamptz,
  ADD COLUMN departments  text[] NOT NULL DEFAULT '{}';  -- every department it was dispatched to or co-handled by
CREATE INDEX clues_repeats ON clues (merge_key, received_at DESC) WHERE merged_into IS NULL;
CREATE INDEX clues_merged ON clues (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX clues_departments ON clues USING gin (departments);

-- The complainant's name and phone, sealed (AES-256-GCM under a PAYLOAD_KEYS key, named by key_id),
-- apart from the view: the workflow never carries them. Erasing a clue's contact deletes its row.
CREATE TABLE clue_contacts (
  clue_id     text PRIMARY KEY,
  key_id      text NOT NULL,
  sealed      text NOT NULL,                    -- base64url of iv | tag | ciphertext
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The county's dispatch catalogue (派单目录) and clue clocks, one row per version; the newest applies.
CREATE TABLE dispatch_catalogues (
  county      text NOT NULL,
  version     integer NOT NULL,
  catalogue   jsonb NOT NULL,                   -- { rules: [...] }
  settings    jsonb NOT NULL DEFAULT '{}',      -- the county's clue clocks (domain/clue.ts clueSettingsSchema)
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,                    -- the admin's key id
  PRIMARY KEY (county, version)
);
