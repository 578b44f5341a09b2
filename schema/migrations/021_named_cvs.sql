-- Several named CVs per person (e.g. "backend", "data"), at most 5 (checked where one is
-- added: schema/queries/named_cvs.py). Each named CV keeps its uploaded versions in `cvs`
-- (the latest is `is_active`, the current version) and has its own stored list, expiry
-- and reasons; one named CV per person is the active one, which the single-CV routes
-- (`PUT /users/me/cv`, `GET /jobs/recommendations` without `cv_id`) act on.
--
-- Every current version is embedded, profiled and given a list each night: a person can
-- view each of their lists, not only the active one's.
--
-- Each person's existing CV becomes their first named CV, "main", active, with its
-- versions, its list, its votes and its list views.

CREATE TABLE named_cvs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 40 AND name = btrim(name)),
    is_active   BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- "Backend" and "backend" are one name to a person.
CREATE UNIQUE INDEX named_cvs_user_name_key ON named_cvs (user_id, lower(name));
CREATE UNIQUE INDEX named_cvs_one_active_per_user ON named_cvs (user_id) WHERE is_active;

INSERT INTO named_cvs (user_id, name, is_active, created_at)
SELECT user_id, 'main', true, min(created_at) FROM cvs GROUP BY user_id;

-- A version belongs to one named CV; deleting the named CV deletes its versions (and
-- with them their vectors and profiles).
ALTER TABLE cvs ADD COLUMN named_cv_id BIGINT REFERENCES named_cvs (id) ON DELETE CASCADE;
UPDATE cvs c SET named_cv_id = n.id FROM named_cvs n WHERE n.user_id = c.user_id;
ALTER TABLE cvs ALTER COLUMN named_cv_id SET NOT NULL;
DROP INDEX cvs_one_active_per_user;
CREATE UNIQUE INDEX cvs_one_current_per_named_cv ON cvs (named_cv_id) WHERE is_active;

-- The person's active named CV, made now (named "main", active) when they have none:
-- where a CV given without a name goes. Two first uploads at once make one, as the
-- second insert does nothing. A person with named CVs always has an active one
-- (schema/queries/named_cvs.py keeps it so).
CREATE FUNCTION jobmatch_active_named_cv(p_user_id BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    found BIGINT;
BEGIN
    INSERT INTO named_cvs (user_id, name, is_active)
    SELECT p_user_id, 'main', true
    WHERE NOT EXISTS (SELECT 1 FROM named_cvs WHERE user_id = p_user_id AND is_active)
    ON CONFLICT DO NOTHING;
    SELECT id INTO found FROM named_cvs WHERE user_id = p_user_id AND is_active;
    RETURN found;
END $$;

-- A version inserted without its named CV belongs to the person's active one, as the
-- single CV did before: SQL written for one CV per person keeps working.
CREATE FUNCTION jobmatch_cv_default_named_cv() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.named_cv_id IS NULL THEN
        NEW.named_cv_id := jobmatch_active_named_cv(NEW.user_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cvs_default_named_cv BEFORE INSERT ON cvs
    FOR EACH ROW EXECUTE FUNCTION jobmatch_cv_default_named_cv();

-- A stored list is a named CV's: deleting the named CV deletes its list. A list whose
-- person has no CV cannot be shown (it needed one to be made) and is dropped.
ALTER TABLE recommendation_lists
    ADD COLUMN named_cv_id BIGINT REFERENCES named_cvs (id) ON DELETE CASCADE;
UPDATE recommendation_lists l SET named_cv_id = n.id FROM named_cvs n WHERE n.user_id = l.user_id;
DELETE FROM recommendation_lists WHERE named_cv_id IS NULL;
ALTER TABLE recommendation_lists
    ALTER COLUMN named_cv_id SET NOT NULL,
    DROP CONSTRAINT recommendation_lists_pkey,
    ADD PRIMARY KEY (named_cv_id);
CREATE INDEX recommendation_lists_user_idx ON recommendation_lists (user_id);

-- A vote steers the list of the named CV it was cast on (workers/pipelines/
-- recommend_feedback.py); a down vote still hides the job from all the person's lists.
-- A vote on a deleted named CV keeps hiding, and steers nothing.
ALTER TABLE feedback
    ADD COLUMN named_cv_id BIGINT REFERENCES named_cvs (id) ON DELETE SET NULL;
UPDATE feedback f SET named_cv_id = n.id FROM named_cvs n WHERE n.user_id = f.user_id;
CREATE INDEX feedback_named_cv_idx ON feedback (named_cv_id);

-- A vote given without its named CV is cast on the person's active one.
CREATE FUNCTION jobmatch_feedback_default_named_cv() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.named_cv_id IS NULL THEN
        NEW.named_cv_id := (SELECT id FROM named_cvs
                            WHERE user_id = NEW.user_id AND is_active);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER feedback_default_named_cv BEFORE INSERT ON feedback
    FOR EACH ROW EXECUTE FUNCTION jobmatch_feedback_default_named_cv();

-- Each named CV's lists of one run share `generated_at`: a view is kept per list. No
-- foreign key: the experiment report keeps what was seen after a named CV is deleted.
ALTER TABLE list_views ADD COLUMN named_cv_id BIGINT;
UPDATE list_views v SET named_cv_id = n.id FROM named_cvs n WHERE n.user_id = v.user_id;
DELETE FROM list_views WHERE named_cv_id IS NULL;
ALTER TABLE list_views
    ALTER COLUMN named_cv_id SET NOT NULL,
    DROP CONSTRAINT list_views_pkey,
    ADD PRIMARY KEY (user_id, named_cv_id, generated_at);

-- The view numbers each named CV's list on its own, and says whose list a row is. As
-- the API's page: closed postings (019) and reposts (020) leave it.
DROP VIEW job_recommendations;
CREATE VIEW job_recommendations AS
SELECT l.user_id, e.job_id, l.model_id,
       (row_number() OVER (PARTITION BY l.named_cv_id ORDER BY e.position))::SMALLINT AS rank,
       e.score,
       jobmatch_reason(e.evidence, e.fit,
                       jp.term_keys, jp.shown, jp.quote_text, jp.quote_starts, jp.quote_ends,
                       cp.term_keys, cp.quote_text, cp.quote_starts, cp.quote_ends) AS reason,
       l.generated_at, l.expires_at, l.named_cv_id
FROM recommendation_lists l
CROSS JOIN LATERAL unnest(l.job_ids, l.scores, l.evidence, l.fits)
    WITH ORDINALITY AS e (job_id, score, evidence, fit, position)
JOIN jobs j ON j.id = e.job_id AND j.closed_at IS NULL AND j.duplicate_of IS NULL
LEFT JOIN job_text_profiles jp ON jp.job_id = e.job_id
LEFT JOIN cv_text_profiles cp ON cp.cv_id = l.cv_id;
