//! A prepared statement is planned for any value after its fifth run (a
//! generic plan). Queries that partial indexes serve must name the indexed
//! value in their text: bound as `$1`, `status = $1` cannot use an index
//! `WHERE status = 'in_review'`, and at a year's scale the generic plan of
//! `/tasks` read all 200,000 drafts (issue 19). Each query runs here under
//! `plan_cache_mode = force_generic_plan` on the loaded office of
//! `plans.rs`, and the transaction's scan counters must show no
//! sequential scan of drafts.

use chrono::{Duration, Utc};
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use sanshen::db::draft_lists::{self, DraftFilter};
use sanshen::db::event_lists::{self, EventRecord, Selection};
use sanshen::db::{deadlines, task_lists};
use sanshen::domain::vocabulary::Stage;
use uuid::Uuid;

use crate::plans::{loaded_office, oldest_draft, reviewer};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test]
async fn generic_plans_of_tasks_and_deadlines_read_drafts_by_index() {
    let (_app, mut conn) = loaded_office().await;
    // A reviewer of the first stage: the load has drafts waiting there.
    let signer = reviewer(&mut conn, &["review_1"]).await;
    let (listed, scans) = conn
        .transaction::<_, diesel::result::Error, _>(async |c| {
            c.batch_execute("SET LOCAL plan_cache_mode = force_generic_plan")
                .await?;
            let before = seq_scans(c).await?;
            let listed = task_lists::tasks(c, signer, None, 11).await?.len();
            deadlines::next_due(c).await?;
            deadlines::claim_due(c, Utc::now(), 10).await?;
            Ok((listed, seq_scans(c).await? - before))
        })
        .await
        .unwrap();
    assert!(listed > 0, "the reviewer has tasks in the load");
    assert_eq!(scans, 0, "sequential scans of drafts under generic plans");
}

/// The lists' pages under generic plans, which PostgreSQL now keeps for
/// them (`list_pages_are_planned_once_and_kept`): each filter's page, as
/// the auditor and as a signer, and each event filter's, must still read
/// drafts and events by index.
#[tokio::test]
async fn generic_plans_of_the_lists_read_by_index() {
    let (_app, mut conn) = loaded_office().await;
    let ids = oldest_draft(&mut conn).await;
    let filters = [
        DraftFilter::default(),
        DraftFilter {
            status: Some("published".into()),
            ..DraftFilter::default()
        },
        DraftFilter {
            channel: Some("portal".into()),
            ..DraftFilter::default()
        },
        DraftFilter {
            author_id: Some(ids.author),
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
    let selections = [
        Selection::default(),
        Selection {
            draft_id: Some(ids.draft),
            ..Selection::default()
        },
        Selection {
            actor_id: Some(ids.author),
            ..Selection::default()
        },
        Selection {
            action: Some("stage_approved".into()),
            ..Selection::default()
        },
        Selection {
            since: Some(Utc::now() - Duration::days(190)),
            until: Some(Utc::now() - Duration::days(183)),
            ..Selection::default()
        },
    ];
    let viewer = Uuid::new_v4();
    let (empty_pages, scans) = conn
        .transaction::<_, diesel::result::Error, _>(async |c| {
            c.batch_execute("SET LOCAL plan_cache_mode = force_generic_plan")
                .await?;
            let before = (seq_scans(c).await?, event_scans(c).await?);
            let mut empty = Vec::new();
            for (n, filter) in filters.iter().enumerate() {
                if draft_lists::page(c, viewer, true, filter, None, 51)
                    .await?
                    .is_empty()
                {
                    empty.push(format!("drafts {n}"));
                }
                draft_lists::page(c, viewer, false, filter, None, 51).await?;
            }
            for (n, s) in selections.iter().enumerate() {
                let s = event_lists::narrow(c, s).await?;
                let rows: Vec<EventRecord> = event_lists::page_query(&s, 51).load(c).await?;
                if rows.is_empty() {
                    empty.push(format!("events {n}"));
                }
            }
            let after = (seq_scans(c).await?, event_scans(c).await?);
            Ok((empty, (after.0 - before.0, after.1 - before.1)))
        })
        .await
        .unwrap();
    assert!(
        empty_pages.is_empty(),
        "pages the load should fill: {empty_pages:?}"
    );
    assert_eq!(
        scans,
        (0, 0),
        "sequential scans of (drafts, audit_events) under generic plans"
    );
}

/// What PostgreSQL did with the lists' prepared statements on this
/// connection: a page of drafts and one of events, run ten times each, are
/// planned at most five times (the custom plans it tries first) and then
/// run on one generic plan. With the LIMIT bound, every run was planned.
#[tokio::test]
async fn list_pages_are_planned_once_and_kept() {
    let (_app, mut conn) = loaded_office().await;
    let viewer = Uuid::new_v4();
    let by_channel = DraftFilter {
        channel: Some("portal".into()),
        ..DraftFilter::default()
    };
    for _ in 0..10 {
        let page = draft_lists::page(&mut conn, viewer, true, &by_channel, None, 51)
            .await
            .unwrap();
        assert_eq!(page.len(), 51);
        let rows: Vec<EventRecord> = event_lists::page_query(&Selection::default(), 51)
            .load(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 51);
    }
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Plans {
        #[diesel(sql_type = BigInt)]
        generic_plans: i64,
        #[diesel(sql_type = BigInt)]
        custom_plans: i64,
    }
    for table in ["drafts", "audit_events"] {
        let plans: Plans = diesel::sql_query(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT %' || $1 || '% LIMIT %'",
        )
        .bind::<diesel::sql_types::Text, _>(format!("FROM \"{table}\""))
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("the page of {table} prepared: {e}"));
        assert!(
            plans.custom_plans <= 5 && plans.generic_plans >= 5,
            "{table}: {plans:?}"
        );
    }
}

/// Sequential scans of audit_events, as [`seq_scans`] counts them.
async fn event_scans(c: &mut diesel_async::AsyncPgConnection) -> diesel::QueryResult<i64> {
    let scans: Count =
        diesel::sql_query("SELECT pg_stat_get_xact_numscans('audit_events'::regclass) AS n")
            .get_result(c)
            .await?;
    Ok(scans.n)
}

/// Sequential scans of drafts counted by this backend and not yet reported
/// (the `seq_scan` of pg_stat_xact_user_tables). The count can hold scans
/// of earlier transactions (the load's, on this connection) until the
/// backend reports them, at most once a second and never inside a
/// transaction: so the test compares two readings in one transaction.
async fn seq_scans(c: &mut diesel_async::AsyncPgConnection) -> diesel::QueryResult<i64> {
    let scans: Count =
        diesel::sql_query("SELECT pg_stat_get_xact_numscans('drafts'::regclass) AS n")
            .get_result(c)
            .await?;
    Ok(scans.n)
}
