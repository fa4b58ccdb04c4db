//! The SQL that loads a year of a large office (issue 19 item 3), run by
//! psql in one transaction. For `n` drafts: 100 authors; revisions (half
//! the published drafts were returned once and edited); about 7 sign-offs
//! per draft; 25 audit events per draft (10 on the draft, 15 logins), in
//! time order over one year, continuing the trail's `seq` after its head.
//! The events' hashes are not a valid chain: `/audit/verify` is not
//! measured on this data (its reconciliation is EXPLAINed instead).

/// An office to load: its drafts, its authors (`<prefix>.author<k>`), the
/// percentage of its newest drafts still in review (spread over the six
/// stages), and its time: beginning this long ago, spanning this long.
pub struct Office {
    pub drafts: u64,
    pub authors: u64,
    pub in_review: u64,
    pub prefix: &'static str,
    pub begins_ago: &'static str,
    pub spans: &'static str,
}

/// A year of a large office: `n` drafts by 100 authors, 1 % in review.
pub fn year(n: u64) -> Office {
    Office {
        drafts: n,
        authors: 100,
        in_review: 1,
        prefix: "scale",
        begins_ago: "1 year",
        spans: "1 year",
    }
}

/// The smallest office that fills every page the scenario reads (51 rows:
/// 60 drafts at each stage, 60 by each author, 120 sensitive), a month
/// long and before the year, so that the trail stays in time order when
/// the year follows it.
pub fn one_page() -> Office {
    Office {
        drafts: 600,
        authors: 10,
        in_review: 60,
        prefix: "page",
        begins_ago: "2 years",
        spans: "1 month",
    }
}

/// The loader for an office. Drafts are numbered 0..n, oldest first.
pub fn loader(office: &Office) -> String {
    let Office {
        drafts: n,
        authors,
        in_review,
        prefix,
        begins_ago,
        spans,
    } = office;
    format!(
        r#"
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL synchronous_commit = off;
-- The chainer waits: nothing may take a seq while these are added.
SELECT 1 FROM audit_head FOR UPDATE;
CREATE TEMP TABLE scale_signers AS
SELECT s.pos, u.id FROM unnest(ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])
       WITH ORDINALITY AS s(stage, pos)
JOIN users u ON u.username = 'bench.' || s.stage;
CREATE TEMP TABLE scale_channels AS
SELECT row_number() OVER (ORDER BY channel) - 1 AS k, channel, max(version) AS version
FROM workflows GROUP BY channel;
CREATE TEMP TABLE scale_authors AS
SELECT g - 1 AS ak, gen_random_uuid() AS id FROM generate_series(1, {authors}) g;
INSERT INTO users (id, username, display_name, password_hash, created_at)
SELECT id, '{prefix}.author' || ak, '作者' || ak, 'unusable', now() - interval '13 months' FROM scale_authors;

-- 25 events per draft over a year: draft d's events are seq base+25d+1 ….
CREATE TEMP TABLE scale_clock AS
SELECT (SELECT seq FROM audit_head) AS base,
       now() - interval '{begins_ago}' AS start,
       interval '{spans}' / ({n} * 25) AS step;
CREATE TEMP TABLE scale_drafts AS
SELECT d, gen_random_uuid() AS id,
       CASE WHEN d >= {n} * (100 - {in_review}) / 100 THEN 'in_review'
            WHEN d % 50 = 1 THEN 'returned'
            WHEN d % 50 = 2 THEN 'draft'
            WHEN d % 50 = 3 THEN 'withdrawn'
            ELSE 'published' END AS status,
       CASE WHEN d % 2 = 0 AND d < {n} * (100 - {in_review}) / 100 AND d % 50 > 3 THEN 2 ELSE 1 END AS revs,
       (d % 6) + 1 AS stage_pos,
       c.start + c.step * (d * 25) AS created_at
FROM generate_series(0, {n} - 1) d, scale_clock c;
ALTER TABLE scale_drafts ADD PRIMARY KEY (d);

INSERT INTO drafts (id, channel, author_id, risk_level, status, current_stage, current_step,
                    current_stages, workflow_version, revision, round, published_url, created_at, updated_at,
                    title, content_hash)
SELECT s.id, ch.channel, a.id,
       (ARRAY['normal','normal','normal','important','sensitive'])[s.d % 5 + 1],
       s.status,
       CASE WHEN s.status = 'in_review'
            THEN (ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])[s.stage_pos] END,
       -- Every seeded route opens the six one per step: the step is the stage's place.
       CASE WHEN s.status = 'in_review' THEN s.stage_pos - 1 END,
       CASE WHEN s.status = 'in_review'
            THEN ARRAY[(ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])[s.stage_pos]]
            ELSE '{{}}'::text[] END,
       CASE WHEN s.status <> 'draft' THEN ch.version END,
       s.revs, CASE WHEN s.status = 'draft' THEN 0 ELSE s.revs END,
       CASE WHEN s.status = 'published' THEN 'https://example.org/a/' || s.d END,
       s.created_at, s.created_at + c.step * 20,
       -- The current revision's, as below: written here, the revisions'
       -- trigger (migration 000160) finds the row up to date and leaves it.
       '年度稿件 ' || s.d, encode(sha256(convert_to('{prefix} ' || s.d || ' ' || s.revs, 'UTF8')), 'hex')
FROM scale_drafts s, scale_clock c, scale_channels ch, scale_authors a
WHERE ch.k = s.d % (SELECT count(*) FROM scale_channels) AND a.ak = s.d % {authors};

INSERT INTO revisions (draft_id, number, title, summary, body, format, content_hash, author_id, created_at)
SELECT s.id, r, '年度稿件 ' || s.d, '', '正文 ' || s.d || ' 修订 ' || r, 'text',
       encode(sha256(convert_to('{prefix} ' || s.d || ' ' || r, 'UTF8')), 'hex'),
       a.id, s.created_at + c.step * (r - 1) * 5
FROM scale_drafts s CROSS JOIN generate_series(1, 2) r, scale_clock c, scale_authors a
WHERE r <= s.revs AND a.ak = s.d % {authors};

-- Published: six approvals of the last revision; in review: those before
-- its stage; returned once: three sign-offs of revision 1, the last a return.
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, checks, signed_at)
SELECT gen_random_uuid(), s.id, s.revs, s.revs,
       encode(sha256(convert_to('{prefix} ' || s.d || ' ' || s.revs, 'UTF8')), 'hex'),
       (ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])[p.pos],
       p.id, 'approve', '{{}}'::text[], s.created_at + c.step * (10 + p.pos)
FROM scale_drafts s JOIN scale_signers p
  ON (s.status = 'published' OR (s.status = 'in_review' AND p.pos < s.stage_pos)), scale_clock c
UNION ALL
SELECT gen_random_uuid(), s.id, 1, 1,
       encode(sha256(convert_to('{prefix} ' || s.d || ' 1', 'UTF8')), 'hex'),
       (ARRAY['review_1','proofread_1','review_2'])[p.pos],
       p.id, CASE WHEN p.pos = 3 THEN 'return' ELSE 'approve' END, '{{}}'::text[], s.created_at + c.step * (2 + p.pos)
FROM scale_drafts s JOIN scale_signers p ON s.revs = 2 AND p.pos <= 3, scale_clock c;

-- The year is chained after the setup's events, recorded now: as data it
-- would be a year late, and the head's max_lag a year (no time window
-- narrower than the trail). A year of real use is chronological; the
-- lateness starts afresh here, and only the setup's few events (never in
-- a measured window) are out of step with it.
UPDATE audit_head SET latest_at = NULL, max_lag = '0';
INSERT INTO audit_events (seq, occurred_at, actor_id, actor, action, draft_id, revision, content_hash,
                          stage, from_status, to_status, detail, ip, request_id, prev_hash, hash)
SELECT c.base + s.d * 25 + k + 1, c.start + c.step * (s.d * 25 + k),
       CASE WHEN k IN (0, 1, 8) OR k >= 10 THEN a.id ELSE p.id END,
       CASE WHEN k IN (0, 1, 8) OR k >= 10 THEN '{prefix}.author' || (s.d % {authors}) ELSE 'signer' END,
       (ARRAY['draft_created','draft_submitted','stage_approved','stage_approved','stage_approved',
              'stage_approved','stage_approved','stage_approved','draft_published','comment_added'])[k + 1],
       s.id, 1, encode(sha256(convert_to('{prefix} ' || s.d || ' 1', 'UTF8')), 'hex'),
       CASE WHEN k BETWEEN 2 AND 7
            THEN (ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])[k - 1] END,
       NULL, NULL, '{{}}'::jsonb, '10.0.0.1', NULL, 'scale', 'scale'
FROM scale_drafts s CROSS JOIN generate_series(0, 9) k, scale_clock c, scale_authors a, scale_signers p
WHERE a.ak = s.d % {authors} AND p.pos = greatest(1, least(6, k - 1))
UNION ALL
SELECT c.base + s.d * 25 + k + 1, c.start + c.step * (s.d * 25 + k),
       a.id, '{prefix}.author' || ((s.d + k) % {authors}), 'login', NULL, NULL, NULL, NULL, NULL, NULL,
       jsonb_build_object('session_id', gen_random_uuid()), '10.0.0.1', NULL, 'scale', 'scale'
FROM scale_drafts s CROSS JOIN generate_series(10, 24) k, scale_clock c, scale_authors a
WHERE a.ak = (s.d + k) % {authors};

UPDATE audit_head SET seq = (SELECT base + {n} * 25 FROM scale_clock), hash = 'scale';
COMMIT;
ANALYZE;
"#
    )
}
