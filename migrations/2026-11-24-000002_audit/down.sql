-- Dropping the table is the one way out; it is a deliberate, visible act.
DROP TABLE audit_events;
DROP FUNCTION audit_events_refuse_change();
DROP TABLE audit_head;
