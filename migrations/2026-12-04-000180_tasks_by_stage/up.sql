-- /tasks in the order of drafts_tasks (due time, nulls last; when they last
-- moved; id), one index per stage: a signer's candidates are the drafts at
-- the stages of their grants, known only when the query runs, so from
-- drafts_tasks the planner either walked every draft in review or read the
-- GIN index on current_stages and sorted; at a year's scale it expected
-- 23 drafts at review_3, read 393 and sorted them before the first was
-- probed (issue 19 item 3). With these, each stage's branch of /tasks
-- reads its drafts in order and stops when the page is full.
CREATE INDEX drafts_due_review_1 ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['review_1'];
CREATE INDEX drafts_due_proofread_1 ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['proofread_1'];
CREATE INDEX drafts_due_review_2 ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['review_2'];
CREATE INDEX drafts_due_proofread_2 ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['proofread_2'];
CREATE INDEX drafts_due_review_3 ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['review_3'];
CREATE INDEX drafts_due_proofread_3 ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['proofread_3'];
CREATE INDEX drafts_due_leader ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE current_stages @> ARRAY['leader'];
-- What /tasks read before, and nothing else reads: the GIN index on the
-- open stages and the single index in its order. A draft's every move
-- updated both.
DROP INDEX drafts_tasks;
DROP INDEX drafts_by_stages;
