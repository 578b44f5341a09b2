-- Cross-source duplicates: the same posting on two boards collapses into one job row
-- that remembers its other sources. The keys are generated columns so every writer of
-- `jobs` (ingestion, demo data, tests) gets them without knowing the rules.

-- Lower case, accents kept, every run of non-alphanumerics one space, trimmed.
CREATE FUNCTION jobmatch_normalise(value TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN btrim(regexp_replace(lower(value), '[^[:alnum:]]+', ' ', 'g'));

-- Company without legal-form suffixes, then title without gender markers such as
-- "(m/w/d)"; '' when either part is empty, and '' never matches anything.
CREATE FUNCTION jobmatch_dedupe_key(company TEXT, title TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN btrim(company) = '' OR btrim(title) = '' THEN ''
        ELSE btrim(regexp_replace(
                 jobmatch_normalise(company),
                 '\m(inc|llc|ltd|limited|gmbh|ag|corp|corporation|co|plc|sa|bv|srl|se)\M',
                 '', 'g'))
             || '|'
             || btrim(regexp_replace(
                 jobmatch_normalise(title), '\m(m|w|f|d|x) (w|m|f|d|x)( (d|x|m|w|f))?$', ''))
    END;

-- '' stands for "anywhere": remote, worldwide or not stated; it is compatible with any place.
CREATE FUNCTION jobmatch_location_key(location TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN jobmatch_normalise(location) IN ('', 'remote', 'worldwide', 'anywhere', 'global')
            THEN ''
        ELSE jobmatch_normalise(location)
    END;

ALTER TABLE jobs
    ADD COLUMN dedupe_key TEXT NOT NULL
        GENERATED ALWAYS AS (jobmatch_dedupe_key(company, title)) STORED,
    ADD COLUMN location_key TEXT NOT NULL
        GENERATED ALWAYS AS (jobmatch_location_key(location)) STORED;

CREATE INDEX jobs_dedupe_key_idx ON jobs (dedupe_key) WHERE dedupe_key <> '';

-- The other (source, source_id) pairs a job was also seen under; the job's own pair
-- stays in `jobs`. Deleting the job forgets them.
CREATE TABLE job_sources (
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    job_id      BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    url         TEXT NOT NULL DEFAULT '',
    first_seen  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, source_id)
);
CREATE INDEX job_sources_job_idx ON job_sources (job_id);
