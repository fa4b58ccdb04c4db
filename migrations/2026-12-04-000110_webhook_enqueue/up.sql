-- The webhook outbox rows of an event (SPEC §8), as a function: PL/pgSQL
-- keeps the plans of its statements for the session, where the same
-- INSERT sent from the server was parsed and planned on every call (about
-- 2 ms of the database's time on each sign-off, webhooks or none; issue 19
-- item 2). With nobody subscribed to the event it costs one index probe.
--
-- The payload of each subscribed webhook, built from the draft as the
-- change left it. Title, channel, tier and ids only: never the body or
-- summary. `draft.step_opened` names who may sign the opened stages now
-- (SPEC §5, §8): each holder of a grant for one of them whose scope covers
-- the draft, and each delegate in force of such a holder for that stage;
-- nobody disabled, and nobody invariants 2 and 3 bar, checked for both
-- the delegate and the principal: not the author, not someone who signed
-- (or was signed for) another stage of the same kind, or `leader` and
-- anything else, of this revision, nor this stage in this round. The
-- stage kind is the name before `_` (`review_2` → `review`).
CREATE FUNCTION webhook_enqueue(p_event text, p_stages text[], p_actor_id uuid, p_actor text,
                                p_draft_id uuid, p_status text, p_revision integer)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    written integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE p_event = ANY(events)) THEN
        RETURN 0;
    END IF;
    INSERT INTO webhook_deliveries (id, webhook_id, event_type, payload)
    SELECT gen_random_uuid(), w.id, p_event,
      jsonb_build_object(
        'type', p_event,
        'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'data', jsonb_build_object(
          'draft_id', d.id, 'channel', d.channel, 'department_id', d.department_id,
          'tier', d.risk_level, 'title', r.title, 'revision', r.number,
          'content_hash', r.content_hash, 'status', p_status::text,
          'stage', (p_stages::text[])[1], 'stages', to_jsonb(p_stages::text[]),
          'actor', CASE WHEN p_actor_id::uuid IS NULL THEN NULL
                   ELSE jsonb_build_object('id', p_actor_id::uuid, 'username', p_actor::text) END
        ) || CASE WHEN p_event = 'draft.step_opened' THEN jsonb_build_object('eligible_signers',
          (SELECT coalesce(jsonb_agg(DISTINCT x.signer), '[]'::jsonb)
             FROM (SELECT g.user_id AS signer, g.user_id AS principal, g.role AS stage
                     FROM grants g JOIN users u ON u.id = g.user_id
                    WHERE g.role = ANY(p_stages) AND NOT u.disabled
                      AND (g.channel IS NULL OR g.channel = d.channel)
                      AND (g.department_id IS NULL OR g.department_id = d.department_id)
                   UNION ALL
                   SELECT dl.delegate_id, g.user_id, g.role
                     FROM grants g JOIN users u ON u.id = g.user_id
                     JOIN delegations dl ON dl.principal_id = g.user_id
                     JOIN users du ON du.id = dl.delegate_id
                    WHERE g.role = ANY(p_stages) AND NOT u.disabled AND NOT du.disabled
                      AND (g.channel IS NULL OR g.channel = d.channel)
                      AND (g.department_id IS NULL OR g.department_id = d.department_id)
                      AND g.role = ANY(dl.stages) AND dl.revoked_at IS NULL
                      AND dl.starts_at <= now() AND dl.ends_at > now()) x
            WHERE d.author_id NOT IN (x.signer, x.principal)
              AND NOT EXISTS (
                SELECT 1 FROM signoffs s
                 WHERE s.draft_id = d.id AND s.revision = r.number
                   AND (s.signer_id IN (x.signer, x.principal)
                        OR s.on_behalf_of IN (x.signer, x.principal))
                   AND CASE WHEN s.stage = x.stage THEN s.round = d.round
                            ELSE split_part(s.stage, '_', 1) = split_part(x.stage, '_', 1)
                                 OR 'leader' IN (s.stage, x.stage) END)))
        ELSE '{}'::jsonb END)
    FROM webhooks w, drafts d
    JOIN revisions r ON r.draft_id = d.id AND r.number = p_revision
    WHERE d.id = p_draft_id AND p_event = ANY(w.events);
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END;
$fn$;
