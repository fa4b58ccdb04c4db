//! SPEC §7: a draft's source (来源) — set at create, editable with the
//! content, shown on reads, not part of content_hash.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::Newsroom;
use crate::common::{TestApp, User, assert_problem};

fn draft_body(source: Option<Value>) -> Value {
    let mut body = json!({"channel": "portal", "title": "转载：全国安全生产月活动启动", "body": "正文。\n", "format": "text"});
    if let Some(source) = source {
        body["source"] = source;
    }
    body
}

async fn create(app: &TestApp, who: &User, source: Option<Value>) -> reqwest::Response {
    app.post("/drafts", &who.token, draft_body(source)).await
}

async fn drafts(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM drafts").await
}

#[tokio::test]
async fn a_reprint_names_its_origin_and_the_hash_ignores_the_source() {
    let n = Newsroom::new().await;
    let before = n.events().await;
    let res = create(
        &n.app,
        &n.author,
        Some(json!({"kind": "reprint", "origin": "新华社"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let reprint: Value = res.json().await.unwrap();
    assert_eq!(
        reprint["source"],
        json!({"kind": "reprint", "origin": "新华社"})
    );
    let original: Value = create(&n.app, &n.author, None).await.json().await.unwrap();
    assert_eq!(original["source"], json!({"kind": "original"}));
    // Same channel and text, different sources: one content_hash.
    assert_eq!(reprint["content_hash"], original["content_hash"]);
    assert_eq!(
        n.app.actions_after(before).await,
        vec!["draft_created", "draft_created"]
    );
    let id = reprint["id"].as_str().unwrap();
    let events: Value = n
        .app
        .get(&format!("/audit/events?draft_id={id}"), &n.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    let detail = &events["items"][0]["detail"];
    assert_eq!(
        (&detail["source_kind"], &detail["source_origin"]),
        (&json!("reprint"), &json!("新华社"))
    );
}

#[tokio::test]
async fn a_bad_source_is_refused_by_field_and_creates_nothing() {
    let n = Newsroom::new().await;
    let before = (drafts(&n.app).await, n.events().await);
    let cases = [
        (json!({"kind": "reprint"}), "source.origin"),
        (json!({"kind": "reprint", "origin": ""}), "source.origin"),
        (json!({"kind": "reprint", "origin": "   "}), "source.origin"),
        (
            json!({"kind": "reprint", "origin": "源".repeat(201)}),
            "source.origin",
        ),
        (
            json!({"kind": "original", "origin": "新华社"}),
            "source.origin",
        ),
        (json!({"kind": "copied"}), "source.kind"),
    ];
    for (source, field) in cases {
        let res = create(&n.app, &n.author, Some(source.clone())).await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], field, "{source}");
        assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    }
    // 200 characters is the limit, inclusive.
    let res = create(
        &n.app,
        &n.author,
        Some(json!({"kind": "reprint", "origin": "源".repeat(200)})),
    )
    .await;
    assert_eq!(res.status(), 201);
    // Wrong shapes are malformed requests, not validation failures.
    for source in [
        json!({"kind": "reprint", "origin": "x", "url": "y"}),
        json!("original"),
        json!({"kind": 1}),
    ] {
        assert_problem(
            create(&n.app, &n.author, Some(source)).await,
            400,
            "malformed_request",
        )
        .await;
    }
    assert_eq!(
        (drafts(&n.app).await, n.events().await),
        (before.0 + 1, before.1 + 1)
    );
}

async fn edit(n: &Newsroom, id: Uuid, if_match: &str, body: Value) -> reqwest::Response {
    n.app
        .client
        .put(n.app.url(&format!("/drafts/{id}/content")))
        .bearer_auth(&n.author.token)
        .header("if-match", format!("\"{if_match}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_source_is_edited_with_the_content_and_alone_makes_no_revision() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    let before = n.events().await;
    let same = json!({"title": "关于开展安全检查的通知", "body": "正文第一段。\n第二段。\n", "format": "text",
        "source": {"kind": "reprint", "origin": "人民日报"}});
    let res = edit(&n, id, &hash, same.clone()).await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(
        (d["revision"].as_i64(), d["content_hash"].as_str()),
        (Some(1), Some(hash.as_str()))
    );
    assert_eq!(
        d["source"],
        json!({"kind": "reprint", "origin": "人民日报"})
    );
    assert_eq!(n.app.actions_after(before).await, vec!["source_changed"]);
    // The same source again changes nothing; no source keeps it.
    assert_eq!(edit(&n, id, &hash, same).await.status(), 200);
    let kept = json!({"title": "新标题", "body": "新正文。\n", "format": "text"});
    let d: Value = edit(&n, id, &hash, kept).await.json().await.unwrap();
    assert_eq!(d["revision"], 2);
    assert_eq!(
        d["source"],
        json!({"kind": "reprint", "origin": "人民日报"})
    );
    assert_eq!(
        n.app.actions_after(before).await,
        vec!["source_changed", "draft_edited"]
    );
    // Back to original, with a bad field alongside: nothing changes.
    let hash2 = d["content_hash"].as_str().unwrap().to_string();
    let bad = json!({"title": "", "body": "x", "format": "text", "source": {"kind": "reprint"}});
    let body = assert_problem(edit(&n, id, &hash2, bad).await, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["title", "source.origin"]);
    assert_eq!(n.get(&n.author, id).await["source"]["kind"], "reprint");
    assert_eq!(n.app.actions_after(before).await.len(), 2);
}

#[tokio::test]
async fn the_source_cannot_change_once_submitted() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let before = n.events().await;
    let body = json!({"title": "关于开展安全检查的通知", "body": "正文第一段。\n第二段。\n", "format": "text",
        "source": {"kind": "reprint", "origin": "人民日报"}});
    assert_problem(edit(&n, id, &hash, body).await, 409, "invalid_transition").await;
    assert_eq!(
        n.get(&n.author, id).await["source"],
        json!({"kind": "original"})
    );
    assert_eq!(n.events().await, before);
}
