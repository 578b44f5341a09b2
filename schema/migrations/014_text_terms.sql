-- Word counts of each job and CV as BM25 reads them (embeddings/lexical.py), made once per
-- text alongside its profile; the lexical half of the nightly score reads them. A row is
-- current while its content_hash equals its job's or CV's (a changed text is counted
-- again). Keys are little-endian int64 word keys in ascending order, counts int32.
CREATE TABLE job_terms (
    job_id        BIGINT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    content_hash  BYTEA NOT NULL,
    keys          BYTEA NOT NULL,
    counts        BYTEA NOT NULL
);

CREATE TABLE cv_terms (
    cv_id         BIGINT PRIMARY KEY REFERENCES cvs (id) ON DELETE CASCADE,
    content_hash  BYTEA NOT NULL,
    keys          BYTEA NOT NULL,
    counts        BYTEA NOT NULL
);
