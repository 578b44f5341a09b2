-- Live comparison of two models (`jobmatch models experiment`): a running experiment
-- serves a stable share of users their lists from a shadow model; `list_views` keeps
-- which model made each list a user saw, for `jobmatch models report`.

CREATE TABLE experiments (
    id                INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id          INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    control_model_id  INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    share             DOUBLE PRECISION NOT NULL CHECK (share > 0 AND share < 1),
    started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    ends_at           TIMESTAMPTZ NOT NULL,
    stopped_at        TIMESTAMPTZ,
    CHECK (ends_at > started_at),
    CHECK (model_id <> control_model_id)
);
-- At most one experiment is open (not stopped); one past its end serves nobody.
CREATE UNIQUE INDEX experiments_one_open ON experiments ((true)) WHERE stopped_at IS NULL;

-- A user's place in [0, 1) for an experiment: md5 of "experiment:user", so it is stable
-- (the same user always lands in the same arm), independent between experiments, and
-- computable outside the database (workers/pipelines/experiments.py::bucket).
CREATE FUNCTION jobmatch_experiment_bucket(experiment_id INTEGER, user_id BIGINT)
RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ('x' || substr(md5(experiment_id::text || ':' || user_id::text), 1, 8))::bit(32)::bigint
           / 4294967296.0
$$;

-- The model whose vectors make this user's list now: the running experiment's shadow
-- model for the users in its share, else the active model.
CREATE FUNCTION jobmatch_serving_model(p_user_id BIGINT)
RETURNS INTEGER LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        (SELECT x.model_id FROM experiments x
          WHERE x.stopped_at IS NULL AND x.ends_at > now()
            AND jobmatch_experiment_bucket(x.id, p_user_id) < x.share),
        (SELECT m.id FROM embedding_models m WHERE m.is_active))
$$;

-- The first read of each stored list copies which model made it and its jobs in order:
-- one write per list a user sees (lists are made at most daily), none per read after.
CREATE TABLE list_views (
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    generated_at  TIMESTAMPTZ NOT NULL,
    model_id      INTEGER NOT NULL REFERENCES embedding_models (id) ON DELETE CASCADE,
    job_ids       BIGINT[] NOT NULL,
    seen_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, generated_at)
);
CREATE INDEX list_views_seen_idx ON list_views (seen_at);
