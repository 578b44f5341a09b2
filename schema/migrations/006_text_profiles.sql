-- Profiles of job and CV texts for recommendation reasons (embeddings/reasons.py), kept
-- between runs. Profiling a real posting costs about 0.5 ms and a CV about 0.4 ms, and
-- every night explains every candidate job and every user: 20,000 jobs and 10,000 CVs
-- would cost some 14 s of CPU each night, for texts that mostly did not change.
--
-- A profile is valid while `content_hash` equals its job's or CV's and `version` equals
-- the profiling code's (PROFILE_VERSION); otherwise it is made and stored again.

CREATE TABLE job_text_profiles (
    job_id        BIGINT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    content_hash  BYTEA NOT NULL,
    version       INTEGER NOT NULL,
    profile       TEXT NOT NULL  -- JSON, see embeddings.reasons.to_json
);

CREATE TABLE cv_text_profiles (
    cv_id         BIGINT PRIMARY KEY REFERENCES cvs (id) ON DELETE CASCADE,
    content_hash  BYTEA NOT NULL,
    version       INTEGER NOT NULL,
    profile       TEXT NOT NULL
);
