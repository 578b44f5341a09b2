-- A model is its weights, not its name: a folder retrained in place keeps its path but
-- makes vectors that cannot be compared with the old ones. Each vector set (row) records
-- the fingerprint of the weights that made it (embeddings/fingerprint.py); a name may now
-- have several rows, one per fingerprint, of which one is current (what the name loads
-- today). A set that is not current is stale: kept, and served while it is active, until
-- the current weights' set is complete and takes its place (workers/pipelines/embed.py).
--
-- Sets made before this migration have no fingerprint: the first load of their model
-- adopts them (they were made by whatever the name loaded then; nothing records more).
ALTER TABLE embedding_models ADD COLUMN fingerprint TEXT;
ALTER TABLE embedding_models ADD COLUMN is_current BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE embedding_models DROP CONSTRAINT embedding_models_name_key;
CREATE UNIQUE INDEX embedding_models_name_fingerprint
    ON embedding_models (name, fingerprint) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX embedding_models_one_current ON embedding_models (name) WHERE is_current;
