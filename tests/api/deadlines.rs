//! Deadlines (SPEC §8): a step with `due_hours` gets `due_at` when it
//! opens; once it passes, the runner writes `step_overdue` once per
//! (draft, round, step), however many instances run it. Time moves through
//! the server's clock, not sleeps.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::common::newsroom::{Newsroom, STAGES};

/// `portal`'s normal route with `due_hours` on its first two steps.
async fn with_deadlines(n: &Newsroom) {
    let mut normal: Vec<Value> = STAGES
        .iter()
        .map(|s| json!({"stages": [s], "quorum": 1}))
        .collect();
    normal[0]["due_hours"] = json!(24);
    normal[1]["due_hours"] = json!(4);
    n.put_portal_route(&normal).await;
}

fn at(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn overdue_events(n: &Newsroom) -> i64 {
    n.app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'step_overdue'")
        .await
}

/// One round of the runner, as the background job runs it.
async fn run_deadlines(n: &Newsroom) {
    sanshen::drafts::deadlines::run_once(&n.app.state.pool, &n.app.state.clock)
        .await
        .expect("a deadline round");
}

#[tokio::test]
async fn a_step_falls_due_and_is_reported_once() {
    let n = Newsroom::new().await;
    with_deadlines(&n).await;
    let (id, hash) = n.draft().await;
    let before_submit = Utc::now();
    let submitted = n.submit_ok(id, &hash).await;
    let due = at(&submitted["due_at"]);
    assert!(due >= before_submit + Duration::hours(24) && due <= Utc::now() + Duration::hours(24));
    assert_eq!(submitted["overdue"], json!(false));

    // Not yet due: nothing is written.
    run_deadlines(&n).await;
    assert_eq!(overdue_events(&n).await, 0);

    n.app.state.clock.advance(Duration::hours(25));
    run_deadlines(&n).await;
    run_deadlines(&n).await;
    assert_eq!(overdue_events(&n).await, 1);
    let d = n.get(&n.author, id).await;
    assert_eq!(d["overdue"], json!(true));
    let detail = n
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'step_overdue' \
             AND draft_id = '{id}' AND stage = 'review_1' AND detail->>'step' = '0' \
             AND detail->>'round' = '1'"
        ))
        .await;
    assert_eq!(detail, 1);
    let tasks: Value = n
        .app
        .get("/tasks", &n.signer("review_1").token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tasks["items"][0]["overdue"], json!(true));

    // The next step opens with its own deadline, counted from the approval.
    let approved = n.approve_ok(id, "review_1", &hash).await;
    assert_eq!(approved["overdue"], json!(false));
    let next_due = at(&approved["due_at"]);
    let expected = n.app.state.clock.now() + Duration::hours(4);
    assert!(
        (next_due - expected).num_seconds().abs() < 60,
        "{next_due} vs {expected}"
    );
    // A step without due_hours has no deadline.
    n.approve_ok(id, "proofread_1", &hash).await;
    let d = n.get(&n.author, id).await;
    assert_eq!(d["due_at"], Value::Null);
    run_deadlines(&n).await;
    assert_eq!(overdue_events(&n).await, 1);
}

#[tokio::test]
async fn two_instances_report_each_overdue_step_once() {
    let n = Newsroom::new().await;
    with_deadlines(&n).await;
    let mut drafts = Vec::new();
    for _ in 0..12 {
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        drafts.push(id);
    }
    let other = n.app.second_process().await;
    n.app.state.clock.advance(Duration::hours(30));
    other.state.clock.advance(Duration::hours(30));
    let (a, b) = tokio::join!(
        sanshen::drafts::deadlines::run_once(&n.app.state.pool, &n.app.state.clock),
        sanshen::drafts::deadlines::run_once(&other.state.pool, &other.state.clock),
    );
    let (a, b) = (a.unwrap().0, b.unwrap().0);
    assert_eq!(a + b, 12, "each step once between them ({a} + {b})");
    assert_eq!(overdue_events(&n).await, 12);
    // Another round adds nothing.
    run_deadlines(&n).await;
    assert_eq!(overdue_events(&n).await, 12);
}

#[tokio::test]
async fn tasks_come_soonest_due_first_and_page_in_that_order() {
    let n = Newsroom::new().await;
    let (undated, undated_hash) = n.draft().await;
    n.submit_ok(undated, &undated_hash).await;
    with_deadlines(&n).await;
    let (later, later_hash) = n.draft().await;
    n.submit_ok(later, &later_hash).await;
    // Submitted afterwards but with a clock ten hours behind: due sooner.
    n.app.state.clock.advance(Duration::hours(-10));
    let (sooner, sooner_hash) = n.draft().await;
    n.submit_ok(sooner, &sooner_hash).await;
    n.app.state.clock.advance(Duration::hours(10));

    let signer = n.signer("review_1");
    let all: Value = n
        .app
        .get("/tasks", &signer.token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let expected = [sooner.to_string(), later.to_string(), undated.to_string()];
    assert_eq!(ids, expected);
    assert_eq!(all["items"][2]["due_at"], Value::Null);
    // One at a time, the cursor keeps that order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/tasks?limit=1&cursor={c}"),
            None => "/tasks?limit=1".to_string(),
        };
        let page: Value = n.app.get(&path, &signer.token).await.json().await.unwrap();
        paged.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, expected);
}
