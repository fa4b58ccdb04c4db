DROP INDEX drafts_by_corrected_by;
DROP INDEX drafts_by_corrects;
DROP INDEX drafts_one_open_correction;
ALTER TABLE drafts DROP CONSTRAINT drafts_status_check;
UPDATE drafts SET status = 'retracted' WHERE status = 'corrected';
ALTER TABLE drafts ADD CONSTRAINT drafts_status_check CHECK (status IN (
    'draft','in_review','returned','publishable','published','withdrawn','retracted'));
ALTER TABLE drafts
    DROP CONSTRAINT drafts_corrected_by,
    DROP CONSTRAINT drafts_correction_note,
    DROP CONSTRAINT drafts_source_origin,
    DROP COLUMN corrected_by,
    DROP COLUMN correction_note,
    DROP COLUMN corrects,
    DROP COLUMN source_origin,
    DROP COLUMN source_kind;
