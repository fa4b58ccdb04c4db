-- SPEC §8 webhooks: the subscriptions, and the outbox that is also the
-- delivery log. An outbox row is written in the transaction of the change
-- it announces, so no change is announced that did not commit, and none
-- that committed is lost.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY,
    url         text NOT NULL CHECK (url ~ '^https?://'),
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    format      text NOT NULL CHECK (format IN ('standard', 'wecom', 'dingtalk')),
    -- Needed in clear to sign each delivery (HMAC); never returned by the API.
    secret      text,
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_created ON webhooks (created_at, id);
CREATE INDEX webhooks_created_by ON webhooks (created_by);

CREATE TABLE webhook_deliveries (
    -- The list order of the delivery log, and its cursor.
    seq              bigserial PRIMARY KEY,
    -- The Standard Webhooks `webhook-id`: the same on every retry, so that
    -- a receiver can drop the duplicates at-least-once delivery may bring.
    id               uuid NOT NULL UNIQUE,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    -- {type, timestamp, data}: never a draft's body or summary.
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a sender may take it next. A sender that claims a row pushes
    -- this past its request timeout (a lease): if that sender dies
    -- mid-delivery, another one retries after the lease.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status      integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (webhook_id, seq);
