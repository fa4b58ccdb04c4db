-- One sign-off as sanshen does it: lock the draft, check the stage, insert
-- the sign-off, append the chained audit event, update the draft.
\set n random(1, 1000)
\set round random(2, 2000000000)
BEGIN;
SELECT d.status, d.current_stage, r.content_hash FROM drafts d JOIN bench_drafts b ON b.id = d.id
  JOIN revisions r ON r.draft_id = d.id AND r.number = d.revision WHERE b.n = :n FOR UPDATE OF d;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, comment, checks)
  SELECT gen_random_uuid(), id, 1, :round, encode(sha256(id::text::bytea), 'hex'), 'review_1',
         '00000000-0000-0000-0000-000000000002', 'approve', '同意', ARRAY['political','legal','policy','secrecy','language','public_opinion']
  FROM bench_drafts WHERE n = :n;
SELECT seq, hash FROM audit_head FOR UPDATE;
INSERT INTO audit_events (seq, occurred_at, actor_id, actor, action, draft_id, revision, content_hash, stage, from_status, to_status, detail, ip, request_id, prev_hash, hash)
  SELECT h.seq + 1, now(), '00000000-0000-0000-0000-000000000002', 'bench.signer', 'stage_approved', b.id, 1, 'x', 'review_1',
         'in_review', 'in_review', '{"comment":"同意"}', '127.0.0.1', gen_random_uuid()::text, h.hash,
         encode(sha256((h.seq + 1)::text::bytea || h.hash::bytea), 'hex')
  FROM audit_head h, bench_drafts b WHERE b.n = :n;
UPDATE audit_head SET seq = seq + 1, hash = (SELECT hash FROM audit_events WHERE seq = audit_head.seq + 1);
UPDATE drafts SET current_stage = 'review_1', updated_at = now() WHERE id = (SELECT id FROM bench_drafts WHERE n = :n);
COMMIT;
