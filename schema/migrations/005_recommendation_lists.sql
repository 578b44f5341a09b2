-- Each user's stored top-50 becomes one row of parallel arrays (position = rank).
--
-- Writing 50 rows per user, each checked against three foreign keys and entered into four
-- indexes, was most of the daily generation's cost (bench/recommend.py: about 1 s of
-- PostgreSQL CPU per 1,000 users); one row per user costs about a tenth of that. A list
-- is still replaced whole in one transaction. Job ids in the arrays carry no foreign key:
-- readers join `jobs`, so a job deleted since generation simply drops out of the list.
--
-- `job_recommendations` stays, as a view with one row per recommendation, for readers
-- and ad-hoc SQL; writes go to `recommendation_lists`.

CREATE TABLE recommendation_lists (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    model_id      INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    job_ids       BIGINT[] NOT NULL,
    scores        REAL[] NOT NULL,
    reasons       TEXT[] NOT NULL,
    generated_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    CHECK (cardinality(job_ids) = cardinality(scores)
           AND cardinality(job_ids) = cardinality(reasons))
);
CREATE INDEX recommendation_lists_expires_idx ON recommendation_lists (expires_at);
-- A list's reasons (~10 kB) are stored out of line but not compressed: pglz cost more
-- CPU per nightly write than the space is worth for lists replaced every day.
ALTER TABLE recommendation_lists ALTER COLUMN reasons SET STORAGE EXTERNAL;

INSERT INTO recommendation_lists
    (user_id, model_id, job_ids, scores, reasons, generated_at, expires_at)
SELECT user_id, min(model_id), array_agg(job_id ORDER BY rank),
       array_agg(score ORDER BY rank), array_agg(reason ORDER BY rank),
       min(generated_at), min(expires_at)
FROM job_recommendations
GROUP BY user_id;

DROP TABLE job_recommendations;

-- One row per recommendation of a job that still exists, ranked 1.. among those.
CREATE VIEW job_recommendations AS
SELECT l.user_id, e.job_id, l.model_id,
       (row_number() OVER (PARTITION BY l.user_id ORDER BY e.position))::SMALLINT AS rank,
       e.score, e.reason, l.generated_at, l.expires_at
FROM recommendation_lists l
CROSS JOIN LATERAL unnest(l.job_ids, l.scores, l.reasons)
    WITH ORDINALITY AS e (job_id, score, reason, position)
JOIN jobs j ON j.id = e.job_id;
