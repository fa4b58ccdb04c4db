-- A list shows each draft's current title and content hash. Read from
-- `revisions`, they were two correlated probes per listed row: at a year's
-- scale about half of a page's execution (issue 19). The draft's row now
-- carries them, kept by the database as revisions are added: every writer
-- (sanshen, the benchmark's loader, a test's SQL) adds revisions and none
-- has to remember this copy.
--
-- NULL only between a draft's INSERT and its first revision's, inside the
-- transaction that creates it (revisions reference the draft).
ALTER TABLE drafts ADD COLUMN title text, ADD COLUMN content_hash text;

UPDATE drafts d SET title = r.title, content_hash = r.content_hash
FROM revisions r
WHERE r.draft_id = d.id AND r.number = d.revision;

-- Revisions are numbered upwards and a new one becomes the draft's current
-- revision in the transaction that adds it (an edit, or the creation), so
-- the newest added is the one to show. Once per statement: a bulk load of
-- many revisions updates each draft once, from its highest number.
CREATE FUNCTION drafts_follow_revisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE drafts d SET title = n.title, content_hash = n.content_hash
    FROM (SELECT DISTINCT ON (draft_id) draft_id, number, title, content_hash
          FROM added ORDER BY draft_id, number DESC) n
    WHERE d.id = n.draft_id
      AND n.number >= d.revision
      AND (d.title, d.content_hash) IS DISTINCT FROM (n.title, n.content_hash);
    RETURN NULL;
END
$$;

CREATE TRIGGER drafts_follow_revisions AFTER INSERT ON revisions
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION drafts_follow_revisions();
