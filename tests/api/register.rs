//! The register (信息发布登记台账, SPEC §9): one row per item published in
//! the period, with each stage's signers; JSON, CSV with a BOM, XLSX;
//! auditor only; each read recorded.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::assert_problem;
use crate::common::newsroom::{Newsroom, STAGES};

/// Publishes a new draft on `channel`; returns its id.
pub async fn published(n: &Newsroom, channel: &str, title: &str, url: &str) -> Uuid {
    let d = n.create_as(&n.author, channel, title).await;
    publish_created(n, d, url).await
}

/// Publishes the draft `d` as created; returns its id.
async fn publish_created(n: &Newsroom, d: Value, url: &str) -> Uuid {
    let id: Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let hash = d["content_hash"].as_str().unwrap().to_string();
    n.through_all_stages(id, &hash).await;
    n.act_ok(
        &n.publisher,
        id,
        "publish",
        json!({"content_hash": hash, "url": url}),
    )
    .await;
    id
}

async fn register_json(n: &Newsroom, query: &str) -> Vec<Value> {
    let res = n
        .app
        .get(&format!("/reports/register{query}"), &n.auditor.token)
        .await;
    assert_eq!(res.status(), 200, "{query}");
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_register_lists_each_published_item_with_its_signers_in_every_format() {
    let n = Newsroom::new().await;
    let first = published(
        &n,
        "portal",
        "关于开展安全检查的通知",
        "https://example.gov.cn/a",
    )
    .await;
    let res = n
        .app
        .post(
            "/drafts",
            &n.author.token,
            json!({"channel": "wechat_official", "title": "冬季防火, \"提示\"", "body": "正文。\n",
                "format": "text", "source": {"kind": "reprint", "origin": "应急管理部"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let second = publish_created(&n, res.json().await.unwrap(), "https://mp.example/b").await;
    n.act_ok(
        &n.publisher,
        second,
        "retract",
        json!({"reason_code": "outdated", "reason": "内容过时"}),
    )
    .await;
    // Publishable but not published, and a plain draft: not in the register.
    n.publishable().await;
    n.draft().await;
    let reads_before = n
        .app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'register_read'")
        .await;
    assert_eq!(reads_before, 0);

    let items = register_json(&n, "").await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["draft_id"], first.to_string());
    assert_eq!(items[0]["channel"], "portal");
    assert_eq!(items[0]["status"], "published");
    assert_eq!(items[0]["url"], "https://example.gov.cn/a");
    assert_eq!(items[0]["author"], "author");
    assert_eq!(items[0]["source"], json!({"kind": "original"}));
    let mut signers = serde_json::Map::new();
    for stage in STAGES {
        signers.insert(stage.into(), json!([format!("signer.{stage}")]));
    }
    assert_eq!(items[0]["signers"], Value::Object(signers));
    assert_eq!(items[1]["draft_id"], second.to_string());
    assert_eq!(items[1]["status"], "retracted");
    assert_eq!(
        items[1]["source"],
        json!({"kind": "reprint", "origin": "应急管理部"})
    );
    let snapshot = n.snapshot(first).await;
    assert_eq!(items[0]["content_hash"], snapshot["content_hash"]);

    let only_portal = register_json(&n, "?channel=portal").await;
    assert_eq!(only_portal.len(), 1);
    let none_yet = register_json(&n, "?since=2999-01-01T00:00:00Z").await;
    assert_eq!(none_yet.len(), 0);
    let before_all = register_json(&n, "?until=2000-01-01T00:00:00Z").await;
    assert_eq!(before_all.len(), 0);
    let no_department = register_json(&n, &format!("?department_id={}", Uuid::new_v4())).await;
    assert_eq!(no_department.len(), 0);

    let res = n
        .app
        .get("/reports/register?format=csv", &n.auditor.token)
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "CSV starts with a BOM"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "published_at");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[1][column("title")], "冬季防火, \"提示\"");
    assert_eq!(&rows[1][column("review_2")], "signer.review_2");
    assert_eq!(&rows[1][column("status")], "retracted");
    assert_eq!(&rows[1][column("source")], "reprint");
    assert_eq!(&rows[1][column("origin")], "应急管理部");
    assert_eq!(&rows[0][column("source")], "original");
    assert_eq!(&rows[0][column("origin")], "");
    assert_eq!(&rows[0][column("leader")], "");

    let res = n
        .app
        .get("/reports/register?format=xlsx", &n.auditor.token)
        .await;
    assert_eq!(res.status(), 200);
    let book = res.bytes().await.unwrap();
    assert!(book.starts_with(b"PK\x03\x04"), "an XLSX is a zip");

    // Every read above left exactly one event.
    let reads = n
        .app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'register_read'")
        .await;
    assert_eq!(reads, 7);
}

#[tokio::test]
async fn the_register_is_for_auditors_and_refuses_bad_queries() {
    let n = Newsroom::new().await;
    let res = n.app.get("/reports/register", &n.author.token).await;
    assert_problem(res, 403, "forbidden").await;
    let res = n.app.get("/reports/register", &n.admin.token).await;
    assert_problem(res, 403, "forbidden").await;
    for query in [
        "format=pdf",
        "since=yesterday",
        "until=2026-13-01T00:00:00Z",
        "department_id=nope",
        "colour=red",
    ] {
        let res = n
            .app
            .get(&format!("/reports/register?{query}"), &n.auditor.token)
            .await;
        assert_problem(res, 400, "malformed_request").await;
    }
    let reads = n
        .app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'register_read'")
        .await;
    assert_eq!(reads, 0, "a refused read records nothing");
}
