-- A workflow version, once written, is what every draft submitted under it
-- was reviewed against: it is never changed or removed (a new version is
-- published instead). The servers cache versions on that promise (issue 19
-- item 2), so the database keeps it.
CREATE FUNCTION workflows_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'workflow % version % is immutable; publish a new version',
        OLD.channel, OLD.version
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER workflows_frozen BEFORE UPDATE OR DELETE ON workflows
    FOR EACH ROW EXECUTE FUNCTION workflows_frozen();
