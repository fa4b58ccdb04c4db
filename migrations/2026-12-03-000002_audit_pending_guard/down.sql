DROP TRIGGER audit_pending_no_delete ON audit_pending;
DROP FUNCTION audit_pending_refuse_delete();
