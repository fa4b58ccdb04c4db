//! A prepared statement is planned for any value after its fifth run (a
//! generic plan). Queries that partial indexes serve must name the indexed
//! value in their text: bound as `$1`, `status = $1` cannot use an index
//! `WHERE status = 'in_review'`, and at a year's scale the generic plan of
//! `/tasks` read all 200,000 drafts (issue 19). Each query runs here under
//! `plan_cache_mode = force_generic_plan` on the loaded office of
//! `plans.rs`, and the transaction's scan counters must show no
//! sequential scan of drafts.

use chrono::Utc;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use sanshen::db::{deadlines, task_lists};
use uuid::Uuid;

use crate::plans::loaded_office;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test]
async fn generic_plans_of_tasks_and_deadlines_read_drafts_by_index() {
    let (_app, mut conn) = loaded_office().await;
    // A reviewer of the first stage: the load has drafts waiting there.
    let signer = Uuid::new_v4();
    conn.batch_execute(&format!(
        "INSERT INTO users (id, username, display_name, password_hash) \
         VALUES ('{signer}', 'plan.reviewer', 'reviewer', 'unusable'); \
         INSERT INTO grants (id, user_id, role) VALUES (gen_random_uuid(), '{signer}', 'review_1');"
    ))
    .await
    .unwrap();
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
