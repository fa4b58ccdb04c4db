//! The list queries' plans (issue 19 item 3): with a few thousand drafts
//! and events loaded and analyzed, no list query the server sends may scan
//! `drafts` or `audit_events` sequentially. The queries are the server's own,
//! built by `db::draft_lists` and `db::event_lists`, EXPLAINed with their
//! binds. A sequential scan is cheap here and ruinous at a year's scale
//! (docs/benchmarks.md), so the plan, not the time, is what is checked.

use chrono::{Duration, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Text;
use diesel::{QueryResult, debug_query};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use sanshen::db;
use sanshen::db::draft_lists::{DraftFilter, page_query};
use sanshen::db::event_lists::{self, Selection};
use sanshen::db::task_lists::{TaskCursor, tasks_query};
use sanshen::domain::audit_chain::AuditEvent;
use sanshen::domain::vocabulary::Stage;
use serde_json::Value;
use uuid::Uuid;

use crate::common::TestApp;

/// `EXPLAIN (<options>)` in front of any query, binds and all.
struct Explain<Q> {
    query: Q,
    options: &'static str,
}

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN (");
        out.push_sql(self.options);
        out.push_sql(") ");
        self.query.walk_ast(out.reborrow())
    }
}

/// Drafts, revisions, sign-offs and events enough for the planner to
/// prefer indexes where they exist, spread as in a year (the newest 1 %
/// in review, a few statuses, five risk levels, four channels).
const LOAD: &str = r#"
INSERT INTO users (id, username, display_name, password_hash)
SELECT gen_random_uuid(), 'plan.author' || g, 'author', 'unusable' FROM generate_series(1, 40) g;
CREATE TEMP TABLE plan_drafts AS
SELECT d, gen_random_uuid() AS id, now() - interval '1 year' + interval '1 year' * d / 4000 AS at
FROM generate_series(0, 3999) d;
INSERT INTO drafts (id, channel, author_id, risk_level, status, current_stage, current_step,
                    current_stages, workflow_version, revision, round, created_at, updated_at, due_at)
SELECT p.id, (ARRAY['portal','wechat_official','wechat_group','qq_group'])[p.d % 4 + 1],
       (SELECT id FROM users WHERE username = 'plan.author' || (p.d % 40 + 1)),
       (ARRAY['normal','normal','normal','important','sensitive'])[p.d % 5 + 1],
       CASE WHEN p.d >= 3960 THEN 'in_review' WHEN p.d % 50 = 1 THEN 'returned' ELSE 'published' END,
       CASE WHEN p.d >= 3960 THEN (ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])[p.d % 6 + 1] END,
       CASE WHEN p.d >= 3960 THEN p.d % 6 END,
       CASE WHEN p.d >= 3960 THEN ARRAY[(ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3'])[p.d % 6 + 1]] ELSE '{}' END,
       1, 1, 1, p.at, p.at,
       CASE WHEN p.d >= 3960 AND p.d % 2 = 0 THEN p.at + interval '1 day' END
FROM plan_drafts p;
INSERT INTO revisions (draft_id, number, title, summary, body, format, content_hash, author_id, created_at)
SELECT d.id, 1, 't', '', 'b', 'text', encode(sha256(convert_to(d.id::text, 'UTF8')), 'hex'), d.author_id, d.created_at
FROM drafts d;
INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, signed_at)
SELECT gen_random_uuid(), d.id, 1, 1, 'x', s.stage, d.author_id, 'approve', d.created_at
FROM drafts d CROSS JOIN unnest(ARRAY['review_1','proofread_1','review_2']) s(stage)
WHERE d.status = 'published';
-- The loaded year is chained after the few events of the test's setup,
-- which were recorded now: as data it is a year late. Counted as such, the
-- head's max_lag would be a year and a time window no narrower than the
-- trail, so the load starts the lateness afresh, as a year of real use
-- would have it.
UPDATE audit_head SET latest_at = NULL, max_lag = '0';
INSERT INTO audit_events (seq, occurred_at, actor_id, actor, action, draft_id, detail, prev_hash, hash)
SELECT h.seq + p.d * 10 + k + 1, p.at + interval '1 second' * k, d.author_id, 'author',
       (ARRAY['draft_created','draft_submitted','stage_approved','stage_approved','stage_approved',
              'draft_published','login','login','login','comment_added'])[k + 1],
       CASE WHEN k < 6 OR k = 9 THEN p.id END, '{}', 'plan', 'plan'
FROM plan_drafts p JOIN drafts d ON d.id = p.id CROSS JOIN generate_series(0, 9) k, audit_head h;
UPDATE audit_head SET seq = seq + 40000, hash = 'plan';
ANALYZE;
"#;

/// A test's own database with `LOAD` in it, and a connection to it; the
/// app is returned to be kept alive with the database.
pub async fn loaded_office() -> (TestApp, db::DbConn) {
    let app = TestApp::spawn().await;
    let mut conn = db::connect(&app.state.pool).await.unwrap();
    conn.batch_execute(LOAD).await.expect("load");
    (app, conn)
}

/// The loaded office's oldest draft and its author.
#[derive(diesel::QueryableByName)]
pub struct OldestDraft {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub draft: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub author: Uuid,
}

pub async fn oldest_draft(conn: &mut db::DbConn) -> OldestDraft {
    diesel::sql_query(
        "SELECT id AS draft, author_id AS author FROM drafts ORDER BY created_at LIMIT 1",
    )
    .get_result(conn)
    .await
    .expect("the load has drafts")
}

/// A user of the loaded office holding a grant of each of `roles`, who
/// wrote none of its drafts.
pub async fn reviewer(conn: &mut db::DbConn, roles: &[&str]) -> Uuid {
    let id = Uuid::new_v4();
    let grants: Vec<String> = roles
        .iter()
        .map(|role| format!("(gen_random_uuid(), '{id}', '{role}')"))
        .collect();
    conn.batch_execute(&format!(
        "INSERT INTO users (id, username, display_name, password_hash) \
         VALUES ('{id}', 'plan.reviewer', 'reviewer', 'unusable'); \
         INSERT INTO grants (id, user_id, role) VALUES {};",
        grants.join(", ")
    ))
    .await
    .expect("a reviewer");
    id
}

/// Every node of a plan whose type is a sequential scan of `drafts` or
/// `audit_events`.
fn seq_scans(node: &Value, found: &mut Vec<String>) {
    if let Some(map) = node.as_object() {
        let relation = map.get("Relation Name").and_then(Value::as_str);
        if map.get("Node Type").and_then(Value::as_str) == Some("Seq Scan")
            && matches!(relation, Some("drafts" | "audit_events"))
        {
            found.push(relation.unwrap_or_default().to_string());
        }
        map.values().for_each(|v| seq_scans(v, found));
    } else if let Some(list) = node.as_array() {
        list.iter().for_each(|v| seq_scans(v, found));
    }
}

pub async fn plan<Q>(conn: &mut db::DbConn, query: Q) -> Value
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    explain(conn, query, "FORMAT JSON").await
}

/// The plan of `query` as it ran: `EXPLAIN ANALYZE`.
pub async fn analyzed<Q>(conn: &mut db::DbConn, query: Q) -> Value
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    explain(conn, query, "ANALYZE, FORMAT JSON").await
}

async fn explain<Q>(conn: &mut db::DbConn, query: Q, options: &'static str) -> Value
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    let rows: Vec<String> = Explain { query, options }
        .load(conn)
        .await
        .expect("EXPLAIN");
    serde_json::from_str(&rows[0]).expect("a JSON plan")
}

/// The sequential scans in the plan of `query`, named with its SQL.
async fn scans<Q>(conn: &mut db::DbConn, query: Q) -> Option<String>
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    let sql = debug_query::<Pg, _>(&query).to_string();
    let plan = plan(conn, query).await;
    let mut found = Vec::new();
    seq_scans(&plan, &mut found);
    (!found.is_empty()).then(|| format!("Seq Scan on {found:?} in\n{sql}\n{plan:#}"))
}

#[tokio::test]
async fn no_list_query_scans_drafts_or_events_sequentially() {
    let (_app, mut conn) = loaded_office().await;
    let viewer = Uuid::new_v4();
    let ids = oldest_draft(&mut conn).await;
    let author = ids.author;
    let now = Utc::now();
    let cursor = Some((now - Duration::days(200), Uuid::new_v4()));
    let filters = [
        DraftFilter::default(),
        DraftFilter {
            status: Some("in_review".into()),
            ..DraftFilter::default()
        },
        DraftFilter {
            channel: Some("portal".into()),
            ..DraftFilter::default()
        },
        DraftFilter {
            author_id: Some(author),
            ..DraftFilter::default()
        },
        DraftFilter {
            stage: Some(Stage::Review2),
            ..DraftFilter::default()
        },
        DraftFilter {
            risk_level: Some("sensitive".into()),
            ..DraftFilter::default()
        },
    ];
    let mut problems = Vec::new();
    for filter in &filters {
        for auditor in [true, false] {
            for after in [None, cursor] {
                let q = page_query(viewer, auditor, filter, after, 51);
                problems.extend(scans(&mut conn, q).await);
            }
        }
    }
    let task_cursors = [
        None,
        cursor.map(|(at, id)| TaskCursor {
            due_at: None,
            updated_at: at,
            id,
        }),
        cursor.map(|(at, id)| TaskCursor {
            due_at: Some(at),
            updated_at: at,
            id,
        }),
    ];
    for after in task_cursors {
        problems.extend(scans(&mut conn, tasks_query(viewer, &Stage::ALL, after, 51)).await);
    }
    let selections = [
        Selection::default(),
        Selection {
            after: Some(20_000),
            ..Selection::default()
        },
        Selection {
            draft_id: Some(ids.draft),
            ..Selection::default()
        },
        Selection {
            actor_id: Some(author),
            ..Selection::default()
        },
        Selection {
            action: Some("stage_approved".into()),
            ..Selection::default()
        },
        Selection {
            since: Some(now - Duration::days(190)),
            until: Some(now - Duration::days(183)),
            ..Selection::default()
        },
    ];
    for s in &selections {
        let s = event_lists::narrow(&mut conn, s).await.expect("narrow");
        problems.extend(scans(&mut conn, event_lists::page_query(&s, 51)).await);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Rows of `audit_events` the current transaction has read so far: those
/// index scans returned and those bitmap and index scans fetched.
async fn event_rows_read(conn: &mut db::DbConn) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Read {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let read: Read = diesel::sql_query(
        "SELECT pg_stat_get_xact_tuples_returned('audit_events'::regclass) \
              + pg_stat_get_xact_tuples_fetched('audit_events'::regclass) AS n",
    )
    .get_result(conn)
    .await
    .unwrap();
    read.n
}

/// A month half a year back is read where it lies in the chain: a page
/// reads about the page, not the trail before the month nor the month
/// (the plans above have no sequential scan either way; this counts rows).
#[tokio::test]
async fn a_time_window_reads_the_window_not_the_trail_before_it() {
    let (_app, mut conn) = loaded_office().await;
    let now = Utc::now();
    let month = Selection {
        since: Some(now - Duration::days(190)),
        until: Some(now - Duration::days(160)),
        ..Selection::default()
    };
    conn.batch_execute("BEGIN").await.unwrap();
    let before = event_rows_read(&mut conn).await;
    let page = event_lists::page(&mut conn, &month, 51).await.unwrap();
    let read = event_rows_read(&mut conn).await - before;
    conn.batch_execute("COMMIT").await.unwrap();
    // 40 000 events over the year: about 19 000 precede the month, 3 300
    // are in it, and the page takes 51 of them (its first span of seq is
    // 204 events, counted once by the index and once by the heap).
    assert!(read <= 600, "{read} rows read for a page of 51");
    // The same page as the query without seq bounds gives.
    let plain: Vec<event_lists::EventRecord> = event_lists::page_query(&month, 51)
        .load(&mut conn)
        .await
        .unwrap();
    let plain: Vec<AuditEvent> = plain.into_iter().map(Into::into).collect();
    let seqs = |e: &[AuditEvent]| e.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(page.len(), 51);
    assert_eq!(seqs(&page), seqs(&plain));
}

/// The check above finds a sequential scan where there is one.
#[tokio::test]
async fn a_sequential_scan_is_found() {
    let app = TestApp::spawn().await;
    let mut conn = db::connect(&app.state.pool).await.unwrap();
    let q = diesel::sql_query("SELECT * FROM audit_events WHERE detail::text LIKE '%x%'");
    let found = scans(&mut conn, q).await;
    assert!(
        found
            .as_deref()
            .is_some_and(|f| f.starts_with("Seq Scan on [\"audit_events\"]")),
        "{found:?}"
    );
}

/// The server's connections never JIT-compile a query: at a year's scale
/// `/tasks` crossed `jit_above_cost` and spent 45 ms compiling for 10 ms
/// of work (docs/benchmarks.md).
#[tokio::test]
async fn pooled_connections_do_not_jit_compile() {
    let app = TestApp::spawn().await;
    let mut conn = db::connect(&app.state.pool).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        jit: String,
    }
    let shown: Setting = diesel::sql_query("SHOW jit")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(shown.jit, "off");
}
