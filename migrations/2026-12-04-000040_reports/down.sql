DROP INDEX audit_events_published;
DROP TABLE department_quotas;
