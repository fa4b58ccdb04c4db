-- Events still waiting would be lost: refuse while there are any.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_pending) THEN
        RAISE EXCEPTION 'audit_pending still holds unchained events; start sanshen once to chain them';
    END IF;
END;
$$;
DROP TABLE audit_pending;
