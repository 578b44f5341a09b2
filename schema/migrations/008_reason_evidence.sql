-- Reasons are stored as evidence and written out when a list is read.
--
-- Writing ~500,000 sentences a night in Python cost more than scoring every user against
-- every job (about 4 µs each, plus their ~50 MB through COPY). The nightly run now
-- stores, per pick, one int64 of evidence (embeddings/evidence.py: which of the job's
-- ranked terms the CV shares, which CV term holds the first, and a check byte of each),
-- and `jobmatch_reason` below writes the sentence from the stored profiles when one
-- page of 50 is read.
--
-- Profiles become typed columns that PostgreSQL can read: term keys for the nightly
-- match, and each term's display form and quoted line for the sentence. Profiles made
-- by the old code are deleted here; the next embed step or run makes them again. The
-- stored lists go too (their reasons were text): the next run writes them again, and
-- until then the API says the list is pending, as for a new user.

DELETE FROM job_text_profiles;
DELETE FROM cv_text_profiles;
-- A quote is cut out of `quote_text` by byte offsets: the n-th element of a text array
-- costs PostgreSQL a walk over the n before it, and a CV holds hundreds of quotes.
ALTER TABLE job_text_profiles
    DROP COLUMN profile,
    ADD COLUMN term_keys    BYTEA NOT NULL,      -- int64 little-endian per term, ranked
    ADD COLUMN shown        TEXT[] NOT NULL,     -- per term: as written in the posting
    ADD COLUMN quote_text   BYTEA NOT NULL,      -- the distinct quoted lines, UTF-8
    ADD COLUMN quote_starts INTEGER[] NOT NULL,  -- per term: its quote's first byte (0-based)
    ADD COLUMN quote_ends   INTEGER[] NOT NULL;  -- per term: the byte after its quote
ALTER TABLE cv_text_profiles
    DROP COLUMN profile,
    ADD COLUMN term_keys    BYTEA NOT NULL,
    ADD COLUMN quote_text   BYTEA NOT NULL,
    ADD COLUMN quote_starts INTEGER[] NOT NULL,
    ADD COLUMN quote_ends   INTEGER[] NOT NULL;
-- A read writes 50 reasons from 50 job profiles, several array elements each: a job's
-- profile (at most 40 terms, ~2.5 kB) stays in its row uncompressed, so reading an
-- element costs no decompression or TOAST fetch. A CV's (hundreds of terms) may be
-- moved out of line: the page read takes it once (recommendation_reads.py). The nightly
-- run reads every CV's keys: stored without compression, there is none to undo.
ALTER TABLE job_text_profiles SET (toast_tuple_target = 8160);
ALTER TABLE cv_text_profiles ALTER COLUMN term_keys SET STORAGE EXTERNAL;

DROP VIEW job_recommendations;
DELETE FROM recommendation_lists;
ALTER TABLE recommendation_lists
    DROP CONSTRAINT recommendation_lists_check,
    DROP COLUMN reasons,
    ADD COLUMN cv_id    BIGINT NOT NULL,          -- the CV the list was made for
    ADD COLUMN evidence BIGINT[] NOT NULL,
    ADD COLUMN fits     TEXT[] NOT NULL,          -- per pick: remote/location fit, or NULL
    ADD CHECK (cardinality(job_ids) = cardinality(scores)
               AND cardinality(job_ids) = cardinality(evidence)
               AND cardinality(job_ids) = cardinality(fits));

-- Term `n`'s quote (1-based), cut out of a profile's quotes by its byte offsets.
CREATE FUNCTION jobmatch_quote(quotes BYTEA, starts INTEGER[], ends INTEGER[], n INTEGER)
RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT convert_from(substring(quotes FROM starts[n] + 1 FOR ends[n] - starts[n]), 'UTF8')
$$;

-- The sentence for one pick (layout of `evidence`: embeddings/evidence.py). A check byte
-- that no longer matches means a profile was made again since the run (its text or the
-- profiling code changed): the reason then says only what the score says. STABLE, not
-- IMMUTABLE, because concat_ws is: an IMMUTABLE function calling it is never inlined,
-- and calling it un-inlined costs 2–3 times as much per reason (4–6 vs 14 µs here).
CREATE FUNCTION jobmatch_reason(
    evidence BIGINT, fit TEXT,
    job_keys BYTEA, shown TEXT[], job_quotes BYTEA, job_starts INTEGER[], job_ends INTEGER[],
    cv_keys BYTEA, cv_quotes BYTEA, cv_starts INTEGER[], cv_ends INTEGER[]
) RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN evidence & 63 = 63
        THEN 'Similar in meaning to your CV overall, with no exact terms in common'
    WHEN job_keys IS NULL OR cv_keys IS NULL
        OR 8 * (evidence & 63) >= length(job_keys)
        OR 8 * ((evidence >> 24) & 16777215) >= length(cv_keys)
        OR get_byte(job_keys, (8 * (evidence & 63))::int) <> (evidence >> 48) & 255
        OR get_byte(cv_keys, (8 * ((evidence >> 24) & 16777215))::int) & 127
            <> (evidence >> 56) & 127
        THEN 'Similar in meaning to your CV overall'
    ELSE 'You share ' || concat_ws(', ',  -- a missing rank (63) is NULL: skipped
            shown[(evidence & 63) + 1], shown[((evidence >> 6) & 63) + 1],
            shown[((evidence >> 12) & 63) + 1], shown[((evidence >> 18) & 63) + 1])
        || ' · your CV: “' || jobmatch_quote(cv_quotes, cv_starts, cv_ends,
                                              ((evidence >> 24) & 16777215)::int + 1)
        || '” ↔ the job: “' || jobmatch_quote(job_quotes, job_starts, job_ends,
                                               (evidence & 63)::int + 1) || '”'
    END || coalesce(' · ' || upper(left(fit, 1)) || substr(fit, 2), '')
$$;

-- One row per recommendation, as before, with its reason written out.
CREATE VIEW job_recommendations AS
SELECT l.user_id, e.job_id, l.model_id,
       (row_number() OVER (PARTITION BY l.user_id ORDER BY e.position))::SMALLINT AS rank,
       e.score,
       jobmatch_reason(e.evidence, e.fit,
                       jp.term_keys, jp.shown, jp.quote_text, jp.quote_starts, jp.quote_ends,
                       cp.term_keys, cp.quote_text, cp.quote_starts, cp.quote_ends) AS reason,
       l.generated_at, l.expires_at
FROM recommendation_lists l
CROSS JOIN LATERAL unnest(l.job_ids, l.scores, l.evidence, l.fits)
    WITH ORDINALITY AS e (job_id, score, evidence, fit, position)
JOIN jobs j ON j.id = e.job_id
LEFT JOIN job_text_profiles jp ON jp.job_id = e.job_id
LEFT JOIN cv_text_profiles cp ON cp.cv_id = l.cv_id;
