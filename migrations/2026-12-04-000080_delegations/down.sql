ALTER TABLE signoffs DROP COLUMN on_behalf_of;
DROP TABLE delegations;
