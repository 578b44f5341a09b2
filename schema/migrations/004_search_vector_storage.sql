-- Storage of the two large columns of `jobs`, chosen for the ingest's CPU (bench/ingest.py;
-- figures per 10,000 new real postings on the embedded server).

-- A job's search_vector (a few KB of lexemes and positions) does not compress: pglz saved
-- 0.1% (39.29 MB -> 39.25 MB), yet it was tried on every inserted or changed job
-- (~0.25 s of server CPU). EXTERNAL keeps the value out of line as before, uncompressed.
ALTER TABLE jobs ALTER COLUMN search_vector SET STORAGE EXTERNAL;

-- pglz compressing descriptions (38.4 MB -> 25.0 MB) cost ~0.5 s of server CPU, a
-- tenth of an insert. lz4, where the server has it, compresses as well at a fraction of
-- the cost; a server built without lz4 stores descriptions uncompressed (about 1.3 KB
-- more per job; the table holds a week of jobs). Only new values are affected.
DO $$
BEGIN
    ALTER TABLE jobs ALTER COLUMN description SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    ALTER TABLE jobs ALTER COLUMN description SET STORAGE EXTERNAL;
END
$$;
