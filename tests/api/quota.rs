//! Department quotas (信息报送任务, SPEC §9): admin only, 0–1000, each
//! change one `quota_changed` event with what it replaced, and the
//! bulletin's quota columns.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::Newsroom;
use crate::common::{TestApp, User, assert_problem};

async fn put_quota(app: &TestApp, who: &User, department: Uuid, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/departments/{department}/quota")))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .expect("request reaches the server")
}

async fn quota_events(app: &TestApp) -> Vec<Value> {
    app.chain().await;
    let mut conn = sanshen::db::connect(&app.state.pool).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        detail: Value,
    }
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT detail FROM audit_events WHERE action = 'quota_changed' ORDER BY seq",
        ),
        &mut conn,
    )
    .await
    .unwrap();
    rows.into_iter().map(|r| r.detail).collect()
}

#[tokio::test]
async fn an_admin_sets_a_quota_and_each_change_records_what_it_replaced() {
    let n = Newsroom::new().await;
    let app = &n.app;
    let news = app.department(&n.admin, "news").await;

    let res = put_quota(app, &n.admin, news, json!({"monthly_items": 8})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"department_id": news.to_string(), "monthly_items": 8})
    );
    let res = put_quota(app, &n.admin, news, json!({"monthly_items": 3.0})).await;
    assert_eq!(res.status(), 200);

    let events = quota_events(app).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0],
        json!({"department_id": news.to_string(), "from": null, "to": 8})
    );
    assert_eq!(
        events[1],
        json!({"department_id": news.to_string(), "from": 8, "to": 3})
    );

    // The bulletin of the month now running shows the quota in force.
    let month = crate::bulletin::current_month();
    let b: Value = app
        .get(
            &format!("/reports/bulletin?month={month}"),
            &n.auditor.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let line = b["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "news")
        .unwrap()
        .clone();
    assert_eq!(line["quota"], 3);
    assert_eq!(line["quota_share"], 0.0);
    assert_eq!(line["rank"], 1);
}

#[tokio::test]
async fn quotas_are_refused_to_others_out_of_range_and_for_unknown_departments() {
    let n = Newsroom::new().await;
    let app = &n.app;
    let news = app.department(&n.admin, "news").await;
    let before = app.event_count().await;

    let res = put_quota(app, &n.auditor, news, json!({"monthly_items": 5})).await;
    assert_problem(res, 403, "forbidden").await;
    for bad in [json!(1001), json!(-1), json!(1e300)] {
        let res = put_quota(app, &n.admin, news, json!({"monthly_items": bad})).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "monthly_items");
    }
    for bad in [json!("5"), json!(2.5)] {
        let res = put_quota(app, &n.admin, news, json!({"monthly_items": bad})).await;
        assert_problem(res, 400, "malformed_request").await;
    }
    let res = put_quota(
        app,
        &n.admin,
        news,
        json!({"monthly_items": 5, "year": 2026}),
    )
    .await;
    assert_problem(res, 400, "malformed_request").await;
    let res = put_quota(app, &n.admin, Uuid::new_v4(), json!({"monthly_items": 5})).await;
    assert_problem(res, 404, "not_found").await;

    assert_eq!(app.event_count().await, before, "nothing was recorded");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM department_quotas")
            .await,
        0
    );
    // The edges of the range are accepted.
    for ok in [0, 1000] {
        let res = put_quota(app, &n.admin, news, json!({"monthly_items": ok})).await;
        assert_eq!(res.status(), 200);
    }
}
