-- Drafts (稿件), their immutable revisions, sign-offs (签字) and comments.

CREATE TABLE drafts (
    id                uuid PRIMARY KEY,
    channel           text NOT NULL REFERENCES channels (code),
    author_id         uuid NOT NULL REFERENCES users (id),
    department_id     uuid REFERENCES departments (id),
    risk_level        text NOT NULL CHECK (risk_level IN ('normal','important','sensitive')),
    status            text NOT NULL CHECK (status IN (
        'draft','in_review','returned','publishable','published','withdrawn','retracted')),
    current_stage     text CHECK (current_stage IN (
        'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3')),
    -- Set on submission; a draft keeps the workflow version it was submitted under.
    workflow_version  integer,
    revision          integer NOT NULL CHECK (revision >= 1),
    -- Each submission opens a new round; approvals of earlier rounds count for nothing.
    round             integer NOT NULL DEFAULT 0 CHECK (round >= 0),
    published_url     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (channel, workflow_version) REFERENCES workflows (channel, version),
    CHECK ((status = 'in_review') = (current_stage IS NOT NULL))
);
CREATE INDEX drafts_by_created ON drafts (created_at DESC, id DESC);
CREATE INDEX drafts_by_author ON drafts (author_id, created_at DESC, id DESC);
CREATE INDEX drafts_by_status ON drafts (status, created_at DESC, id DESC);
CREATE INDEX drafts_by_channel ON drafts (channel, created_at DESC, id DESC);
CREATE INDEX drafts_by_stage ON drafts (current_stage, updated_at, id) WHERE current_stage IS NOT NULL;
CREATE INDEX drafts_by_risk ON drafts (risk_level, created_at DESC, id DESC);

CREATE TABLE revisions (
    draft_id      uuid NOT NULL REFERENCES drafts (id),
    number        integer NOT NULL CHECK (number >= 1),
    title         text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    summary       text NOT NULL CHECK (char_length(summary) <= 120),
    body          text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 200000),
    format        text NOT NULL CHECK (format IN ('html','markdown','text')),
    content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    author_id     uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (draft_id, number)
);
CREATE INDEX revisions_by_hash ON revisions (content_hash);

CREATE TABLE signoffs (
    id            uuid PRIMARY KEY,
    draft_id      uuid NOT NULL REFERENCES drafts (id),
    revision      integer NOT NULL,
    round         integer NOT NULL,
    content_hash  text NOT NULL,
    stage         text NOT NULL CHECK (stage IN (
        'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3')),
    signer_id     uuid NOT NULL REFERENCES users (id),
    decision      text NOT NULL CHECK (decision IN ('approve','return')),
    comment       text,
    checks        text[] NOT NULL DEFAULT '{}',
    signed_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (draft_id, revision) REFERENCES revisions (draft_id, number)
);
-- A second line of defence behind the row lock: one approval per stage per round.
CREATE UNIQUE INDEX signoffs_one_approval ON signoffs (draft_id, round, stage)
    WHERE decision = 'approve';
CREATE INDEX signoffs_by_draft ON signoffs (draft_id, revision, signed_at);

CREATE TABLE comments (
    id          uuid PRIMARY KEY,
    draft_id    uuid NOT NULL REFERENCES drafts (id),
    author_id   uuid NOT NULL REFERENCES users (id),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_by_draft ON comments (draft_id, created_at, id);
