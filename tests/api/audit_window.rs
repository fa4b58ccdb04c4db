//! A time window of the trail (`/audit/events?since=…&until=…`) is read as
//! a range of `seq` worked out from the time index (issue 19 item 3). The
//! chain's order is commit order, not the order events were recorded in,
//! so the range must stretch by the largest lateness seen: an event whose
//! change committed after a later-recorded one is still in its window.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use sanshen::audit::{NewEvent, Origin, append};
use serde_json::{Value, json};

use crate::common::TestApp;

async fn window(app: &TestApp, token: &str, since: &str, until: &str) -> Vec<Value> {
    let q = |t: &str| t.replace('+', "%2B");
    let res = app
        .get(
            &format!(
                "/audit/events?since={}&until={}&limit=200",
                q(since),
                q(until)
            ),
            token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_event_chained_after_a_later_one_is_in_its_window() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.user(&admin, "window.auditor", &["auditor"]).await;
    // A change records its event, and stays open while another change
    // records a later event and commits first.
    let mut slow = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    slow.batch_execute("BEGIN").await.unwrap();
    append(&slow, NewEvent::new("test_late", &Origin::default()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let res = app
        .post(
            "/departments",
            &admin.token,
            json!({"code": "window", "name": "窗口"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.chain().await;
    slow.batch_execute("COMMIT").await.unwrap();
    app.chain().await;

    let all = window(
        &app,
        &auditor.token,
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
    )
    .await;
    let at = |action: &str| {
        all.iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {all:?}"))
            .clone()
    };
    let (late, earlier) = (at("test_late"), at("department_created"));
    assert!(
        late["seq"].as_i64() > earlier["seq"].as_i64()
            && late["occurred_at"].as_str() < earlier["occurred_at"].as_str(),
        "the late event is chained after, and recorded before: {late} {earlier}"
    );

    // A window holding only the late event's instant, which a later-recorded
    // event precedes in the chain.
    let t: chrono::DateTime<chrono::Utc> = late["occurred_at"].as_str().unwrap().parse().unwrap();
    let until = t + chrono::Duration::microseconds(1);
    let found = window(&app, &auditor.token, &t.to_rfc3339(), &until.to_rfc3339()).await;
    let actions: Vec<&str> = found.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["test_late"], "{found:?}");

    // And a window that ends before it: the later-recorded event is out,
    // everything recorded before the late one is in.
    let before = window(
        &app,
        &auditor.token,
        "2000-01-01T00:00:00Z",
        &t.to_rfc3339(),
    )
    .await;
    assert!(
        before
            .iter()
            .all(|e| e["action"] != "test_late" && e["action"] != "department_created")
    );
    let expected = all
        .iter()
        .filter(|e| e["occurred_at"].as_str() < late["occurred_at"].as_str())
        .count();
    assert_eq!(before.len(), expected);
}
