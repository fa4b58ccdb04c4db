//! Completeness of the audit trail (SPEC §2 invariant 7): every change the
//! tables hold must have its event, chained or still queued. The chain
//! proves no event was rewritten; this proves none was left out.

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::audit_chain::MissingEvent;

/// At most this many missing events are named; the count is always whole.
pub const NAMED: i64 = 1000;

/// Events chained or queued, one relation. NOT MATERIALIZED: referenced
/// many times, the CTE would otherwise be materialized once and scanned
/// whole by every correlated check (quadratic: 2.4 s for 20,000 events);
/// inlined, each check's predicates reach the indexes of both tables.
/// Runs inside the caller's
/// snapshot: a change and its queued event commit together, and the
/// chainer moves events from the queue to the chain in one transaction, so
/// in any snapshot a change's event is in exactly one of the two.
const EVENTS: &str = "
WITH ev AS NOT MATERIALIZED (
    SELECT 0 AS q, seq AS pos, action, draft_id, revision, stage, actor_id, to_status, detail
    FROM audit_events
    UNION ALL
    SELECT 1, id, action, draft_id, revision, stage, actor_id, to_status, detail
    FROM audit_pending
)";

/// One query per kind of change: (kind, id) of each change with no event.
const CHECKS: &str = "
SELECT 'revision' AS kind, r.draft_id::text || '/' || r.number AS id
FROM revisions r
WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.draft_id = r.draft_id AND ev.revision = r.number
                  AND ev.action IN ('draft_created', 'draft_edited'))
UNION ALL
SELECT 'signoff', s.id::text
FROM (SELECT s.*, row_number() OVER (
          PARTITION BY draft_id, revision, stage, signer_id, decision ORDER BY signed_at, id) AS nth
      FROM signoffs s) s
WHERE s.nth > (SELECT count(*) FROM ev WHERE ev.draft_id = s.draft_id AND ev.revision = s.revision
               AND ev.stage = s.stage AND ev.actor_id = s.signer_id
               AND ev.action = CASE s.decision WHEN 'approve' THEN 'stage_approved' ELSE 'stage_returned' END)
UNION ALL
SELECT 'status', d.id::text
FROM drafts d
LEFT JOIN LATERAL (SELECT ev.to_status FROM ev WHERE ev.draft_id = d.id AND ev.to_status IS NOT NULL
                   ORDER BY ev.q DESC, ev.pos DESC LIMIT 1) last ON true
WHERE coalesce(last.to_status, 'draft') <> d.status
UNION ALL
SELECT 'comment', c.id::text
FROM comments c
WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.action = 'comment_added' AND ev.draft_id = c.draft_id
                  AND ev.detail->>'comment_id' = c.id::text)
UNION ALL
SELECT 'grant', g.id::text
FROM grants g
WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.action = 'grant_added' AND ev.detail->>'grant_id' = g.id::text)
  AND NOT (g.role = 'admin' AND g.created_by IS NULL
           AND EXISTS (SELECT 1 FROM ev WHERE ev.action = 'admin_bootstrapped'
                       AND ev.detail->>'user_id' = g.user_id::text))
UNION ALL
SELECT 'user', u.id::text
FROM users u
WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.action IN ('user_created', 'admin_bootstrapped')
                  AND ev.detail->>'user_id' = u.id::text)
UNION ALL
SELECT 'account_state', u.id::text
FROM users u
LEFT JOIN LATERAL (SELECT (ev.detail->>'disabled')::boolean AS disabled FROM ev
                   WHERE ev.action = 'user_updated' AND ev.detail->>'user_id' = u.id::text
                     AND ev.detail ? 'disabled'
                   ORDER BY ev.q DESC, ev.pos DESC LIMIT 1) last ON true
WHERE coalesce(last.disabled, false) <> u.disabled
UNION ALL
SELECT 'session', s.id::text
FROM sessions s
WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.action = 'login' AND ev.detail->>'session_id' = s.id::text)
UNION ALL
SELECT 'workflow', w.channel || '/' || w.version
FROM workflows w
WHERE w.created_by IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ev WHERE ev.action IN ('workflow_changed', 'channel_created')
                  AND ev.detail->>'channel' = w.channel
                  AND coalesce(ev.detail->>'version', ev.detail->>'workflow_version') = w.version::text)
UNION ALL
SELECT 'department', dp.id::text
FROM departments dp
WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.action = 'department_created'
                  AND ev.detail->>'department_id' = dp.id::text)
UNION ALL
SELECT 'channel', ch.code
FROM channels ch
WHERE EXISTS (SELECT 1 FROM workflows w WHERE w.channel = ch.code AND w.version = 1 AND w.created_by IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM ev WHERE ev.action = 'channel_created' AND ev.detail->>'channel' = ch.code)";

/// The reconciliation's one statement, as sent: public so that the
/// benchmark can EXPLAIN it at scale.
pub fn missing_events_sql() -> String {
    format!(
        "{EVENTS}, missing AS ({CHECKS}) \
         SELECT kind, id, count(*) OVER () AS total FROM missing ORDER BY kind, id LIMIT {NAMED}"
    )
}

/// The changes without an event (the first `NAMED`) and how many there are.
pub async fn missing_events(conn: &mut AsyncPgConnection) -> QueryResult<(Vec<MissingEvent>, i64)> {
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        total: i64,
    }
    let rows: Vec<Counted> = sql_query(missing_events_sql()).load(conn).await?;
    let total = <[Counted]>::first(&rows).map_or(0, |r| r.total);
    let named = rows
        .into_iter()
        .map(|r| MissingEvent {
            kind: r.kind,
            id: r.id,
        })
        .collect();
    Ok((named, total))
}
