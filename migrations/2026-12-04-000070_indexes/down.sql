DROP INDEX drafts_in_review;
DROP INDEX drafts_by_stage_created;
