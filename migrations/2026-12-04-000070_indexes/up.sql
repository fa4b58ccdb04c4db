-- Indexes the list queries need at a year's scale (issue 19 item 3;
-- docs/benchmarks.md has the plans). tests/api/plans.rs fails if a list
-- query's plan scans drafts or audit_events sequentially.

-- GET /drafts?stage=…: newest first among the drafts at that stage; the
-- older drafts_by_stage is ordered by updated_at, for /tasks.
CREATE INDEX drafts_by_stage_created ON drafts (current_stage, created_at DESC, id DESC)
    WHERE current_stage IS NOT NULL;

-- /tasks: the drafts in review, oldest first by the time they reached
-- their stage; the eligibility checks then run on those few rows only.
CREATE INDEX drafts_in_review ON drafts (updated_at, id) WHERE status = 'in_review';
