ALTER TABLE signoffs DROP COLUMN acknowledged;
DROP TABLE check_reports;
DROP TABLE lexicon_entries;
DROP TABLE lexicons;
