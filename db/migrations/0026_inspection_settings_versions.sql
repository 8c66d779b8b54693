-- The county's published yearly cap per enterprise (国办发〔2024〕54号; issue 14 §4) is set through
-- `PUT /v1/counties/{county}/inspection-settings` and kept as the county's other configurations are
-- (db/county-versions.ts: approval rules, dispatch catalogue): one row per version, the newest in
-- force, never rewritten, so the cap in force on any day can be shown. A row written before this
-- migration becomes version 1. `settings` holds `basis`, the county's published document (文号).
-- A null cap is a published "no cap".
ALTER TABLE inspection_settings ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE inspection_settings ALTER COLUMN version DROP DEFAULT;
ALTER TABLE inspection_settings ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
ALTER TABLE inspection_settings RENAME COLUMN updated_at TO created_at;
ALTER TABLE inspection_settings RENAME COLUMN updated_by TO created_by;
ALTER TABLE inspection_settings DROP CONSTRAINT inspection_settings_pkey;
ALTER TABLE inspection_settings ADD PRIMARY KEY (county, version);
