-- signoff_chain.sql in the batched design (see seed.sql): the event goes
-- into the staging table in the sign-off's own transaction, unchained and
-- without the global lock; chain_batch.sql, run beside it by one client,
-- chains it shortly after its commit.
\set n random(1, 1000)
BEGIN;
SELECT d.status, d.current_stage, r.content_hash FROM drafts d JOIN bench_drafts b ON b.id = d.id
  JOIN revisions r ON r.draft_id = d.id AND r.number = d.revision WHERE b.n = :n FOR UPDATE OF d;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, comment, checks)
  SELECT gen_random_uuid(), id, 1, nextval('bench_round'), encode(sha256(id::text::bytea), 'hex'), 'review_1',
         '00000000-0000-0000-0000-000000000002', 'approve', '同意', ARRAY['political','legal','policy','secrecy','language','public_opinion']
  FROM bench_drafts WHERE n = :n;
UPDATE drafts SET current_stage = 'review_1', updated_at = now() WHERE id = (SELECT id FROM bench_drafts WHERE n = :n);
INSERT INTO audit_pending (occurred_at, actor_id, actor, action, draft_id, revision, content_hash, stage, from_status, to_status, detail, ip, request_id)
  SELECT now(), '00000000-0000-0000-0000-000000000002', 'bench.signer', 'stage_approved', b.id, 1,
         encode(sha256(b.id::text::bytea), 'hex'), 'review_1', 'in_review', 'in_review',
         '{"checks":["political","legal","policy","secrecy","language","public_opinion"],"comment":"同意","next_stage":"proofread_1"}',
         '127.0.0.1', gen_random_uuid()::text
  FROM bench_drafts b WHERE b.n = :n;
COMMIT;
