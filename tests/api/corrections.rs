//! SPEC §7: corrections (更正) run the whole route and, once published,
//! mark the item they correct `corrected`; retract names a reason code.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::assert_problem;
use crate::common::newsroom::Newsroom;

const TEXT: &str = "正文第一段。\n第二段。\n";

/// A published item by the author on `portal`: (id, content_hash).
async fn published(n: &Newsroom, risk: &str, source: Value) -> (Uuid, String) {
    let res = n
        .app
        .post("/drafts", &n.author.token, json!({"channel": "portal", "title": "关于开展安全检查的通知", "body": TEXT, "format": "text", "risk_level": risk, "source": source}))
        .await;
    assert_eq!(res.status(), 201);
    let d: Value = res.json().await.unwrap();
    let id: Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let hash = d["content_hash"].as_str().unwrap().to_string();
    n.through_all_stages(id, &hash).await;
    n.act_ok(
        &n.publisher,
        id,
        "publish",
        json!({"content_hash": hash, "url": "https://www.example.gov.cn/a/1"}),
    )
    .await;
    (id, hash)
}

fn correction(note: &str) -> Value {
    json!({"title": "关于开展安全检查的通知（更正）", "body": "正文第一段（已更正）。\n第二段。\n", "format": "text", "note": note})
}

async fn open(n: &Newsroom, who: &crate::common::User, id: Uuid, body: Value) -> reqwest::Response {
    n.app
        .post(&format!("/drafts/{id}/corrections"), &who.token, body)
        .await
}

#[tokio::test]
async fn a_published_correction_marks_the_original_corrected_and_both_trails_link() {
    let n = Newsroom::new().await;
    let (original, original_hash) = published(
        &n,
        "important",
        json!({"kind": "reprint", "origin": "新华社"}),
    )
    .await;
    let before = n.events().await;
    let res = open(
        &n,
        &n.author,
        original,
        correction("第一段日期有误，应为12月15日。"),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().contains_key("location"));
    let c: Value = res.json().await.unwrap();
    let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        (
            &c["status"],
            &c["corrects"],
            &c["correction_note"],
            &c["channel"],
            &c["risk_level"],
            &c["source"],
            &c["corrected_by"]
        ),
        (
            &json!("draft"),
            &json!(original),
            &json!("第一段日期有误，应为12月15日。"),
            &json!("portal"),
            &json!("important"),
            &json!({"kind": "reprint", "origin": "新华社"}),
            &Value::Null
        )
    );
    assert_eq!(
        n.app.actions_after(before).await,
        vec!["correction_created"]
    );
    // It runs the whole route, and only its publication touches the original.
    let hash = c["content_hash"].as_str().unwrap().to_string();
    n.through_all_stages(id, &hash).await;
    assert_eq!(n.snapshot(original).await["status"], "published");
    let before = n.events().await;
    let done = n
        .act_ok(
            &n.publisher,
            id,
            "publish",
            json!({"content_hash": hash, "url": "https://www.example.gov.cn/a/2"}),
        )
        .await;
    assert_eq!(done["status"], "published");
    assert_eq!(
        n.app.actions_after(before).await,
        vec!["draft_published", "draft_corrected"]
    );
    let o = n.snapshot(original).await;
    assert_eq!(
        (&o["status"], &o["corrected_by"]),
        (&json!("corrected"), &json!(id))
    );
    // The original's trail names its correction; the correction's, its original.
    let trail: Value = n
        .app
        .get(&format!("/drafts/{original}/trail"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    let last = trail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["action"],
            &last["from_status"],
            &last["to_status"],
            &last["detail"]["corrected_by"]
        ),
        (
            &json!("draft_corrected"),
            &json!("published"),
            &json!("corrected"),
            &json!(id.to_string())
        )
    );
    let trail: Value = n
        .app
        .get(&format!("/drafts/{id}/trail"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        trail["events"][0]["detail"]["corrects"],
        json!(original.to_string())
    );
    // "Is this text, seen live, the approved one?" — it was, and it was corrected.
    let res = n
        .app
        .post(
            "/audit/lookup",
            &n.auditor.token,
            json!({"content_hash": original_hash}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let lookup: Value = res.json().await.unwrap();
    let m = &lookup["matches"][0];
    assert_eq!(lookup["matches"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&m["status"], &m["published"], &m["corrected_by"]),
        (&json!("corrected"), &json!(true), &json!(id))
    );
    // Corrected is final: no retraction, no second correction.
    let before = n.events().await;
    let retract = n
        .act(
            &n.publisher,
            original,
            "retract",
            json!({"reason_code": "error", "reason": "x"}),
        )
        .await;
    assert_problem(retract, 409, "invalid_transition").await;
    assert_problem(
        open(&n, &n.author, original, correction("再次更正")).await,
        409,
        "invalid_transition",
    )
    .await;
    assert_eq!(n.events().await, before);
}

#[tokio::test]
async fn who_may_correct_what_and_with_what() {
    let n = Newsroom::new().await;
    let (original, _) = published(&n, "important", json!({"kind": "original"})).await;
    let (publishable, _) = n.publishable().await;
    let stranger = n.app.user(&n.admin, "stranger", &["editor"]).await;
    let before = (
        n.events().await,
        n.app.count("SELECT count(*) AS n FROM drafts").await,
    );
    assert_problem(
        open(&n, &n.author, publishable, correction("x")).await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(
        open(&n, n.signer("review_1"), original, correction("x")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        open(&n, &stranger, original, correction("x")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        open(&n, &n.author, Uuid::new_v4(), correction("x")).await,
        404,
        "not_found",
    )
    .await;
    let mut lower = correction("x");
    lower["risk_level"] = json!("normal");
    let body = assert_problem(
        open(&n, &n.author, original, lower).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "risk_level");
    for note in ["", "  ", &"更".repeat(501)] {
        let body = assert_problem(
            open(&n, &n.author, original, correction(note)).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "note");
    }
    let mut no_note = correction("x");
    no_note.as_object_mut().unwrap().remove("note");
    assert_problem(
        open(&n, &n.author, original, no_note).await,
        400,
        "malformed_request",
    )
    .await;
    assert_eq!(
        (
            n.events().await,
            n.app.count("SELECT count(*) AS n FROM drafts").await
        ),
        before
    );
    // A publisher of the channel may correct, at a higher tier; one open correction at a time.
    let mut higher = correction("更".repeat(500).as_str());
    higher["risk_level"] = json!("sensitive");
    let res = open(&n, &n.publisher, original, higher).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    assert_eq!(
        (&first["risk_level"], &first["author_id"]),
        (&json!("sensitive"), &json!(n.publisher.id))
    );
    assert_problem(
        open(&n, &n.author, original, correction("第二份")).await,
        409,
        "conflict",
    )
    .await;
    // Withdrawn, it frees the slot.
    let first_id: Uuid = first["id"].as_str().unwrap().parse().unwrap();
    n.act_ok(&n.publisher, first_id, "withdraw", json!({}))
        .await;
    assert_eq!(
        open(&n, &n.author, original, correction("第二份"))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn an_original_retracted_meanwhile_stays_retracted_but_is_linked() {
    let n = Newsroom::new().await;
    let (original, _) = published(&n, "normal", json!({"kind": "original"})).await;
    let c: Value = open(&n, &n.author, original, correction("更正"))
        .await
        .json()
        .await
        .unwrap();
    let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let hash = c["content_hash"].as_str().unwrap().to_string();
    n.act_ok(
        &n.publisher,
        original,
        "retract",
        json!({"reason_code": "error", "reason": "数据有误"}),
    )
    .await;
    n.through_all_stages(id, &hash).await;
    let before = n.events().await;
    n.act_ok(&n.publisher, id, "publish", json!({"content_hash": hash}))
        .await;
    assert_eq!(
        n.app.actions_after(before).await,
        vec!["draft_published", "draft_corrected"]
    );
    let o = n.snapshot(original).await;
    assert_eq!(
        (&o["status"], &o["corrected_by"]),
        (&json!("retracted"), &json!(id))
    );
}

#[tokio::test]
async fn retract_names_one_of_five_reason_codes() {
    let n = Newsroom::new().await;
    let (id, _) = published(&n, "normal", json!({"kind": "original"})).await;
    let before = n.events().await;
    let missing = n
        .act(&n.publisher, id, "retract", json!({"reason": "撤回"}))
        .await;
    assert_problem(missing, 400, "malformed_request").await;
    let bad = n
        .act(
            &n.publisher,
            id,
            "retract",
            json!({"reason_code": "typo", "reason": "撤回"}),
        )
        .await;
    let body = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "reason_code");
    assert_eq!(n.events().await, before);
    let d = n
        .act_ok(
            &n.publisher,
            id,
            "retract",
            json!({"reason_code": "outdated", "reason": "政策已调整"}),
        )
        .await;
    assert_eq!(d["status"], "retracted");
    let events: Value = n
        .app
        .get(
            &format!("/audit/events?draft_id={id}&action=draft_retracted"),
            &n.auditor.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            &events["items"][0]["detail"]["reason_code"],
            &events["items"][0]["detail"]["reason"]
        ),
        (&json!("outdated"), &json!("政策已调整"))
    );
}

#[tokio::test]
async fn two_corrections_opened_at_once_make_one() {
    let n = Newsroom::new().await;
    let (original, _) = published(&n, "normal", json!({"kind": "original"})).await;
    let before = n.events().await;
    let (a, b) = tokio::join!(
        open(&n, &n.author, original, correction("作者的更正")),
        open(&n, &n.publisher, original, correction("发布员的更正")),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    let refused = if a.status() == 409 { a } else { b };
    assert_problem(refused, 409, "conflict").await;
    assert_eq!(
        n.app.actions_after(before).await,
        vec!["correction_created"]
    );
    let open_ones = n
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM drafts WHERE corrects = '{original}'"
        ))
        .await;
    assert_eq!(open_ones, 1);
}
