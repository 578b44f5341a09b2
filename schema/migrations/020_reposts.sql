-- Reposts (embeddings/reposts.py, `jobmatch reposts`): a near-duplicate posting of one
-- company (the same role posted again, an agency's copy) points at its canonical job.
-- Lists, search and the nightly candidates show canonical jobs only; the canonical job
-- lists the others' sources and links (`also_at`). Unlike `job_sources` (exact
-- duplicates, never stored twice), a repost stays a row of its own: the rule runs again
-- after every embedding and may undo a merge, and saved jobs, applications and feedback
-- keep pointing at the posting the user saw.

-- The company half of the dedupe key (migration 002), runs of spaces made one:
-- `embeddings.reposts.company_key` computes the same in Python.
CREATE FUNCTION jobmatch_company_key(company TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN btrim(regexp_replace(regexp_replace(
        jobmatch_normalise(company),
        '\m(inc|llc|ltd|limited|gmbh|ag|corp|corporation|co|plc|sa|bv|srl|se)\M', '', 'g'),
        ' +', ' ', 'g'));

-- A canonical job that goes (cleanup) frees its reposts; the next run groups them anew.
ALTER TABLE jobs ADD COLUMN duplicate_of BIGINT REFERENCES jobs (id) ON DELETE SET NULL;

-- Few jobs are reposts: the partial index finds a canonical job's others by key.
CREATE INDEX jobs_duplicate_of_idx ON jobs (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- The other postings of a job, as lists show them: its exact duplicates from other
-- sources (`job_sources`) and its reposts, oldest first, `[{source, url}, ...]`.
CREATE FUNCTION jobmatch_also_at(p_job_id BIGINT) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce((
        SELECT json_agg(json_build_object('source', o.source, 'url', o.url)
                        ORDER BY o.seen, o.source, o.url)
        FROM (SELECT s.source, s.url, s.first_seen AS seen FROM job_sources s
              WHERE s.job_id = p_job_id
              UNION ALL
              SELECT d.source, d.url, d.posted_at FROM jobs d
              WHERE d.duplicate_of = p_job_id) AS o), '[]'::json);
