-- Runs that survive an outage or a killed process, coalesced triggers, and throttling.
--
-- A run records the session that logs it (its pid and start time, unique over the
-- server's life): a `running` row whose session is gone was interrupted (the process
-- died, or the server restarted) and is closed as such. A queued task's arguments are
-- kept so an interrupted run can be queued again; `resumed_at` says it was.
ALTER TABLE task_runs DROP CONSTRAINT task_runs_status_check;
ALTER TABLE task_runs ADD CONSTRAINT task_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted'));
ALTER TABLE task_runs
    ADD COLUMN session_pid INTEGER,
    ADD COLUMN session_started_at TIMESTAMPTZ,
    ADD COLUMN args JSONB,
    ADD COLUMN resumed_at TIMESTAMPTZ;
CREATE INDEX task_runs_open_idx ON task_runs (id)
    WHERE status = 'running' OR (status = 'interrupted' AND resumed_at IS NULL);

-- One pending trigger per task lock: a second trigger while one is queued or running
-- joins it instead of queueing the task again. The run deletes its row when it starts.
CREATE TABLE task_triggers (
    lock_name  TEXT PRIMARY KEY,
    queued_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Rate limits shared by every API process (GCRA: one theoretical arrival time per key).
-- Unlogged: losing it in a crash only forgets recent attempts.
CREATE UNLOGGED TABLE throttle (
    key  TEXT PRIMARY KEY,
    tat  TIMESTAMPTZ NOT NULL
);
CREATE INDEX throttle_tat_idx ON throttle (tat);
