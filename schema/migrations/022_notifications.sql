-- New matches reach people: a per-user Atom feed at a secret URL and a daily e-mail
-- digest. Both are off until the person turns them on (no row: both off).
--
-- The feed URL carries a random token; only its SHA-256 is stored, as for bearer tokens,
-- so a copy of this table opens no feed. Turning the feed on again makes a new token (the
-- old URL stops working); turning it off clears the hash.
--
-- The digest's unsubscribe token is stored as it is: every digest writes it into its
-- link, so the sender must be able to read it, and all it can do is turn the digest off.
-- It is made when the digest is turned on and kept while it stays on.
CREATE TABLE notification_settings (
    user_id            BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    feed_token_hash    BYTEA UNIQUE,
    feed_enabled_at    TIMESTAMPTZ,
    digest_enabled     BOOLEAN NOT NULL DEFAULT false,
    unsubscribe_token  TEXT UNIQUE,
    last_digest_at     TIMESTAMPTZ,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((feed_token_hash IS NULL) = (feed_enabled_at IS NULL)),
    CHECK (NOT digest_enabled OR unsubscribe_token IS NOT NULL)
);
-- The daily run reads only the people who opted in.
CREATE INDEX notification_settings_digest_idx ON notification_settings (user_id)
    WHERE digest_enabled;

-- Every job a digest has carried to a person, so "new since the last digest" is exact:
-- a job is mailed once, whatever happens to its rank. A deleted job takes its rows along.
CREATE TABLE digest_sent_jobs (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id   BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    sent_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, job_id)
);
CREATE INDEX digest_sent_jobs_job_idx ON digest_sent_jobs (job_id);
