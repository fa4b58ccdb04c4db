//! The machine check (SPEC §6, issue 16): pre-flight, the gate on submit,
//! the stored report, acknowledgements, and lexicon changes seen across
//! instances.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::{CHECKS, Newsroom};
use crate::common::{User, assert_problem};
use crate::lexicons::{create_lexicon, put_json_ok};

/// A newsroom with a `banned` lexicon (one block term, one warn term).
async fn newsroom_with_lexicon() -> Newsroom {
    let room = Newsroom::new().await;
    create_lexicon(&room.app, &room.admin, "banned", None).await;
    put_json_ok(
        &room.app,
        &room.admin,
        "banned",
        json!([
            {"term": "法轮", "severity": "block"},
            {"term": "不规范", "severity": "warn", "suggestion": "规范"},
        ]),
    )
    .await;
    room
}

async fn draft_with(room: &Newsroom, body: &str, format: &str) -> (Uuid, String) {
    let res = room
        .app
        .post(
            "/drafts",
            &room.author.token,
            json!({"channel": "portal", "title": "通知", "body": body, "format": format}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let d: Value = res.json().await.unwrap();
    (
        d["id"].as_str().unwrap().parse().unwrap(),
        d["content_hash"].as_str().unwrap().to_string(),
    )
}

fn ids(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

async fn approve_with(
    room: &Newsroom,
    who: &User,
    id: Uuid,
    stage: &str,
    hash: &str,
    acknowledged: Value,
) -> reqwest::Response {
    room.act(who, id, "approve", json!({"stage": stage, "content_hash": hash, "checks": CHECKS, "acknowledged": acknowledged}))
        .await
}

#[tokio::test]
async fn preflight_reports_terms_through_separators_and_personal_data_and_stores_nothing() {
    let room = newsroom_with_lexicon().await;
    let before = room.events().await;
    let body = "请勿传播法 .\u{200B}轮相关内容，联系13800138000。";
    let res = room
        .app
        .post("/check", &room.author.token, json!({"channel": "portal", "title": "ＦＡＬＵＮ与不规范", "body": body, "format": "text"}))
        .await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["lexicon_versions"], json!({"banned": 1}));
    assert_eq!(
        ids(&report["findings"]),
        [
            "title:6-9:lexicon:banned",
            "body:4-9:lexicon:banned",
            "body:16-27:mobile"
        ]
    );
    let term = &report["findings"][1];
    assert_eq!(
        (term["severity"].as_str(), term["term"].as_str()),
        (Some("block"), Some("法轮"))
    );
    assert_eq!(
        term["excerpt"], body,
        "the whole body is within 20 characters"
    );
    assert_eq!(report["findings"][0]["suggestion"], "规范");
    assert_eq!(report["report_hash"].as_str().unwrap().len(), 64);
    assert_eq!(room.events().await, before, "a pre-flight writes no event");
    assert_eq!(
        room.app
            .count("SELECT count(*) AS n FROM check_reports")
            .await,
        0
    );

    // Signers may ask too; admins and auditors may not; bad input is named.
    let signer = room.signer("review_2");
    let res = room
        .app
        .post(
            "/check",
            &signer.token,
            json!({"channel": "portal", "title": "t", "body": "b", "format": "html"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = room
        .app
        .post(
            "/check",
            &room.auditor.token,
            json!({"channel": "portal", "title": "t", "body": "b", "format": "text"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = room
        .app
        .post(
            "/check",
            &room.author.token,
            json!({"channel": "nope", "title": "t", "body": "b", "format": "text"}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422, "validation_failed").await["errors"][0]["field"],
        "channel"
    );
    let res = room
        .app
        .post(
            "/check",
            &room.author.token,
            json!({"channel": "portal", "title": "", "body": "b", "format": "text"}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422, "validation_failed").await["errors"][0]["field"],
        "title"
    );
}

#[tokio::test]
async fn a_block_finding_refuses_submit_and_changes_nothing() {
    let room = newsroom_with_lexicon().await;
    let (id, hash) = draft_with(&room, "<p>此处有<b>法</b>&#x8F6E;字样</p>", "html").await;
    let before = room.events().await;
    let res = room.submit(id, &hash).await;
    let problem = assert_problem(res, 422, "check_failed").await;
    assert_eq!(ids(&problem["findings"]), ["body:3-5:lexicon:banned"]);
    assert_eq!(problem["findings"][0]["excerpt"], "此处有法轮字样");
    assert_eq!(room.get(&room.author, id).await["status"], "draft");
    assert_eq!(
        room.events().await,
        before,
        "no check_run, no draft_submitted"
    );
    assert_eq!(
        room.app
            .count("SELECT count(*) AS n FROM check_reports")
            .await,
        0
    );
    assert_problem(
        room.app
            .get(&format!("/drafts/{id}/check"), &room.author.token)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn warn_findings_are_stored_audited_and_must_be_acknowledged_by_the_first_step() {
    let room = newsroom_with_lexicon().await;
    let (id, hash) = draft_with(&room, "表述不规范。身份证440524199003071236。", "text").await;
    let before = room.events().await;
    room.submit_ok(id, &hash).await;
    let mut actions = room.app.actions_after(before).await;
    assert_eq!(actions, ["check_run", "draft_submitted"]);

    let res = room
        .app
        .get(
            &format!("/drafts/{id}/check"),
            &room.signer("review_1").token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["content_hash"], hash.as_str());
    assert_eq!(stored["revision"], 1);
    assert_eq!(stored["lexicon_versions"], json!({"banned": 1}));
    let want = ["body:2-5:lexicon:banned", "body:9-27:id_card"];
    assert_eq!(ids(&stored["findings"]), want);
    let report_hash = stored["report_hash"].as_str().unwrap();
    let n = room
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'check_run' AND draft_id = '{id}' \
             AND detail->'counts' = '{{\"id_card\": 1, \"lexicon:banned\": 1}}'::jsonb \
             AND detail->>'report_hash' = '{report_hash}' AND content_hash = '{hash}'"
        ))
        .await;
    assert_eq!(
        n, 1,
        "check_run carries the counts per rule and the report hash"
    );

    let first = room.signer("review_1");
    let before = room.events().await;
    let res = approve_with(&room, first, id, "review_1", &hash, json!([want[0]])).await;
    let problem = assert_problem(res, 422, "findings_unacknowledged").await;
    assert_eq!(problem["unacknowledged"], json!([want[1]]));
    let res = approve_with(
        &room,
        first,
        id,
        "review_1",
        &hash,
        json!(["body:0-1:email"]),
    )
    .await;
    assert_eq!(
        assert_problem(res, 422, "validation_failed").await["errors"][0]["field"],
        "acknowledged"
    );
    assert_eq!(
        room.events().await,
        before,
        "refused approvals change nothing"
    );
    assert_eq!(room.get(first, id).await["current_stage"], "review_1");

    let res = approve_with(&room, first, id, "review_1", &hash, json!(want)).await;
    assert_eq!(res.status(), 200);
    let draft: Value = res.json().await.unwrap();
    assert_eq!(draft["signoffs"][0]["acknowledged"], json!(want));
    // Later steps need no acknowledgement.
    room.approve_ok(id, "proofread_1", &hash).await;
    let trail: Value = room
        .app
        .get(&format!("/drafts/{id}/trail"), &room.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trail["stages"][0]["acknowledged"], json!(want));
    assert_eq!(trail["stages"][1]["acknowledged"], json!([]));
    actions = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "draft_created",
            "check_run",
            "draft_submitted",
            "stage_approved",
            "stage_approved"
        ]
    );
    assert_eq!(trail["events"][3]["detail"]["acknowledged"], json!(want));

    // The sheet prints the report the signers saw, and what they acknowledged.
    let res = room
        .app
        .get(&format!("/drafts/{id}/sheet"), &room.auditor.token)
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let line = format!(
        "机审：阻断 0 条，提示 2 条（已确认 2 条）；词库 banned v1；报告 SHA-256 {report_hash}"
    );
    assert!(html.contains(&line), "{line} missing from the sheet");
    assert!(!html.contains("无机审记录"));
}

#[tokio::test]
async fn clean_text_passes_with_an_empty_report_and_plain_approvals() {
    let room = Newsroom::new().await;
    let (id, hash) = room.draft().await;
    room.through_all_stages(id, &hash).await;
    let stored: Value = room
        .app
        .get(&format!("/drafts/{id}/check"), &room.author.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["findings"], json!([]));
    assert_eq!(stored["lexicon_versions"], json!({}));
    let n = room
        .app
        .count_chained(&format!("SELECT count(*) AS n FROM audit_events WHERE action = 'check_run' AND draft_id = '{id}' AND detail->'counts' = '{{}}'::jsonb"))
        .await;
    assert_eq!(n, 1);
    // Not visible to a stranger.
    let stranger = room.app.user(&room.admin, "stranger", &["editor"]).await;
    assert_problem(
        room.app
            .get(&format!("/drafts/{id}/check"), &stranger.token)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_lexicon_scoped_to_a_channel_applies_only_there() {
    let room = Newsroom::new().await;
    create_lexicon(&room.app, &room.admin, "wx", Some(&["wechat_official"])).await;
    put_json_ok(
        &room.app,
        &room.admin,
        "wx",
        json!([{"term": "通知", "severity": "block"}]),
    )
    .await;
    let (id, hash) = room.draft().await; // portal, title 关于开展安全检查的通知
    room.submit_ok(id, &hash).await;
    let wx = room
        .app
        .post(
            "/check",
            &room.author.token,
            json!({"channel": "wechat_official", "title": "通知", "body": "b", "format": "text"}),
        )
        .await;
    let report: Value = wx.json().await.unwrap();
    assert_eq!(ids(&report["findings"]), ["title:0-2:lexicon:wx"]);
}

#[tokio::test]
async fn another_instances_lexicon_change_is_seen_before_the_next_check() {
    let room = newsroom_with_lexicon().await;
    let other = room.app.second_process().await;
    let body = json!({"channel": "portal", "title": "t", "body": "新词出现", "format": "text"});
    let token = &room.author.token;
    let first: Value = room
        .app
        .post("/check", token, body.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["findings"], json!([]));
    assert_eq!(first["lexicon_versions"], json!({"banned": 1}));
    put_json_ok(
        &other,
        &room.admin,
        "banned",
        json!([{"term": "新词", "severity": "warn"}]),
    )
    .await;
    let second: Value = room
        .app
        .post("/check", token, body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["lexicon_versions"], json!({"banned": 2}));
    assert_eq!(ids(&second["findings"]), ["body:0-2:lexicon:banned"]);
}
