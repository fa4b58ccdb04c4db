DROP INDEX drafts_due_review_1;
DROP INDEX drafts_due_proofread_1;
DROP INDEX drafts_due_review_2;
DROP INDEX drafts_due_proofread_2;
DROP INDEX drafts_due_review_3;
DROP INDEX drafts_due_proofread_3;
DROP INDEX drafts_due_leader;
CREATE INDEX drafts_tasks ON drafts (due_at ASC NULLS LAST, updated_at, id)
    WHERE status = 'in_review';
CREATE INDEX drafts_by_stages ON drafts USING gin (current_stages) WHERE status = 'in_review';
