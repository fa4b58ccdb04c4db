-- signoff_chain.sql without the audit append: what the chain costs at the
-- database. Lock the draft, check the stage, insert the sign-off, update
-- the draft.
\set n random(1, 1000)
BEGIN;
SELECT d.status, d.current_stage, r.content_hash FROM drafts d JOIN bench_drafts b ON b.id = d.id
  JOIN revisions r ON r.draft_id = d.id AND r.number = d.revision WHERE b.n = :n FOR UPDATE OF d;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, comment, checks)
  SELECT gen_random_uuid(), id, 1, nextval('bench_round'), encode(sha256(id::text::bytea), 'hex'), 'review_1',
         '00000000-0000-0000-0000-000000000002', 'approve', '同意', ARRAY['political','legal','policy','secrecy','language','public_opinion']
  FROM bench_drafts WHERE n = :n;
UPDATE drafts SET current_stage = 'review_1', updated_at = now() WHERE id = (SELECT id FROM bench_drafts WHERE n = :n);
COMMIT;
