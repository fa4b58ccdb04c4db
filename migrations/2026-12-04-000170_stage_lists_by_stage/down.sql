DROP INDEX drafts_open_review_1;
CREATE INDEX drafts_open_review_1 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['review_1'];
DROP INDEX drafts_open_proofread_1;
CREATE INDEX drafts_open_proofread_1 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['proofread_1'];
DROP INDEX drafts_open_review_2;
CREATE INDEX drafts_open_review_2 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['review_2'];
DROP INDEX drafts_open_proofread_2;
CREATE INDEX drafts_open_proofread_2 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['proofread_2'];
DROP INDEX drafts_open_review_3;
CREATE INDEX drafts_open_review_3 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['review_3'];
DROP INDEX drafts_open_proofread_3;
CREATE INDEX drafts_open_proofread_3 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['proofread_3'];
DROP INDEX drafts_open_leader;
CREATE INDEX drafts_open_leader ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['leader'];
