-- A job's content hash becomes SHA-256 over its embedded fields joined by separators
-- (`schema.queries.jobs.content_hash` computes the same in Python). It was SHA-256 over
-- their JSON encoding: escaping a whole description cost ~18 µs of the ~23 µs a hash
-- took, a tenth of the client CPU of ingesting a job (bench/ingest.py); this takes ~6.
--
-- The fields are joined by U+001F, tags by U+001E: control characters that the parsers'
-- whitespace cleaning removes from every field but a plain-text description, and that no
-- real posting holds. (Text that did hold them could make two jobs hash alike, which
-- would only leave a changed job's vector as it was.) A missing category is empty.
CREATE FUNCTION jobmatch_content_hash(
    title TEXT, company TEXT, location TEXT, tags TEXT[], category TEXT, description TEXT
) RETURNS BYTEA
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN sha256(convert_to(
        concat_ws(E'\x1f', title, company, location, array_to_string(tags, E'\x1e'),
                  coalesce(category, ''), description),
        'UTF8'));

-- Stored hashes are rewritten here, and so are those of the vectors and text profiles
-- made from a job's current text, so nothing is embedded or profiled again. A vector or
-- profile made from an older text keeps its old hash: it stays stale, as it was.
CREATE TEMP TABLE rehashed ON COMMIT DROP AS
SELECT id, content_hash AS old_hash,
       jobmatch_content_hash(title, company, location, tags, category, description) AS new_hash
FROM jobs;

UPDATE job_embeddings e SET content_hash = r.new_hash
FROM rehashed r WHERE e.job_id = r.id AND e.content_hash = r.old_hash;

UPDATE job_text_profiles p SET content_hash = r.new_hash
FROM rehashed r WHERE p.job_id = r.id AND p.content_hash = r.old_hash;

UPDATE jobs j SET content_hash = r.new_hash
FROM rehashed r WHERE j.id = r.id;
