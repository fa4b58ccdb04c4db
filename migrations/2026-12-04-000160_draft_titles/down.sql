DROP TRIGGER drafts_follow_revisions ON revisions;
DROP FUNCTION drafts_follow_revisions();
ALTER TABLE drafts DROP COLUMN title, DROP COLUMN content_hash;
