-- Delegation (代签, SPEC §8): a signer away hands signing to a deputy, on
-- the record, for at most 30 days. Rows are never deleted: a revocation is
-- stamped, so the trail can always say who could sign for whom, and when.
CREATE TABLE delegations (
    id            uuid PRIMARY KEY,
    principal_id  uuid NOT NULL REFERENCES users (id),
    delegate_id   uuid NOT NULL REFERENCES users (id),
    -- The stages the delegate may sign for the principal (never empty).
    stages        text[] NOT NULL CHECK (cardinality(stages) BETWEEN 1 AND 7),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    reason        text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    revoked_by    uuid REFERENCES users (id),
    CHECK (principal_id <> delegate_id),
    CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '30 days'),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX delegations_by_principal ON delegations (principal_id, created_at DESC);
CREATE INDEX delegations_by_delegate ON delegations (delegate_id, ends_at)
    WHERE revoked_at IS NULL;

-- A sign-off by a delegate names the principal it was signed for.
ALTER TABLE signoffs ADD COLUMN on_behalf_of uuid REFERENCES users (id);
