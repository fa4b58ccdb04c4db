-- Events wait here, unchained, from the transaction of their change until
-- the chainer links them (issue 4 item 8). A change's transaction inserts
-- its event here without touching audit_head, so changes no longer queue
-- on the head's lock; one chainer at a time (the one holding that lock)
-- moves committed events into audit_events in batches, one commit a batch.
-- The event is still written in the same transaction as its change
-- (invariant 7): a rolled-back change leaves nothing here either.
CREATE TABLE audit_pending (
    id            bigserial PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    actor_id      uuid,
    actor         text,
    action        text NOT NULL,
    draft_id      uuid,
    revision      integer,
    content_hash  text,
    stage         text,
    from_status   text,
    to_status     text,
    detail        jsonb NOT NULL,
    ip            text,
    request_id    text
);

-- A waiting event is never edited; it only leaves by being chained (the
-- chainer deletes it in the transaction that inserts it into the chain).
CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
