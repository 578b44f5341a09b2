-- Closed postings (`jobmatch check-closed`, workers/posting_check.py): each check of a
-- posting's URL is kept (when, outcome, HTTP status, where it ended), and a job found
-- closed gets `closed_at`. Closed jobs leave every stored list at the read (no rewrite of
-- the lists' arrays), searches and listings, and are never candidates again; a job with
-- an application is kept, marked closed, like any job with one.

ALTER TABLE jobs ADD COLUMN closed_at TIMESTAMPTZ;

CREATE TABLE job_checks (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    checked_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- unknown: a timeout, 5xx, 429, a cut body, a redirect loop, a refused connection;
    -- never taken as closed.
    outcome      TEXT NOT NULL CHECK (outcome IN ('open', 'closed', 'unknown')),
    http_status  SMALLINT,
    final_url    TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
-- The last check of a job (what the next run skips) and the counts by outcome.
CREATE INDEX job_checks_job_idx ON job_checks (job_id, checked_at DESC);
CREATE INDEX job_checks_checked_at_idx ON job_checks (checked_at);

-- One row per recommendation of a job that still exists and is not closed.
CREATE OR REPLACE VIEW job_recommendations AS
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
JOIN jobs j ON j.id = e.job_id AND j.closed_at IS NULL
LEFT JOIN job_text_profiles jp ON jp.job_id = e.job_id
LEFT JOIN cv_text_profiles cp ON cp.cv_id = l.cv_id;
