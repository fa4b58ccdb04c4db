//! The login queue (issue 19 item 1): argon2 takes at most the configured
//! number of logins at once; beyond it a login is answered 503 with
//! Retry-After at once, and nothing about it is recorded.

use std::time::Duration;

use sanshen::credentials::hashing::Hasher;
use serde_json::Value;

use crate::common::{ADMIN_PASSWORD, TestApp, assert_problem};

/// An admin login answered 503 `unavailable` with a Retry-After of 1–30 s,
/// leaving no throttle row and no event after the first `events`; the
/// problem's body.
async fn turned_away(app: &TestApp, events: i64) -> Value {
    let res = app.login("admin", ADMIN_PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "Retry-After {retry}");
    let body = assert_problem(res, 503, "unavailable").await;
    assert_eq!(app.event_count().await, events);
    for table in ["login_attempts", "login_failures"] {
        assert_eq!(
            app.count(&format!("SELECT count(*) AS n FROM {table}"))
                .await,
            0,
            "{table}"
        );
    }
    body
}

#[tokio::test]
async fn a_full_login_queue_answers_503_with_retry_after_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let events = app.event_count().await;
    // Fill every place in the queue, as a storm of logins would.
    let mut held = Vec::new();
    while let Ok(ticket) = app.state.hasher.admit() {
        held.push(ticket);
    }
    assert_eq!(held.len(), app.state.hasher.capacity());

    // Turned away before the throttle or the trail saw it.
    let body = turned_away(&app, events).await;
    assert!(
        body["detail"].as_str().unwrap().contains("logins"),
        "{body}"
    );

    // A place freed is a login served.
    held.pop();
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(app.actions_after(events).await, vec!["login"]);
}

#[tokio::test]
async fn a_login_the_queue_does_not_reach_in_time_gets_503_and_changes_nothing() {
    let hasher = Hasher::new(1000)
        .unwrap()
        .with_max_queued(Duration::from_millis(200));
    let app = TestApp::spawn_hashing_with(hasher).await;
    let events = app.event_count().await;
    // Hashes queued ahead of the login keep every hashing thread busy for
    // a second or more (each hash rests three times its length after it).
    let busy: Vec<_> = (0..100)
        .map(|_| {
            let hasher = app.state.hasher.clone();
            tokio::spawn(async move { hasher.hash("busy".into()).await })
        })
        .collect();
    tokio::task::yield_now().await;

    // Neither a failure nor a success: the throttle's reservation is given
    // back, and the trail has nothing of it.
    turned_away(&app, events).await;

    // The busy hashes' requests gone, argon2 skips them: the next login is served.
    busy.iter().for_each(|b| b.abort());
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.actions_after(events).await, vec!["login"]);
}
