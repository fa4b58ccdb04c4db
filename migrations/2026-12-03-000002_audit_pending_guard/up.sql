-- A queued event leaves the queue only by being chained (issue 21): a DELETE
-- anywhere else would drop the event of a committed change before it is
-- chained, and the chain would still verify. The chainer declares itself
-- with a transaction-local setting in the transaction that inserts the
-- events into audit_events. Whoever gets past this (a superuser with
-- session_replication_role = replica, say) is caught by the reconciliation
-- in /audit/verify: the change is there, its event is not.
CREATE FUNCTION audit_pending_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('sanshen.chaining', true), '') <> 'on' THEN
        RAISE EXCEPTION 'queued audit events leave only by being chained: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER audit_pending_no_delete BEFORE DELETE ON audit_pending
    FOR EACH ROW EXECUTE FUNCTION audit_pending_refuse_delete();
