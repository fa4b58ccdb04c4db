-- SPEC §7: a draft's source (来源: original or reprint with its origin), and
-- corrections (更正): a correction draft names the published draft it
-- corrects; publishing it marks that draft `corrected` with `corrected_by`.

ALTER TABLE drafts
    ADD COLUMN source_kind text NOT NULL DEFAULT 'original'
        CHECK (source_kind IN ('original','reprint')),
    ADD COLUMN source_origin text
        CHECK (char_length(source_origin) BETWEEN 1 AND 200),
    ADD COLUMN corrects uuid REFERENCES drafts (id),
    ADD COLUMN correction_note text
        CHECK (char_length(correction_note) BETWEEN 1 AND 500),
    ADD COLUMN corrected_by uuid REFERENCES drafts (id),
    -- A reprint names its origin; an original names none.
    ADD CONSTRAINT drafts_source_origin
        CHECK ((source_kind = 'reprint') = (source_origin IS NOT NULL)),
    -- A correction carries its note, and only a correction does.
    ADD CONSTRAINT drafts_correction_note
        CHECK ((corrects IS NULL) = (correction_note IS NULL)),
    -- Only a corrected (or, if retracted meanwhile, retracted) draft names its corrector.
    ADD CONSTRAINT drafts_corrected_by
        CHECK (corrected_by IS NULL OR status IN ('corrected','retracted'));

ALTER TABLE drafts DROP CONSTRAINT drafts_status_check;
ALTER TABLE drafts ADD CONSTRAINT drafts_status_check CHECK (status IN (
    'draft','in_review','returned','publishable','published','withdrawn','retracted','corrected'));

-- One open correction per original at a time (a withdrawn one frees the
-- slot); the second of two concurrent requests meets this index.
CREATE UNIQUE INDEX drafts_one_open_correction ON drafts (corrects)
    WHERE corrects IS NOT NULL AND status <> 'withdrawn';
-- Foreign keys have indexes: the corrections of a draft, and who corrected it.
CREATE INDEX drafts_by_corrects ON drafts (corrects) WHERE corrects IS NOT NULL;
CREATE INDEX drafts_by_corrected_by ON drafts (corrected_by) WHERE corrected_by IS NOT NULL;
