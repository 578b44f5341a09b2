-- A revoked token stops working at once in every API process: each process caches
-- token lookups, so a revocation returns only once every live process has emptied its
-- cache (server/token_cache.py).
--
-- `token_revocations.n` numbers revocations; it is bumped in the revoking transaction,
-- whose row lock also orders it against a process that starts listening. Each process's
-- listening session has a row in `token_listeners` saying the last revocation it has
-- acted on; a row whose session is gone (no such pid and start in pg_stat_activity)
-- is ignored. Unlogged: after a crash no session survives to need its row.
CREATE TABLE token_revocations (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   BIGINT NOT NULL
);
INSERT INTO token_revocations (id, n) VALUES (1, 0);

CREATE UNLOGGED TABLE token_listeners (
    pid            INTEGER NOT NULL,
    backend_start  TIMESTAMPTZ NOT NULL,
    heard          BIGINT NOT NULL,
    PRIMARY KEY (pid, backend_start)
);
