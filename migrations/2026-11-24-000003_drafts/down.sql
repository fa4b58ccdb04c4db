DROP TABLE comments;
DROP TABLE signoffs;
DROP TABLE revisions;
DROP TABLE drafts;
