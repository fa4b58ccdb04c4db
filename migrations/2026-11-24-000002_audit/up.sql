-- The audit trail: append-only, hash-chained (SPEC §2 invariants 7 and 8).

CREATE TABLE audit_events (
    seq           bigint PRIMARY KEY CHECK (seq >= 1),
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
    request_id    text,
    prev_hash     text NOT NULL,
    hash          text NOT NULL
);
CREATE INDEX audit_events_draft ON audit_events (draft_id, seq) WHERE draft_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);
CREATE INDEX audit_events_time ON audit_events (occurred_at);

-- The head of the chain: one row, locked by each appending transaction, so
-- appends serialize and seq stays gapless (a sequence would leave gaps on
-- rollback). It holds nothing the events do not: verification ignores it.
CREATE TABLE audit_head (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq        bigint NOT NULL,
    hash       text NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Triggers bind the table's owner too; only a superuser who switches
-- session_replication_role can pass them, and verification catches that.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
