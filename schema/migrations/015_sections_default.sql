-- The default text representation is now `sections` (embeddings/representation.py):
-- a set named by its model alone (no " [options]" suffix) was made with the former
-- default (the first 256 word pieces). Its vectors stay and keep serving, but are marked
-- stale (an empty content hash never equals a text's), so the next `jobmatch embed`
-- (or the 06:00 run) makes them again under the new default, page by page.
UPDATE job_embeddings SET content_hash = ''::bytea
WHERE model_id IN (SELECT id FROM embedding_models WHERE position(' [' IN name) = 0);

UPDATE cv_embeddings SET content_hash = ''::bytea
WHERE model_id IN (SELECT id FROM embedding_models WHERE position(' [' IN name) = 0);
