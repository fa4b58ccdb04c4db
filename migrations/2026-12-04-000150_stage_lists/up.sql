-- GET /drafts?stage= lists the drafts at an open stage newest first. The
-- GIN index on current_stages finds them but in no order: at a year's
-- scale all 333 at review_2 were fetched and sorted for a page of 50
-- (p99 2.4× an office of one page, issue 19 item 3). One ordered index per
-- stage (parallel steps open several stages at once, so a draft may sit in
-- more than one) lets the scan stop once the page is full. The query
-- writes the stage as a literal (db::partial) so that its plan can use them.
CREATE INDEX drafts_open_review_1 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['review_1'];
CREATE INDEX drafts_open_proofread_1 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['proofread_1'];
CREATE INDEX drafts_open_review_2 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['review_2'];
CREATE INDEX drafts_open_proofread_2 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['proofread_2'];
CREATE INDEX drafts_open_review_3 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['review_3'];
CREATE INDEX drafts_open_proofread_3 ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['proofread_3'];
CREATE INDEX drafts_open_leader ON drafts (created_at DESC, id DESC)
    WHERE status = 'in_review' AND current_stages @> ARRAY['leader'];
