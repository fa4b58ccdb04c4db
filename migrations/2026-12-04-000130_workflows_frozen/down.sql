DROP TRIGGER workflows_frozen ON workflows;
DROP FUNCTION workflows_frozen();
