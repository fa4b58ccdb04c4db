-- Machine check (SPEC §6): lexicons and their entries, the reports stored
-- on submit, and the acknowledgements a first-step signer gives.

-- A word list an office keeps (错敏词库). `channels` NULL: every channel.
-- `version` grows by one per replacement of the entries; instances compare
-- it with the matcher they built to notice another instance's change.
CREATE TABLE lexicons (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    channels        text[],
    version         integer NOT NULL DEFAULT 0,
    entry_count     integer NOT NULL DEFAULT 0,
    entries_sha256  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lexicon_entries (
    lexicon_id  uuid NOT NULL REFERENCES lexicons (id),
    position    integer NOT NULL,
    term        text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('block', 'warn')),
    suggestion  text,
    note        text,
    PRIMARY KEY (lexicon_id, position)
);

-- One per check stored on submit, bound to the revision's content_hash and
-- the lexicon versions used; the newest of a draft is the one in force.
CREATE TABLE check_reports (
    id                bigserial PRIMARY KEY,
    draft_id          uuid NOT NULL REFERENCES drafts (id),
    revision          integer NOT NULL,
    content_hash      text NOT NULL,
    lexicon_versions  jsonb NOT NULL,
    findings          jsonb NOT NULL,
    report_hash       text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX check_reports_by_draft ON check_reports (draft_id, id);

-- The finding ids a signer acknowledged with an approval.
ALTER TABLE signoffs ADD COLUMN acknowledged text[] NOT NULL DEFAULT '{}';
