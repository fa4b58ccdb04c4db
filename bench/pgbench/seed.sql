-- Seed for the pgbench side: run on a migrated database of its own.
INSERT INTO users (id, username, display_name, password_hash)
VALUES ('00000000-0000-0000-0000-000000000001', 'bench.author', 'bench', 'x'),
       ('00000000-0000-0000-0000-000000000002', 'bench.signer', 'bench', 'x');
CREATE TABLE bench_drafts (n integer PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_drafts SELECT n, gen_random_uuid() FROM generate_series(1, 1000) n;
INSERT INTO drafts (id, channel, author_id, risk_level, status, current_stage, workflow_version, revision, round)
SELECT id, 'portal', '00000000-0000-0000-0000-000000000001', 'normal', 'in_review', 'review_1', 1, 1, 1 FROM bench_drafts;
INSERT INTO revisions (draft_id, number, title, summary, body, format, content_hash, author_id)
SELECT id, 1, '基准测试稿件', '', repeat('正文。', 200), 'text', encode(sha256(id::text::bytea), 'hex'),
       '00000000-0000-0000-0000-000000000001' FROM bench_drafts;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, checks)
SELECT gen_random_uuid(), d.id, 1, 1, encode(sha256(d.id::text::bytea), 'hex'), s, '00000000-0000-0000-0000-000000000002', 'approve', '{}'
FROM bench_drafts d, unnest(ARRAY['review_1','proofread_1','review_2']) s;
ANALYZE;
