-- One list, two registries (一单两库, DOMAIN §7; issue 14 §1).

-- The county's list of integrated-supervision items (事项清单, 周政办发〔2024〕13号 annex 1). Every
-- PUT is a new version: a row per (county, item, version), never updated; the newest is in force.
CREATE TABLE inspection_items (
  county       text NOT NULL,
  item_id      text NOT NULL,
  version      integer NOT NULL CHECK (version >= 1),
  field        text NOT NULL,
  lead         text NOT NULL,
  cooperating  text[] NOT NULL DEFAULT '{}',
  what         text NOT NULL,
  basis        jsonb NOT NULL,                    -- [{ statute, article }]
  object_kind  text NOT NULL,
  category     text NOT NULL CHECK (category IN ('key', 'general')),
  method       text NOT NULL CHECK (method IN ('on-site', 'off-site', 'written')),
  level        text NOT NULL,
  published    boolean NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL,                     -- the key id
  PRIMARY KEY (county, item_id, version)
);

-- The object registry extends the subjects matters already name (0011): a subject a matter made
-- has no registry fields until it is registered (`registered_at`). Name and address are personal
-- data for a person or a sole trader: an erasure replaces them (db/subjects.ts).
ALTER TABLE subjects
  ADD COLUMN name          text,
  ADD COLUMN credit_code   text,
  ADD COLUMN township      text,
  ADD COLUMN trade         text,
  ADD COLUMN tags          text[] NOT NULL DEFAULT '{}',
  ADD COLUMN credit_grade  text CHECK (credit_grade IN ('A', 'B', 'C', 'D', 'E')),
  ADD COLUMN address       text,
  ADD COLUMN registered_at timestamptz,
  ADD COLUMN updated_at    timestamptz;
-- What plans select on (a county's registered subjects by trade, grade and tags).
CREATE INDEX subjects_registry ON subjects (county, trade, credit_grade) WHERE registered_at IS NOT NULL AND erased_at IS NULL;
CREATE INDEX subjects_tags ON subjects USING gin (tags) WHERE registered_at IS NOT NULL;

-- Every grade a subject has had: the grade, the one before it (null at registration), why, when.
CREATE TABLE subject_credit_history (
  subject_id  text NOT NULL REFERENCES subjects (subject_id),
  seq         integer NOT NULL CHECK (seq >= 1),
  grade       text NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'E')),
  from_grade  text CHECK (from_grade IN ('A', 'B', 'C', 'D', 'E')),
  reason      text NOT NULL,                      -- erased with the subject (free text)
  at          timestamptz NOT NULL DEFAULT now(),
  by_key      text NOT NULL,
  PRIMARY KEY (subject_id, seq)
);

-- A county's registry settings: whether it grades E (严重失信) besides A–D (some provinces do).
CREATE TABLE registry_settings (
  county      text PRIMARY KEY,
  grade_e     boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL
);

-- The inspector registry: certificate holders of a county's departments (执法证号, 国办发〔2024〕54号).
CREATE TABLE inspectors (
  inspector_id    text PRIMARY KEY,
  county          text NOT NULL,
  department      text NOT NULL,
  name            text NOT NULL,
  certificate_no  text NOT NULL UNIQUE,
  qualifications  text[] NOT NULL DEFAULT '{}',
  specialties     text[] NOT NULL DEFAULT '{}',
  active          boolean NOT NULL,
  conflicts       text[] NOT NULL DEFAULT '{}',  -- subject ids declared (recusal, 行政处罚法 art. 43)
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  updated_by      text NOT NULL
);
CREATE INDEX inspectors_county_department ON inspectors (county, department, inspector_id);
