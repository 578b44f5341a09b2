"""The SQL of the batched job upsert (`schema.queries.jobs.upsert_jobs`), step by step.

Every statement names the stage `jobs_stage`; the upsert puts its per-backend name in.
"""

from __future__ import annotations

FIELDS = (
    "source, source_id, title, company, location, remote, salary_min, salary_max,"
    " salary_currency, tags, category, description, url, posted_at"
)

# Rows of the batch, plus what the upsert decided for each (`action`, `job_id`, whether a
# known job's text changed) and, for a cross-source duplicate inside the batch, the `ord`
# of the row it collapses into. Not a TEMP table: parallel workers cannot read those, and
# the search vectors are computed by a parallel scan of this table (`VECTORS`). UNLOGGED,
# created and dropped inside the caller's transaction (a rollback removes it too), and
# named after the backend, so concurrent runs never share one.
CREATE_STAGE = """
CREATE UNLOGGED TABLE jobs_stage (
    ord INTEGER NOT NULL, source TEXT, source_id TEXT, title TEXT, company TEXT,
    location TEXT, remote BOOLEAN, salary_min NUMERIC, salary_max NUMERIC,
    salary_currency TEXT, tags TEXT[], category TEXT, description TEXT, url TEXT,
    posted_at TIMESTAMPTZ, content_hash BYTEA,
    dedupe_key TEXT GENERATED ALWAYS AS (jobmatch_dedupe_key(company, title)) STORED,
    location_key TEXT GENERATED ALWAYS AS (jobmatch_location_key(location)) STORED,
    job_id BIGINT, action TEXT, dup_of INTEGER, new_text BOOLEAN
) WITH (parallel_workers = 2, autovacuum_enabled = false);
-- The stage lives for one transaction: compressing its descriptions would be wasted work
-- (and `jobs` takes them uncompressed or lz4, see migration 004). They stay out of line:
-- kept in the row, every statement's scan and every UPDATE of a row's action would
-- read or copy a whole description per row.
ALTER TABLE jobs_stage ALTER COLUMN description SET STORAGE EXTERNAL
"""

# The rows whose full-text vector the upsert stores: new jobs and known ones whose text
# changed. CREATE TABLE AS is the one writing statement PostgreSQL runs as a parallel
# query: up to `parallel_workers` workers (capped by the server's
# max_parallel_workers_per_gather) and the backend itself each compute a share. Without
# free workers the backend computes them all. The largest
# tuple target keeps a vector (~4 KB, read once by the INSERT) in its row: no TOAST table
# writes, and no pglz tries, which save nothing on vectors.
NEEDS_VECTOR = """
SELECT ord, title, company, tags, description
FROM jobs_stage WHERE (action IS NULL AND dup_of IS NULL) OR new_text"""
VECTORS = f"""
CREATE UNLOGGED TABLE jobs_stage_vectors WITH (toast_tuple_target = 8160) AS
SELECT ord, jobmatch_search_vector(title, company, tags, description) AS search_vector
FROM ({NEEDS_VECTOR}) needed
"""

# A chunk (~100 pages of stage) is far below the planner's size and cost thresholds for a
# parallel plan, and it cannot see what to_tsvector costs (the function is inlined, so its
# COST is ignored): these make it plan the parallel scan the stage's reloption asks for.
PARALLEL_SETTINGS = ("parallel_setup_cost", "parallel_tuple_cost")

# Binary: the server copies each value as it comes instead of unescaping ~4 KB of text per
# description (and psycopg's C dumpers format it faster than text rows).
COPY = f"COPY jobs_stage (ord, {FIELDS}, content_hash) FROM STDIN (FORMAT BINARY)"
COPY_TYPES = [
    *["int4", "text", "text", "text", "text", "text", "bool", "numeric", "numeric", "text"],
    *["text[]", "text", "text", "text", "timestamptz", "bytea"],
]  # ord, the fields in FIELDS' order, content_hash


def _compatible(a: str, b: str) -> str:
    """SQL: the locations of `a` and `b` may be the same place ('' is anywhere)."""
    return (
        f"({a}.location_key = '' OR {b}.location_key = ''"
        f" OR strpos({a}.location_key, {b}.location_key) > 0"
        f" OR strpos({b}.location_key, {a}.location_key) > 0)"
    )


# What to do with each staged row; nothing in `jobs` changes yet.
DECIDE = (
    # 1. Known (source, source_id): unchanged when nothing stored differs, else updated.
    """UPDATE jobs_stage s SET job_id = j.id, new_text = j.content_hash <> s.content_hash,
        action = CASE
        WHEN j.content_hash = s.content_hash
         AND (j.remote, j.salary_min, j.salary_max, j.salary_currency, j.url, j.posted_at)
             IS NOT DISTINCT FROM
             (s.remote, s.salary_min, s.salary_max, s.salary_currency, s.url, s.posted_at)
        THEN 'unchanged' ELSE 'updated' END
    FROM jobs j WHERE j.source = s.source AND j.source_id = s.source_id""",
    # 2. Pairs already remembered as another job's duplicate.
    """UPDATE jobs_stage s SET job_id = js.job_id, action = 'duplicate'
    FROM job_sources js
    WHERE s.action IS NULL AND js.source = s.source AND js.source_id = s.source_id""",
    # 3. Inside the batch: a row with an earlier same-key row from another source is a
    #    duplicate of the earliest such row that is not itself one (no chains).
    f"""UPDATE jobs_stage s SET dup_of = -1
    WHERE s.action IS NULL AND s.dedupe_key <> '' AND EXISTS (
        SELECT 1 FROM jobs_stage e
        WHERE e.action IS NULL AND e.ord < s.ord AND e.dedupe_key = s.dedupe_key
          AND e.source <> s.source AND {_compatible("e", "s")})""",
    f"""UPDATE jobs_stage s SET dup_of = (
        SELECT min(c.ord) FROM jobs_stage c
        WHERE c.action IS NULL AND c.dup_of IS NULL AND c.ord < s.ord
          AND c.dedupe_key = s.dedupe_key AND c.source <> s.source
          AND {_compatible("c", "s")})
    WHERE s.dup_of = -1""",
    # 4. Against stored jobs of other sources.
    f"""UPDATE jobs_stage s SET job_id = m.job_id, action = 'duplicate'
    FROM (
        SELECT DISTINCT ON (c.ord) c.ord, j.id AS job_id
        FROM jobs_stage c JOIN jobs j ON j.dedupe_key = c.dedupe_key
        WHERE c.action IS NULL AND c.dup_of IS NULL AND c.dedupe_key <> ''
          AND j.source <> c.source AND {_compatible("j", "c")}
        ORDER BY c.ord, j.id
    ) m
    WHERE s.ord = m.ord""",
)

# The writes, once the search vectors they need are in `jobs_stage_vectors`.
WRITE = (
    # 5. The rest is new. A concurrent run may have inserted the same pair meanwhile:
    #    DO NOTHING leaves those rows without an action; they count as unchanged.
    f"""WITH inserted AS (
        INSERT INTO jobs ({FIELDS}, content_hash, search_vector)
        SELECT {FIELDS}, content_hash, v.search_vector
        FROM jobs_stage LEFT JOIN jobs_stage_vectors v USING (ord)
        WHERE action IS NULL AND dup_of IS NULL ORDER BY ord
        ON CONFLICT (source, source_id) DO NOTHING
        RETURNING id, source, source_id
    )
    UPDATE jobs_stage s SET job_id = i.id, action = 'new'
    FROM inserted i WHERE s.source = i.source AND s.source_id = i.source_id""",
    """UPDATE jobs_stage s SET job_id = c.job_id, action = 'duplicate'
    FROM jobs_stage c WHERE s.action IS NULL AND s.dup_of = c.ord""",
    # 6. Changed text: every column, with the new search vector (the dedupe keys are
    #    recomputed as generated columns).
    """UPDATE jobs j SET title = s.title, company = s.company, location = s.location,
        remote = s.remote, salary_min = s.salary_min, salary_max = s.salary_max,
        salary_currency = s.salary_currency, tags = s.tags, category = s.category,
        description = s.description, url = s.url, posted_at = s.posted_at,
        content_hash = s.content_hash, search_vector = v.search_vector,
        scraped_at = now(), updated_at = now()
    FROM jobs_stage s LEFT JOIN jobs_stage_vectors v USING (ord)
    WHERE s.action = 'updated' AND j.id = s.job_id AND s.new_text""",
    # 7. Same text, other facts changed (a repost's date, a salary, the url): the text
    #    columns are left out, so neither the generated dedupe keys nor the search vector
    #    trigger (migration 007) compute anything again.
    """UPDATE jobs j SET remote = s.remote, salary_min = s.salary_min,
        salary_max = s.salary_max, salary_currency = s.salary_currency, url = s.url,
        posted_at = s.posted_at, scraped_at = now(), updated_at = now()
    FROM jobs_stage s
    WHERE s.action = 'updated' AND j.id = s.job_id AND NOT s.new_text""",
    """INSERT INTO job_sources (source, source_id, job_id, url)
    SELECT source, source_id, job_id, url FROM jobs_stage WHERE action = 'duplicate'
    ON CONFLICT (source, source_id) DO UPDATE SET last_seen = now()""",
)
