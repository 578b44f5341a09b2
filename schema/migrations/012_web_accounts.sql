-- People sign in to the web app with an email and a password. API-only users (created
-- by `POST /users` or `jobmatch users add`) have no password: the column stays NULL and
-- the sign-in page refuses them, while their bearer tokens keep working.
ALTER TABLE users
    ADD COLUMN password_hash TEXT,
    ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT false;

-- A name the person gives a token on the tokens page, to tell them apart when revoking.
ALTER TABLE api_tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';

-- Server-side web sessions. The cookie holds a random id; only its SHA-256 is stored, so
-- a copy of this table signs nobody in. Signing out deletes the row.
CREATE TABLE web_sessions (
    id_hash       BYTEA PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);
