-- A reason's parts beside its sentence: the shared skills, the CV quote and the job quote,
-- so a frontend can highlight them ("Why this match?").
--
-- Each part is written from the stored evidence and profiles by its own function, and the
-- sentence (`jobmatch_sentence`) and the API's object (`jobmatch_match_parts`) from the
-- parts, so the two always agree; the page read (schema/queries/list_pages.py) writes the
-- parts once per item and builds both from them. `jobmatch_reason` keeps its arguments
-- and its sentences (migration 008): it is now the sentence of its parts. Every function
-- is LANGUAGE sql and STABLE, so PostgreSQL inlines it into the query that calls it (see
-- migration 008 for why not IMMUTABLE).
--
-- Stored lists and profiles stay: profiles made by older code are made again by the next
-- run (PROFILE_VERSION), and until then a reason whose profile changed says only what
-- the score says, as before.

-- Whether the evidence names a shared term and its check bytes still match the stored
-- profiles (layout of `evidence`: embeddings/evidence.py).
CREATE FUNCTION jobmatch_evidence_holds(evidence BIGINT, job_keys BYTEA, cv_keys BYTEA)
RETURNS BOOLEAN LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT evidence & 63 <> 63
    AND job_keys IS NOT NULL AND cv_keys IS NOT NULL
    AND 8 * (evidence & 63) < length(job_keys)
    AND 8 * ((evidence >> 24) & 16777215) < length(cv_keys)
    AND get_byte(job_keys, (8 * (evidence & 63))::int) = (evidence >> 48) & 255
    AND get_byte(cv_keys, (8 * ((evidence >> 24) & 16777215))::int) & 127
        = (evidence >> 56) & 127
$$;

-- The shared terms as the job writes them, most specific first; empty when the evidence
-- names none or no longer holds. This is the gate of the other parts: the quotes are
-- only said beside a non-empty list. Ranks fill the slots in order, so the first slot
-- holding 63 ends the list.
CREATE FUNCTION jobmatch_shared_skills(
    evidence BIGINT, job_keys BYTEA, shown TEXT[], cv_keys BYTEA
) RETURNS TEXT[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN NOT jobmatch_evidence_holds(evidence, job_keys, cv_keys) THEN '{}'::TEXT[]
    WHEN (evidence >> 6) & 63 = 63 THEN ARRAY[shown[(evidence & 63) + 1]]
    WHEN (evidence >> 12) & 63 = 63
        THEN ARRAY[shown[(evidence & 63) + 1], shown[((evidence >> 6) & 63) + 1]]
    WHEN (evidence >> 18) & 63 = 63
        THEN ARRAY[shown[(evidence & 63) + 1], shown[((evidence >> 6) & 63) + 1],
                   shown[((evidence >> 12) & 63) + 1]]
    ELSE ARRAY[shown[(evidence & 63) + 1], shown[((evidence >> 6) & 63) + 1],
               shown[((evidence >> 12) & 63) + 1], shown[((evidence >> 18) & 63) + 1]]
    END
$$;

-- The CV's line the evidence points at (the first shared term's, cut around it), or
-- NULL when nothing is shared. Checked by `jobmatch_shared_skills` only: the quotes are
-- only ever said beside its non-empty list (`jobmatch_sentence`, `jobmatch_match_parts`),
-- so the check is made once per reason.
CREATE FUNCTION jobmatch_cv_quote(
    evidence BIGINT, cv_quotes BYTEA, cv_starts INTEGER[], cv_ends INTEGER[]
) RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT CASE WHEN evidence & 63 <> 63
    THEN jobmatch_quote(cv_quotes, cv_starts, cv_ends, ((evidence >> 24) & 16777215)::int + 1)
    END
$$;

-- The job's line the evidence points at, or NULL (see `jobmatch_cv_quote`).
CREATE FUNCTION jobmatch_job_quote(
    evidence BIGINT, job_quotes BYTEA, job_starts INTEGER[], job_ends INTEGER[]
) RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT CASE WHEN evidence & 63 <> 63
    THEN jobmatch_quote(job_quotes, job_starts, job_ends, (evidence & 63)::int + 1)
    END
$$;

-- The API's `match_parts`: the quotes only beside shared skills.
CREATE FUNCTION jobmatch_match_parts(shared_skills TEXT[], cv_quote TEXT, job_quote TEXT)
RETURNS JSON LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT json_build_object(
    'shared_skills', shared_skills,
    'cv_quote', CASE WHEN cardinality(shared_skills) > 0 THEN cv_quote END,
    'job_quote', CASE WHEN cardinality(shared_skills) > 0 THEN job_quote END)
$$;

-- The sentence of a reason's parts, and the remote/location fit.
CREATE FUNCTION jobmatch_sentence(
    evidence BIGINT, fit TEXT, shared_skills TEXT[], cv_quote TEXT, job_quote TEXT
) RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN evidence & 63 = 63
        THEN 'Similar in meaning to your CV overall, with no exact terms in common'
    WHEN cardinality(shared_skills) = 0  -- a profile was made again since the run
        THEN 'Similar in meaning to your CV overall'
    ELSE 'You share ' || array_to_string(shared_skills, ', ')
        || ' · your CV: “' || cv_quote || '” ↔ the job: “' || job_quote || '”'
    END || coalesce(' · ' || upper(left(fit, 1)) || substr(fit, 2), '')
$$;

-- The sentence for one pick, as before, now written from its parts.
CREATE OR REPLACE FUNCTION jobmatch_reason(
    evidence BIGINT, fit TEXT,
    job_keys BYTEA, shown TEXT[], job_quotes BYTEA, job_starts INTEGER[], job_ends INTEGER[],
    cv_keys BYTEA, cv_quotes BYTEA, cv_starts INTEGER[], cv_ends INTEGER[]
) RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT jobmatch_sentence(
    evidence, fit,
    jobmatch_shared_skills(evidence, job_keys, shown, cv_keys),
    jobmatch_cv_quote(evidence, cv_quotes, cv_starts, cv_ends),
    jobmatch_job_quote(evidence, job_quotes, job_starts, job_ends))
$$;
