-- One sign-off as sanshen does it, in its order: lock the draft and read
-- its current revision, check the stage, insert the sign-off, update the
-- draft, then append the chained audit event last, as src/audit/append.rs
-- does (lock audit_head, insert seq + 1 linked to the head's hash, move the
-- head), so that the head's lock is held from there through the commit.
-- The event's hash is SHA-256 over text of an event's size: the same class
-- of work as the JCS hash sanshen computes in Rust.
\set n random(1, 1000)
BEGIN;
SELECT d.status, d.current_stage, r.content_hash FROM drafts d JOIN bench_drafts b ON b.id = d.id
  JOIN revisions r ON r.draft_id = d.id AND r.number = d.revision WHERE b.n = :n FOR UPDATE OF d;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, comment, checks)
  SELECT gen_random_uuid(), id, 1, nextval('bench_round'), encode(sha256(id::text::bytea), 'hex'), 'review_1',
         '00000000-0000-0000-0000-000000000002', 'approve', '同意', ARRAY['political','legal','policy','secrecy','language','public_opinion']
  FROM bench_drafts WHERE n = :n;
UPDATE drafts SET current_stage = 'review_1', updated_at = now() WHERE id = (SELECT id FROM bench_drafts WHERE n = :n);
SELECT seq, hash FROM audit_head FOR UPDATE;
INSERT INTO audit_events (seq, occurred_at, actor_id, actor, action, draft_id, revision, content_hash, stage, from_status, to_status, detail, ip, request_id, prev_hash, hash)
  SELECT h.seq + 1, now(), '00000000-0000-0000-0000-000000000002', 'bench.signer', 'stage_approved', b.id, 1,
         encode(sha256(b.id::text::bytea), 'hex'), 'review_1', 'in_review', 'in_review',
         '{"checks":["political","legal","policy","secrecy","language","public_opinion"],"comment":"同意","next_stage":"proofread_1"}',
         '127.0.0.1', gen_random_uuid()::text, h.hash,
         encode(sha256(convert_to(concat_ws(',', h.seq + 1, now(), b.id, h.hash, repeat('stage_approved', 30)), 'UTF8')), 'hex')
  FROM audit_head h, bench_drafts b WHERE b.n = :n;
UPDATE audit_head SET seq = seq + 1, hash = (SELECT hash FROM audit_events WHERE seq = audit_head.seq + 1);
COMMIT;
