ALTER TABLE signoffs
    DROP CONSTRAINT signoffs_row_check,
    ADD CONSTRAINT signoffs_stage_check CHECK (stage = ANY (ARRAY['review_1', 'review_2', 'review_3',
        'proofread_1', 'proofread_2', 'proofread_3', 'leader'])),
    ADD CONSTRAINT signoffs_decision_check CHECK (decision = ANY (ARRAY['approve', 'return']));

ALTER TABLE drafts
    DROP CONSTRAINT drafts_row_check,
    ADD CONSTRAINT drafts_status_check CHECK (status = ANY (ARRAY['draft', 'in_review', 'returned',
        'publishable', 'published', 'withdrawn', 'retracted', 'corrected'])),
    ADD CONSTRAINT drafts_current_stage_check CHECK (current_stage = ANY (ARRAY['review_1', 'review_2',
        'review_3', 'proofread_1', 'proofread_2', 'proofread_3', 'leader'])),
    ADD CONSTRAINT drafts_risk_level_check CHECK (risk_level = ANY (ARRAY['normal', 'important', 'sensitive'])),
    ADD CONSTRAINT drafts_revision_check CHECK (revision >= 1),
    ADD CONSTRAINT drafts_round_check CHECK (round >= 0),
    ADD CONSTRAINT drafts_current_step_check CHECK (current_step >= 0),
    ADD CONSTRAINT drafts_check CHECK ((status = 'in_review') = (current_stage IS NOT NULL)),
    ADD CONSTRAINT drafts_current_step_in_review CHECK (
        (status = 'in_review') = (current_step IS NOT NULL)
        AND (status = 'in_review') = (cardinality(current_stages) > 0)
        AND (current_stage IS NULL OR current_stage = current_stages[1])),
    ADD CONSTRAINT drafts_check1 CHECK (status = 'in_review' OR (due_at IS NULL AND NOT overdue)),
    ADD CONSTRAINT drafts_source_kind_check CHECK (source_kind = ANY (ARRAY['original', 'reprint'])),
    ADD CONSTRAINT drafts_source_origin CHECK ((source_kind = 'reprint') = (source_origin IS NOT NULL)),
    ADD CONSTRAINT drafts_source_origin_check CHECK (char_length(source_origin) >= 1
        AND char_length(source_origin) <= 200),
    ADD CONSTRAINT drafts_correction_note CHECK ((corrects IS NULL) = (correction_note IS NULL)),
    ADD CONSTRAINT drafts_correction_note_check CHECK (char_length(correction_note) >= 1
        AND char_length(correction_note) <= 500),
    ADD CONSTRAINT drafts_corrected_by CHECK (corrected_by IS NULL
        OR status = ANY (ARRAY['corrected', 'retracted']));

DROP FUNCTION signoffs_row_check(text, text);
DROP FUNCTION drafts_row_check(text, text, integer, text[], text, integer, integer, text, text, uuid,
    text, uuid, timestamptz, boolean);
