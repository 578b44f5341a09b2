-- The whole first schema. Later changes go in new files; an applied file is never edited.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE users (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       TEXT NOT NULL CHECK (email LIKE '%_@_%'),
    name        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE user_preferences (
    user_id             BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    locations           TEXT[] NOT NULL DEFAULT '{}',
    remote_only         BOOLEAN NOT NULL DEFAULT false,
    min_salary          NUMERIC CHECK (min_salary >= 0),
    excluded_companies  TEXT[] NOT NULL DEFAULT '{}',
    keywords            TEXT[] NOT NULL DEFAULT '{}',
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each bearer token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    BYTEA NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Several CVs per user are kept; exactly one (the latest) is active.
CREATE TABLE cvs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body          TEXT NOT NULL CHECK (length(btrim(body)) > 0),
    filename      TEXT,
    content_hash  BYTEA NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT true,
    category      TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cvs_one_active_per_user ON cvs (user_id) WHERE is_active;

-- array_to_string is only STABLE in general, but for text[] it is immutable in fact;
-- the wrapper lets the generated search column below use it.
CREATE FUNCTION jobmatch_join_tags(tags TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN array_to_string(tags, ' ');

CREATE TABLE jobs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    title            TEXT NOT NULL,
    company          TEXT NOT NULL DEFAULT '',
    location         TEXT NOT NULL DEFAULT '',
    remote           BOOLEAN NOT NULL DEFAULT false,
    salary_min       NUMERIC,
    salary_max       NUMERIC,
    salary_currency  TEXT,
    tags             TEXT[] NOT NULL DEFAULT '{}',
    category         TEXT,
    description      TEXT NOT NULL DEFAULT '',
    url              TEXT NOT NULL DEFAULT '',
    posted_at        TIMESTAMPTZ NOT NULL,
    scraped_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    content_hash     BYTEA NOT NULL,
    search_vector    TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, company || ' ' || jobmatch_join_tags(tags)), 'B')
        || setweight(to_tsvector('english'::regconfig, description), 'C')
    ) STORED,
    UNIQUE (source, source_id),
    CHECK (salary_min IS NULL OR salary_max IS NULL OR salary_min <= salary_max)
);
CREATE INDEX jobs_posted_at_idx ON jobs (posted_at DESC, id DESC);
CREATE INDEX jobs_search_idx ON jobs USING gin (search_vector);

CREATE TABLE embedding_models (
    id          INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    dimension   INTEGER NOT NULL CHECK (dimension > 0),
    is_active   BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX embedding_models_one_active ON embedding_models (is_active) WHERE is_active;

-- Vectors of any dimension live in one table per entity; each model gets its own HNSW
-- index, a partial expression index cast to that model's dimension (made on registration).
CREATE TABLE job_embeddings (
    model_id      INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    job_id        BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    embedding     VECTOR NOT NULL,
    content_hash  BYTEA NOT NULL,
    embedded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, job_id)
);
CREATE INDEX job_embeddings_job_idx ON job_embeddings (job_id);

CREATE TABLE cv_embeddings (
    model_id      INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    cv_id         BIGINT NOT NULL REFERENCES cvs (id) ON DELETE CASCADE,
    embedding     VECTOR NOT NULL,
    content_hash  BYTEA NOT NULL,
    embedded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, cv_id)
);
CREATE INDEX cv_embeddings_cv_idx ON cv_embeddings (cv_id);

CREATE TABLE job_recommendations (
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id        BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    model_id      INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    rank          SMALLINT NOT NULL CHECK (rank >= 1),
    score         REAL NOT NULL,
    reason        TEXT NOT NULL,
    generated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, job_id),
    UNIQUE (user_id, rank)
);
CREATE INDEX job_recommendations_job_idx ON job_recommendations (job_id);
CREATE INDEX job_recommendations_expires_idx ON job_recommendations (expires_at);

CREATE TABLE saved_jobs (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id      BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    saved_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL DEFAULT now() + interval '10 days',
    PRIMARY KEY (user_id, job_id)
);
CREATE INDEX saved_jobs_job_idx ON saved_jobs (job_id);
CREATE INDEX saved_jobs_expires_idx ON saved_jobs (expires_at);

-- RESTRICT: a job somebody applied to is never deleted, whatever deletes it.
CREATE TABLE applications (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id      BIGINT NOT NULL REFERENCES jobs (id) ON DELETE RESTRICT,
    status      TEXT NOT NULL DEFAULT 'applied',
    note        TEXT NOT NULL DEFAULT '',
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, job_id)
);
CREATE INDEX applications_job_idx ON applications (job_id);

CREATE TABLE feedback (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id      BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    vote        TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, job_id)
);
CREATE INDEX feedback_job_idx ON feedback (job_id);

CREATE TABLE task_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task         TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    status       TEXT NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    counts       JSONB NOT NULL DEFAULT '{}',
    error        TEXT
);
CREATE INDEX task_runs_task_idx ON task_runs (task, started_at DESC);
