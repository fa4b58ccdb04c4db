DROP TABLE overdue_steps;
DROP INDEX drafts_falling_due;
ALTER TABLE drafts DROP COLUMN overdue, DROP COLUMN due_at;
