-- Back to one chain of six per version. Refused (by the constraints) while
-- any leader grant, leader sign-off or co-signed stage exists.
DROP INDEX signoffs_one_approval;
CREATE UNIQUE INDEX signoffs_one_approval ON signoffs (draft_id, round, stage)
    WHERE decision = 'approve';

DROP INDEX drafts_by_stages;
ALTER TABLE drafts DROP CONSTRAINT drafts_current_step_in_review;
ALTER TABLE drafts DROP COLUMN current_stages;
ALTER TABLE drafts DROP COLUMN current_step;

ALTER TABLE workflows ADD COLUMN stages text[];
UPDATE workflows SET stages = ARRAY(
    SELECT s FROM jsonb_array_elements(routes -> 'normal') WITH ORDINALITY AS e(step, i),
                  jsonb_array_elements_text(step -> 'stages') AS t(s)
    WHERE s <> 'leader' ORDER BY i);
ALTER TABLE workflows ALTER COLUMN stages SET NOT NULL;
ALTER TABLE workflows ADD CONSTRAINT workflows_stages_check CHECK (
    cardinality(stages) = 6
    AND stages @> ARRAY['review_1','review_2','review_3','proofread_1','proofread_2','proofread_3']);
ALTER TABLE workflows DROP CONSTRAINT workflows_routes_shape;
ALTER TABLE workflows DROP COLUMN routes;

ALTER TABLE drafts DROP CONSTRAINT drafts_current_stage_check;
ALTER TABLE drafts ADD CONSTRAINT drafts_current_stage_check CHECK (current_stage IN (
    'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3'));
ALTER TABLE signoffs DROP CONSTRAINT signoffs_stage_check;
ALTER TABLE signoffs ADD CONSTRAINT signoffs_stage_check CHECK (stage IN (
    'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3'));
ALTER TABLE grants DROP CONSTRAINT grants_role_check;
ALTER TABLE grants ADD CONSTRAINT grants_role_check CHECK (role IN (
    'admin','auditor','editor','publisher',
    'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3'));
