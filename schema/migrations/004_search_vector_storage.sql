-- A job's search_vector (a few KB of lexemes and positions) does not compress: over
-- 10,000 real postings pglz saved 0.1% (39.29 MB -> 39.25 MB), yet it was tried on every
-- inserted or changed job (~0.25 s of server CPU per 10,000 new jobs, bench/ingest.py).
-- EXTERNAL keeps the value out of line as before, without the futile compression.
-- Only new values are affected; nothing is rewritten.
ALTER TABLE jobs ALTER COLUMN search_vector SET STORAGE EXTERNAL;
