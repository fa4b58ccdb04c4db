DROP INDEX drafts_tasks;
