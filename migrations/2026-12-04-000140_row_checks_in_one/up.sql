-- The CHECKs of drafts and signoffs, one function call each (issue 19 item
-- 2). PostgreSQL reads every CHECK of a table from its stored node text and
-- plans it again on every INSERT or UPDATE statement: the 15 of drafts
-- and 2 of signoffs were 17 KB of node text parsed per sign-off, and
-- dropping them raised the sign-offs of 4 clients by 6-12 %. A PL/pgSQL
-- function keeps its expressions compiled for the session; it refuses
-- exactly what the constraints refused (a condition that is NULL passes,
-- as in a CHECK), with the old constraint's name in the message.

CREATE FUNCTION drafts_row_check(
    status text, current_stage text, current_step integer, current_stages text[],
    risk_level text, revision integer, round integer, source_kind text, source_origin text,
    corrects uuid, correction_note text, corrected_by uuid, due_at timestamptz, overdue boolean
) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    broken text;
BEGIN
    IF NOT (status = ANY (ARRAY['draft', 'in_review', 'returned', 'publishable', 'published',
                               'withdrawn', 'retracted', 'corrected'])) THEN
        broken := 'drafts_status_check';
    ELSIF NOT (current_stage = ANY (ARRAY['review_1', 'review_2', 'review_3', 'proofread_1',
                                          'proofread_2', 'proofread_3', 'leader'])) THEN
        broken := 'drafts_current_stage_check';
    ELSIF NOT (risk_level = ANY (ARRAY['normal', 'important', 'sensitive'])) THEN
        broken := 'drafts_risk_level_check';
    ELSIF NOT (revision >= 1) THEN
        broken := 'drafts_revision_check';
    ELSIF NOT (round >= 0) THEN
        broken := 'drafts_round_check';
    ELSIF NOT (current_step >= 0) THEN
        broken := 'drafts_current_step_check';
    ELSIF NOT ((status = 'in_review') = (current_stage IS NOT NULL)) THEN
        broken := 'drafts_check';
    ELSIF NOT ((status = 'in_review') = (current_step IS NOT NULL)
               AND (status = 'in_review') = (cardinality(current_stages) > 0)
               AND (current_stage IS NULL OR current_stage = current_stages[1])) THEN
        broken := 'drafts_current_step_in_review';
    ELSIF NOT (status = 'in_review' OR (due_at IS NULL AND NOT overdue)) THEN
        broken := 'drafts_check1';
    ELSIF NOT (source_kind = ANY (ARRAY['original', 'reprint'])) THEN
        broken := 'drafts_source_kind_check';
    ELSIF NOT ((source_kind = 'reprint') = (source_origin IS NOT NULL)) THEN
        broken := 'drafts_source_origin';
    ELSIF NOT (char_length(source_origin) >= 1 AND char_length(source_origin) <= 200) THEN
        broken := 'drafts_source_origin_check';
    ELSIF NOT ((corrects IS NULL) = (correction_note IS NULL)) THEN
        broken := 'drafts_correction_note';
    ELSIF NOT (char_length(correction_note) >= 1 AND char_length(correction_note) <= 500) THEN
        broken := 'drafts_correction_note_check';
    ELSIF NOT (corrected_by IS NULL OR status = ANY (ARRAY['corrected', 'retracted'])) THEN
        broken := 'drafts_corrected_by';
    END IF;
    IF broken IS NOT NULL THEN
        RAISE EXCEPTION 'new row for relation "drafts" violates check constraint "%"', broken
            USING ERRCODE = 'check_violation', CONSTRAINT = broken, TABLE = 'drafts';
    END IF;
    RETURN true;
END;
$$;

CREATE FUNCTION signoffs_row_check(stage text, decision text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    broken text;
BEGIN
    IF NOT (stage = ANY (ARRAY['review_1', 'review_2', 'review_3', 'proofread_1', 'proofread_2',
                               'proofread_3', 'leader'])) THEN
        broken := 'signoffs_stage_check';
    ELSIF NOT (decision = ANY (ARRAY['approve', 'return'])) THEN
        broken := 'signoffs_decision_check';
    END IF;
    IF broken IS NOT NULL THEN
        RAISE EXCEPTION 'new row for relation "signoffs" violates check constraint "%"', broken
            USING ERRCODE = 'check_violation', CONSTRAINT = broken, TABLE = 'signoffs';
    END IF;
    RETURN true;
END;
$$;

ALTER TABLE drafts
    DROP CONSTRAINT drafts_status_check,
    DROP CONSTRAINT drafts_current_stage_check,
    DROP CONSTRAINT drafts_risk_level_check,
    DROP CONSTRAINT drafts_revision_check,
    DROP CONSTRAINT drafts_round_check,
    DROP CONSTRAINT drafts_current_step_check,
    DROP CONSTRAINT drafts_check,
    DROP CONSTRAINT drafts_current_step_in_review,
    DROP CONSTRAINT drafts_check1,
    DROP CONSTRAINT drafts_source_kind_check,
    DROP CONSTRAINT drafts_source_origin,
    DROP CONSTRAINT drafts_source_origin_check,
    DROP CONSTRAINT drafts_correction_note,
    DROP CONSTRAINT drafts_correction_note_check,
    DROP CONSTRAINT drafts_corrected_by,
    ADD CONSTRAINT drafts_row_check CHECK (drafts_row_check(
        status, current_stage, current_step, current_stages, risk_level, revision, round,
        source_kind, source_origin, corrects, correction_note, corrected_by, due_at, overdue));

ALTER TABLE signoffs
    DROP CONSTRAINT signoffs_stage_check,
    DROP CONSTRAINT signoffs_decision_check,
    ADD CONSTRAINT signoffs_row_check CHECK (signoffs_row_check(stage, decision));
