-- 一公开 with versions (DOMAIN §9): a matter publishes its inspection result and each penalty
-- decision; a published result is updated when the matter's final outcome replaces an interim one,
-- corrected or withdrawn by a supervisor. The public list shows the current version of results not
-- withdrawn; every version stays on the record.
ALTER TABLE public_results DROP CONSTRAINT IF EXISTS public_results_matter_id_key;
ALTER TABLE public_results
  ADD COLUMN kind text NOT NULL DEFAULT 'inspection',      -- inspection | penalty
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN published_by text NOT NULL DEFAULT 'lead',    -- lead | system
  ADD COLUMN updated_at timestamptz,
  ADD COLUMN withdrawn_at timestamptz;
CREATE INDEX public_results_matter ON public_results (matter_id);

CREATE TABLE public_result_versions (
  result_id      text NOT NULL,
  version        integer NOT NULL,
  change         text NOT NULL,               -- published | updated | corrected | withdrawn
  result_code    text NOT NULL,
  summary        text NOT NULL,
  subject_label  text NOT NULL,
  by_whom        text NOT NULL,               -- lead | system | supervisor
  actor_key_id   text,
  reason         text,
  at             timestamptz NOT NULL,
  PRIMARY KEY (result_id, version)
);
INSERT INTO public_result_versions (result_id, version, change, result_code, summary, subject_label, by_whom, at)
  SELECT result_id, 1, 'published', result_code, summary, subject_label, 'lead', published_at FROM public_results;
