-- SPEC §5: the leader stage, routes per risk tier, co-signing (会签).
-- No draft's status, stage or round changes here.

-- The leader (审定) is a signing role and a stage like the six.
ALTER TABLE grants DROP CONSTRAINT grants_role_check;
ALTER TABLE grants ADD CONSTRAINT grants_role_check CHECK (role IN (
    'admin','auditor','editor','publisher',
    'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3','leader'));
ALTER TABLE signoffs DROP CONSTRAINT signoffs_stage_check;
ALTER TABLE signoffs ADD CONSTRAINT signoffs_stage_check CHECK (stage IN (
    'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3','leader'));
ALTER TABLE drafts DROP CONSTRAINT drafts_current_stage_check;
ALTER TABLE drafts ADD CONSTRAINT drafts_current_stage_check CHECK (current_stage IN (
    'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3','leader'));

-- A version is now three routes; the application validates their shape
-- (domain::route), the database that they are there.
ALTER TABLE workflows ADD COLUMN routes jsonb;
-- An existing version meant one chain for every tier: so it stays, and
-- drafts pinned to it go on exactly as before.
UPDATE workflows SET routes = jsonb_build_object(
    'normal', r.chain, 'important', r.chain, 'sensitive', r.chain)
FROM (
    SELECT channel AS c, version AS v,
           jsonb_agg(jsonb_build_object('stages', jsonb_build_array(s), 'quorum', 1) ORDER BY i) AS chain
    FROM workflows, unnest(stages) WITH ORDINALITY AS u(s, i)
    GROUP BY channel, version
) r
WHERE workflows.channel = r.c AND workflows.version = r.v;
ALTER TABLE workflows ALTER COLUMN routes SET NOT NULL;
ALTER TABLE workflows ADD CONSTRAINT workflows_routes_shape CHECK (
    jsonb_typeof(routes -> 'normal') = 'array'
    AND jsonb_typeof(routes -> 'important') = 'array'
    AND jsonb_typeof(routes -> 'sensitive') = 'array');
ALTER TABLE workflows DROP COLUMN stages;

-- Every channel gets the seeded default of §5 as its next version, built
-- on its current order (an admin's custom order is kept): normal = the
-- chain; important = the chain, then [leader]; sensitive = important with
-- review_3 at quorum 2. Later submissions take it; no draft is moved.
INSERT INTO workflows (channel, version, routes)
SELECT w.channel, w.version + 1, jsonb_build_object(
    'normal', w.routes -> 'normal',
    'important', (w.routes -> 'normal')
        || jsonb_build_array(jsonb_build_object('stages', jsonb_build_array('leader'), 'quorum', 1)),
    'sensitive', (
        SELECT jsonb_agg(CASE WHEN step -> 'stages' = '["review_3"]'::jsonb
                              THEN jsonb_set(step, '{quorum}', '2') ELSE step END ORDER BY i)
        FROM jsonb_array_elements(w.routes -> 'normal') WITH ORDINALITY AS e(step, i))
        || jsonb_build_array(jsonb_build_object('stages', jsonb_build_array('leader'), 'quorum', 1)))
FROM workflows w
WHERE w.version = (SELECT max(version) FROM workflows x WHERE x.channel = w.channel);

-- Where a draft in review stands, as the domain computes it from its route
-- and approvals; kept on the row for /tasks and the lists (SQL). Existing
-- drafts are on part one's chain: the step of their current stage, alone.
ALTER TABLE drafts ADD COLUMN current_step integer CHECK (current_step >= 0);
ALTER TABLE drafts ADD COLUMN current_stages text[] NOT NULL DEFAULT '{}';
UPDATE drafts d SET current_stages = ARRAY[d.current_stage],
    current_step = (SELECT i - 1
                    FROM workflows w,
                         jsonb_array_elements(w.routes -> 'normal') WITH ORDINALITY AS e(step, i)
                    WHERE w.channel = d.channel AND w.version = d.workflow_version
                      AND step -> 'stages' ->> 0 = d.current_stage)
WHERE d.current_stage IS NOT NULL;
ALTER TABLE drafts ADD CONSTRAINT drafts_current_step_in_review CHECK (
    (status = 'in_review') = (current_step IS NOT NULL)
    AND (status = 'in_review') = (cardinality(current_stages) > 0)
    AND (current_stage IS NULL OR current_stage = current_stages[1]));
CREATE INDEX drafts_by_stages ON drafts USING gin (current_stages) WHERE status = 'in_review';

-- 会签: a stage may take several approvals in a round, one per signer.
DROP INDEX signoffs_one_approval;
CREATE UNIQUE INDEX signoffs_one_approval ON signoffs (draft_id, round, stage, signer_id)
    WHERE decision = 'approve';
