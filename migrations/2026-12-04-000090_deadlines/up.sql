-- Deadlines (SPEC §8): when the open step falls due, and whether the
-- deadline runner has found it overdue. Set when a step with due_hours
-- opens, kept while it stays open, cleared when the draft leaves review.
ALTER TABLE drafts
    ADD COLUMN due_at timestamptz,
    ADD COLUMN overdue boolean NOT NULL DEFAULT false,
    ADD CHECK (status = 'in_review' OR (due_at IS NULL AND NOT overdue));
CREATE INDEX drafts_falling_due ON drafts (due_at)
    WHERE status = 'in_review' AND due_at IS NOT NULL AND NOT overdue;

-- One `step_overdue` per (draft, round, step), however many runners race.
CREATE TABLE overdue_steps (
    draft_id  uuid NOT NULL REFERENCES drafts (id),
    round     integer NOT NULL,
    step      integer NOT NULL,
    due_at    timestamptz NOT NULL,
    fired_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (draft_id, round, step)
);
