-- Seed for the pgbench side: run on a migrated database of its own.
INSERT INTO users (id, username, display_name, password_hash)
VALUES ('00000000-0000-0000-0000-000000000001', 'bench.author', 'bench', 'x'),
       ('00000000-0000-0000-0000-000000000002', 'bench.signer', 'bench', 'x');
CREATE TABLE bench_drafts (n integer PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_drafts SELECT n, gen_random_uuid() FROM generate_series(1, 1000) n;
-- In review at the first step (the routes' columns: a draft in review has
-- its step and open stages, current_stage the first of them).
INSERT INTO drafts (id, channel, author_id, risk_level, status, current_stage, current_step, current_stages,
                    workflow_version, revision, round)
SELECT id, 'portal', '00000000-0000-0000-0000-000000000001', 'normal', 'in_review', 'review_1', 0, ARRAY['review_1'],
       1, 1, 1 FROM bench_drafts;
INSERT INTO revisions (draft_id, number, title, summary, body, format, content_hash, author_id)
SELECT id, 1, '基准测试稿件', '', repeat('正文。', 200), 'text', encode(sha256(id::text::bytea), 'hex'),
       '00000000-0000-0000-0000-000000000001' FROM bench_drafts;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, checks)
SELECT gen_random_uuid(), d.id, 1, 1, encode(sha256(d.id::text::bytea), 'hex'), s, '00000000-0000-0000-0000-000000000002', 'approve', '{}'
FROM bench_drafts d, unnest(ARRAY['review_1','proofread_1','review_2']) s;
-- Rounds for the sign-offs the scripts insert: each its own, so that none
-- collides with another on (draft, round, stage), however long the runs.
CREATE SEQUENCE bench_round START 2;
ANALYZE;

-- The batched chain, as sanshen does it (src/audit/chainer.rs): each
-- sign-off's transaction queues its event unchained in audit_pending (no
-- global lock); one writer at a time (the holder of audit_head's lock)
-- chains what has committed, in batches, one commit per batch.
-- Chains up to `max` pending events after the head, in staging order.
CREATE FUNCTION bench_chain_batch(max integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    e record;
    s bigint;
    prev text;
    next_hash text;
    n integer := 0;
BEGIN
    -- The queue refuses a DELETE from anything but a chainer.
    PERFORM set_config('sanshen.chaining', 'on', true);
    SELECT seq, hash INTO s, prev FROM audit_head FOR UPDATE;
    FOR e IN
        WITH batch AS (
            DELETE FROM audit_pending
            WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT max)
            RETURNING *
        )
        SELECT * FROM batch ORDER BY id
    LOOP
        s := s + 1;
        next_hash := encode(sha256(convert_to(concat_ws(',', s, e.occurred_at, e.draft_id, prev,
                                                        repeat(e.action, 30)), 'UTF8')), 'hex');
        INSERT INTO audit_events (seq, occurred_at, actor_id, actor, action, draft_id, revision,
                                  content_hash, stage, from_status, to_status, detail, ip,
                                  request_id, prev_hash, hash)
        VALUES (s, e.occurred_at, e.actor_id, e.actor, e.action, e.draft_id, e.revision,
                e.content_hash, e.stage, e.from_status, e.to_status, e.detail, e.ip,
                e.request_id, prev, next_hash);
        prev := next_hash;
        n := n + 1;
    END LOOP;
    IF n > 0 THEN
        UPDATE audit_head SET seq = s, hash = prev;
    END IF;
    RETURN n;
END;
$$;
