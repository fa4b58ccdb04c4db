//! `GET /drafts?stage=` and `/tasks` at a scale where their plans matter:
//! read in order from a stage's own index, on an estimate near what is
//! there.

use chrono::{Duration, Utc};
use diesel::debug_query;
use diesel::pg::Pg;
use diesel_async::RunQueryDsl;
use sanshen::db::draft_lists::{DraftFilter, page_query};
use sanshen::db::task_lists;
use sanshen::domain::vocabulary::Stage;
use serde_json::Value;
use uuid::Uuid;

use crate::plans::{analyzed, loaded_office, plan, reviewer};

/// The node types of a plan, with the index each index node reads.
fn nodes(node: &Value, found: &mut Vec<(String, Option<String>)>) {
    if let Some(map) = node.as_object() {
        if let Some(kind) = map.get("Node Type").and_then(Value::as_str) {
            let index = map.get("Index Name").and_then(Value::as_str);
            found.push((kind.to_string(), index.map(str::to_string)));
        }
        map.values().for_each(|v| nodes(v, found));
    } else if let Some(list) = node.as_array() {
        list.iter().for_each(|v| nodes(v, found));
    }
}

/// `GET /drafts?stage=` reads its page from that stage's ordered index and
/// sorts nothing: the scan stops once the page is full, however many
/// drafts wait at the stage (at a year's scale the GIN index found all of
/// them and a sort kept 51, docs/benchmarks.md round nine).
#[tokio::test]
async fn the_stage_filter_reads_the_newest_first_from_its_own_index() {
    let (_app, mut conn) = loaded_office().await;
    let viewer = Uuid::new_v4();
    let cursor = Some((Utc::now() - Duration::days(1), Uuid::new_v4()));
    for stage in Stage::ALL {
        let filter = DraftFilter {
            stage: Some(stage),
            ..DraftFilter::default()
        };
        for auditor in [true, false] {
            for after in [None, cursor] {
                let query = page_query(viewer, auditor, &filter, after, 51);
                let sql = debug_query::<Pg, _>(&query).to_string();
                let mut found = Vec::new();
                nodes(&plan(&mut conn, query).await, &mut found);
                let index = format!("drafts_open_{}", stage.as_str());
                assert!(
                    found.iter().any(|(_, i)| i.as_deref() == Some(&index)),
                    "{index} unused by\n{sql}\n{found:?}"
                );
                assert!(
                    !found.iter().any(|(kind, _)| kind.contains("Sort")),
                    "a sort in\n{sql}\n{found:?}"
                );
            }
        }
    }
}

/// The planner's estimate of the drafts at a stage is what decides between
/// reading a page in order from the stage's index and reading them all to
/// sort them. Asked for `status = 'in_review'` as well, it multiplied the
/// two selectivities as if independent (at a year's scale 6 expected, 393
/// there, and every page sorted them all): the query names the stage alone
/// and its index needs no status (migration 000170).
#[tokio::test]
async fn the_planner_expects_the_drafts_at_a_stage_that_are_there() {
    let (_app, mut conn) = loaded_office().await;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let there: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM drafts WHERE current_stages @> ARRAY['review_2']",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert!(there.n >= 5, "the load has drafts at review_2: {}", there.n);
    let filter = DraftFilter {
        stage: Some(Stage::Review2),
        ..DraftFilter::default()
    };
    let plan = plan(
        &mut conn,
        page_query(Uuid::new_v4(), true, &filter, None, 51),
    )
    .await;
    fn scan_estimate(node: &Value) -> Option<f64> {
        if let Some(map) = node.as_object() {
            if map.get("Index Name").and_then(Value::as_str) == Some("drafts_open_review_2") {
                return map.get("Plan Rows").and_then(Value::as_f64);
            }
            map.values().find_map(scan_estimate)
        } else {
            node.as_array()?.iter().find_map(scan_estimate)
        }
    }
    let expected = scan_estimate(&plan).expect("a scan of drafts_open_review_2");
    assert!(
        expected * 2.0 >= there.n as f64,
        "expected {expected} rows, {} there:\n{plan:#}",
        there.n
    );
}

/// Each index scan of a plan as it ran: the index, how often the scan
/// ran, the rows it gave, and whether anything in the plan sorted.
fn scans_run(node: &Value, found: &mut Vec<(String, u64, u64)>, sorted: &mut bool) {
    if let Some(map) = node.as_object() {
        let number = |key| map.get(key).and_then(Value::as_u64).unwrap_or(0);
        if let Some(index) = map.get("Index Name").and_then(Value::as_str) {
            found.push((index.into(), number("Actual Loops"), number("Actual Rows")));
        }
        if map.get("Node Type").and_then(Value::as_str) == Some("Sort") {
            *sorted = true;
        }
        map.values().for_each(|v| scans_run(v, found, sorted));
    } else if let Some(list) = node.as_array() {
        list.iter().for_each(|v| scans_run(v, found, sorted));
    }
}

/// `/tasks` reads the drafts at each stage the signer holds in its order
/// from that stage's `drafts_due_*` index, stops at the page's end and
/// sorts nothing. Read from the GIN index on the open stages, a year's 393
/// drafts at one stage were all read and sorted for a page of 51
/// (docs/benchmarks.md, round eleven).
#[tokio::test]
async fn tasks_read_each_stage_in_order_from_its_own_index() {
    let (_app, mut conn) = loaded_office().await;
    let signer = reviewer(&mut conn, &["review_2", "proofread_3"]).await;
    let stages = task_lists::stages_of(&conn, signer).await.unwrap();
    assert_eq!(stages, [Stage::Review2, Stage::Proofread3]);
    let query = task_lists::tasks_query(signer, &stages, None, 2);
    let sql = debug_query::<Pg, _>(&query).to_string();
    let plan = analyzed(&mut conn, query).await;
    let (mut found, mut sorted) = (Vec::new(), false);
    scans_run(&plan, &mut found, &mut sorted);
    assert!(!sorted, "a sort in\n{sql}\n{plan:#}");
    let read: Vec<_> = found
        .iter()
        .filter(|(index, ..)| index.starts_with("drafts_"))
        .collect();
    assert_eq!(
        read,
        [
            &("drafts_due_review_2".to_string(), 1, 2),
            &("drafts_due_proofread_3".to_string(), 1, 2)
        ],
        "in\n{sql}\n{plan:#}"
    );
}
