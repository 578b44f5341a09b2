-- Every list of jobs (recommendations, job lists, search results) shows the first 280
-- characters of each description. Descriptions are stored out of line (migration 004),
-- so `left(description, 280)` fetched each one through the TOAST index: ~4 µs a job,
-- 0.2 ms of the 0.8 ms a recommendation page cost (bench/api.py). Kept in the row, the
-- snippet is read with it. The table is rewritten once, here.
ALTER TABLE jobs ADD COLUMN snippet TEXT NOT NULL
    GENERATED ALWAYS AS (left(description, 280)) STORED;
