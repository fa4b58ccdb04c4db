DROP TRIGGER audit_events_lag ON audit_events;
DROP FUNCTION audit_events_track_lag();
ALTER TABLE audit_head DROP COLUMN latest_at, DROP COLUMN max_lag;
