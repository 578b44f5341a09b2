-- `jobs.search_vector` stops being a generated column so the ingest can compute it on more
-- than one core. to_tsvector over whole descriptions is most of what storing a new job
-- costs (~0.4 ms of server CPU per job); a generated column is always computed by the one
-- backend running the INSERT. The ingest now computes the vectors of a batch with a
-- parallel query (CREATE TABLE AS, which PostgreSQL runs on parallel workers) inside its
-- own transaction and supplies them to the INSERT (schema/queries/jobs.py).
--
-- Every other writer keeps the old behaviour through a trigger: a NULL vector, or a text
-- change that does not also supply a new vector, is computed here by the same function.

-- The one definition of a job's full-text vector (as migration 001's generated column).
CREATE FUNCTION jobmatch_search_vector(title TEXT, company TEXT, tags TEXT[], description TEXT)
    RETURNS TSVECTOR
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, company || ' ' || jobmatch_join_tags(tags)), 'B')
        || setweight(to_tsvector('english'::regconfig, description), 'C');

-- Stored vectors stay as they are (DROP EXPRESSION keeps the values; storage stays EXTERNAL).
ALTER TABLE jobs ALTER COLUMN search_vector DROP EXPRESSION;

CREATE FUNCTION jobmatch_jobs_search_vector() RETURNS TRIGGER
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.search_vector IS NULL
       OR (TG_OP = 'UPDATE'
           AND NEW.search_vector IS NOT DISTINCT FROM OLD.search_vector
           AND (NEW.title, NEW.company, NEW.tags, NEW.description)
               IS DISTINCT FROM (OLD.title, OLD.company, OLD.tags, OLD.description)) THEN
        NEW.search_vector := jobmatch_search_vector(NEW.title, NEW.company, NEW.tags, NEW.description);
    END IF;
    RETURN NEW;
END
$$;

-- UPDATE OF: an update that sets none of these (a repost's new date, a salary) does not
-- even call the function.
CREATE TRIGGER jobs_search_vector
    BEFORE INSERT OR UPDATE OF title, company, tags, description, search_vector ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobmatch_jobs_search_vector();
