-- `/audit/events?since=…&until=…` at a year's scale (issue 19 item 3).
-- The trail is ordered by `seq` (chain order) but filtered by `occurred_at`
-- (when the change was recorded, before it committed), so a page walked
-- the primary key through millions of rows before the window began.
--
-- The two orders differ only by how late an event is chained after a
-- later-recorded one: `max_lag` is the largest such lateness ever seen,
-- kept here for every insert into the trail, whoever makes it. A reader
-- then turns a time window into a seq range that provably holds it: an
-- event recorded before `since - max_lag` precedes, in the chain, every
-- event recorded at or after `since` (and symmetrically for `until`).
ALTER TABLE audit_head
    ADD COLUMN latest_at timestamptz,
    ADD COLUMN max_lag interval NOT NULL DEFAULT '0';

-- The events of one statement, in chain order, against the head's latest
-- time so far. Non-finite times (only a hand-made row has one) are skipped.
CREATE FUNCTION audit_events_track_lag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head h
       SET latest_at = GREATEST(h.latest_at, x.latest),
           max_lag = GREATEST(h.max_lag, x.lag)
      FROM (SELECT max(occurred_at) AS latest,
                   COALESCE(max(ahead - occurred_at), '0') AS lag
              FROM (SELECT occurred_at,
                           GREATEST(max(occurred_at) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING),
                                    (SELECT latest_at FROM audit_head)) AS ahead
                      FROM new_events
                     WHERE isfinite(occurred_at)) r) x;
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_events_lag AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_track_lag();

-- What is already chained.
UPDATE audit_head h
   SET latest_at = x.latest, max_lag = x.lag
  FROM (SELECT max(occurred_at) AS latest,
               COALESCE(max(ahead - occurred_at), '0') AS lag
          FROM (SELECT occurred_at,
                       max(occurred_at) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS ahead
                  FROM audit_events
                 WHERE isfinite(occurred_at)) r) x;
