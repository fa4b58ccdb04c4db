-- /tasks lists the drafts in review in the order (due time, nulls last;
-- when they last moved; id) since deadlines came (SPEC §8), but its index
-- (drafts_in_review) had only the last two: at a year's scale every draft
-- in review was read and sorted before the first page was known (issue 19
-- item 3). In this order the scan stops once the page is full.
CREATE INDEX drafts_tasks ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE status = 'in_review';
