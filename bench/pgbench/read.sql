-- A point read of a draft with its current revision and sign-offs.
\set n random(1, 1000)
SELECT d.* , r.title, r.summary, r.body, r.format, r.content_hash FROM drafts d JOIN bench_drafts b ON b.id = d.id
  JOIN revisions r ON r.draft_id = d.id AND r.number = d.revision WHERE b.n = :n;
SELECT s.*, u.username FROM signoffs s JOIN users u ON u.id = s.signer_id
  WHERE s.draft_id = (SELECT id FROM bench_drafts WHERE n = :n) AND s.revision = 1 AND s.round = 1;
