-- The per-stage indexes of migration 000150 without `status = 'in_review'`
-- in their predicate: the same rows (only a draft in review has open
-- stages, checked on every row since migration 000140), and a plan that
-- the planner costs right. Asked for both conditions, it multiplied their
-- selectivities as if independent (2 253 drafts in review and 395 at
-- review_2 of 200 000 gave an estimate of 6 rows), and for a page of 51
-- from 6 rows it read all 393 and sorted them (0.50 ms) rather than read
-- 51 in order from the index (0.04 ms), once the page's LIMIT was in the
-- text (issue 19).
DROP INDEX drafts_open_review_1;
CREATE INDEX drafts_open_review_1 ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['review_1'];
DROP INDEX drafts_open_proofread_1;
CREATE INDEX drafts_open_proofread_1 ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['proofread_1'];
DROP INDEX drafts_open_review_2;
CREATE INDEX drafts_open_review_2 ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['review_2'];
DROP INDEX drafts_open_proofread_2;
CREATE INDEX drafts_open_proofread_2 ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['proofread_2'];
DROP INDEX drafts_open_review_3;
CREATE INDEX drafts_open_review_3 ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['review_3'];
DROP INDEX drafts_open_proofread_3;
CREATE INDEX drafts_open_proofread_3 ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['proofread_3'];
DROP INDEX drafts_open_leader;
CREATE INDEX drafts_open_leader ON drafts (created_at DESC, id DESC)
    WHERE current_stages @> ARRAY['leader'];
