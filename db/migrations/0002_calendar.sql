-- Published working-day calendars (放假 and 调休), versioned: a correction is a new version, the
-- old one stays for the audit trail. Years without a row fall back to the schedules shipped in
-- domain/calendar/data.ts, and years in neither are provisional (weekends only).
CREATE TABLE calendar_years (
  id            serial PRIMARY KEY,              -- global revision: workers reload when it grows
  year          integer NOT NULL CHECK (year BETWEEN 1990 AND 2200),
  version       integer NOT NULL,
  data          jsonb NOT NULL,                  -- { holidays: [{name, from, to}], adjustedWorkdays: [...] }
  source        text NOT NULL DEFAULT '',        -- e.g. the State Council notice
  published_at  timestamptz NOT NULL DEFAULT now(),
  published_by  text,                            -- API key id
  UNIQUE (year, version)
);
