-- Huey's PostgresStorage tables (table_prefix "huey"), made here rather than by Huey at
-- import time (the queue is built with create_tables=False, so nothing connects then).
-- Same shape as huey/storage.py PostgresStorage.ddl (huey 3.5).
CREATE TABLE IF NOT EXISTS huey_kv (
    queue  TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BYTEA NOT NULL,
    PRIMARY KEY (queue, key)
);

CREATE TABLE IF NOT EXISTS huey_schedule (
    id         BIGSERIAL PRIMARY KEY,
    queue      TEXT NOT NULL,
    data       BYTEA NOT NULL,
    timestamp  DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS huey_schedule_queue_timestamp ON huey_schedule (queue, timestamp);

CREATE TABLE IF NOT EXISTS huey_task (
    id        BIGSERIAL PRIMARY KEY,
    queue     TEXT NOT NULL,
    data      BYTEA NOT NULL,
    priority  DOUBLE PRECISION NOT NULL DEFAULT 0.0
);
CREATE INDEX IF NOT EXISTS huey_task_queue_priority_id ON huey_task (queue, priority DESC, id);

CREATE TABLE IF NOT EXISTS huey_counter (
    queue  TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, key)
);

-- Cleanup deletes saved jobs by age as well as by expiry; the OR needs both indexed.
CREATE INDEX IF NOT EXISTS saved_jobs_saved_at_idx ON saved_jobs (saved_at);
