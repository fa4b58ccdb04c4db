//! SPEC §2 through HTTP: the happy path, one test per invariant 1–6, edits,
//! workflow versions, scopes and the approval sheet.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::{CHECKS, Newsroom, STAGES};
use crate::common::{User, assert_problem};

#[tokio::test]
async fn a_draft_goes_from_created_to_published_and_retracted() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    let d = n.get(&n.author, id).await;
    assert_eq!(
        (d["status"].as_str(), d["revision"].as_i64()),
        (Some("draft"), Some(1))
    );
    assert_eq!(d["workflow"]["stages"], json!(STAGES));
    let res = n.submit(id, &hash).await;
    assert_eq!(
        res.headers()["etag"].to_str().unwrap(),
        format!("\"{hash}\"")
    );
    let d: Value = res.json().await.unwrap();
    assert_eq!(
        (d["status"].as_str(), d["current_stage"].as_str()),
        (Some("in_review"), Some("review_1"))
    );
    for (i, stage) in STAGES.iter().enumerate() {
        let d: Value = n.approve(id, stage, &hash).await.json().await.unwrap();
        let expected = if i == 5 { "publishable" } else { "in_review" };
        assert_eq!(d["status"], expected, "after {stage}");
        assert_eq!(d["current_stage"].as_str(), STAGES.get(i + 1).copied());
    }
    let res = n
        .act(
            &n.publisher,
            id,
            "publish",
            json!({"content_hash": hash, "url": "https://mp.weixin.qq.com/s/x"}),
        )
        .await;
    let d: Value = res.json().await.unwrap();
    assert_eq!(
        (d["status"].as_str(), d["published_url"].as_str()),
        (Some("published"), Some("https://mp.weixin.qq.com/s/x"))
    );
    let res = n
        .act(
            &n.publisher,
            id,
            "retract",
            json!({"reason_code": "error", "reason": "错别字，撤回更正"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "retracted");
    assert_problem(
        n.act(&n.publisher, id, "publish", json!({"content_hash": hash}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn invariant_1_publishable_only_after_six_approvals_in_order() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    for stage in &STAGES[..5] {
        assert_problem(
            n.act(&n.publisher, id, "publish", json!({"content_hash": hash}))
                .await,
            409,
            "invalid_transition",
        )
        .await;
        n.approve_ok(id, stage, &hash).await;
    }
    // Out of order: the sixth stage cannot be signed before the fifth... it is now current.
    let d = n.get(&n.author, id).await;
    assert_eq!(d["current_stage"], "proofread_3");
    n.approve_ok(id, "proofread_3", &hash).await;
    let d = n.get(&n.auditor, id).await;
    assert_eq!(d["status"], "publishable");
    let signoffs = d["signoffs"].as_array().unwrap();
    assert_eq!(signoffs.len(), 6);
    let stages: Vec<&str> = signoffs
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, STAGES);
    assert!(
        signoffs
            .iter()
            .all(|s| s["content_hash"] == hash.as_str() && s["decision"] == "approve")
    );
}

#[tokio::test]
async fn a_stage_out_of_turn_is_a_stage_mismatch() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let before = n.events().await;
    assert_problem(
        n.approve(id, "proofread_1", &hash).await,
        409,
        "stage_mismatch",
    )
    .await;
    assert_eq!(n.events().await, before);
}

#[tokio::test]
async fn invariant_2_the_author_signs_no_stage() {
    let n = Newsroom::new().await;
    let writer = n
        .app
        .user(&n.admin, "writer.reviewer", &["editor", "review_1"])
        .await;
    let d = n.create_as(&writer, "portal", "自己写自己审？").await;
    let (id, hash) = (
        d["id"].as_str().unwrap().parse().unwrap(),
        d["content_hash"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        n.act(&writer, id, "submit", json!({"content_hash": hash}))
            .await
            .status(),
        200
    );
    let before = n.events().await;
    assert_problem(
        n.approve_as(&writer, id, "review_1", &hash).await,
        403,
        "separation_of_duties",
    )
    .await;
    let ret = n
        .act(
            &writer,
            id,
            "return",
            json!({"stage": "review_1", "content_hash": hash, "reason": "x"}),
        )
        .await;
    assert_problem(ret, 403, "separation_of_duties").await;
    assert_eq!(n.events().await, before, "a refusal writes nothing");
    assert_eq!(n.get(&writer, id).await["current_stage"], "review_1");
}

/// Tries `stage` as `who`, who already signed the other stage of its kind:
/// refused with 403 `separation_of_duties` for approve and return alike, and
/// the draft, its sign-offs and the audit trail are exactly as before.
async fn refused_a_second_stage_of_a_kind(n: &Newsroom, who: &User, id: Uuid, stage: &str) {
    let hash = n.snapshot(id).await["content_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let (before, rows, events) = (
        n.snapshot(id).await,
        n.signoff_rows(id).await,
        n.events().await,
    );
    assert_eq!(before["current_stage"], stage);
    assert_problem(
        n.approve_as(who, id, stage, &hash).await,
        403,
        "separation_of_duties",
    )
    .await;
    let ret = n
        .act(
            who,
            id,
            "return",
            json!({"stage": stage, "content_hash": hash, "reason": "x"}),
        )
        .await;
    assert_problem(ret, 403, "separation_of_duties").await;
    let after = n.snapshot(id).await;
    for field in [
        "status",
        "current_stage",
        "revision",
        "signoffs",
        "updated_at",
    ] {
        assert_eq!(after[field], before[field], "{field} unchanged");
    }
    assert_eq!(n.signoff_rows(id).await, rows, "no sign-off row written");
    assert_eq!(n.events().await, events, "no event written");
}

#[tokio::test]
async fn invariant_3_nobody_signs_two_review_or_two_proofread_stages() {
    let n = Newsroom::new().await;
    let reviews = n
        .app
        .user(&n.admin, "double.review", &["review_1", "review_2"])
        .await;
    let proofs = n
        .app
        .user(&n.admin, "double.proof", &["proofread_1", "proofread_2"])
        .await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    for (who, stage) in [(&reviews, "review_1"), (&proofs, "proofread_1")] {
        let res = n.approve_as(who, id, stage, &hash).await;
        assert_eq!(res.status(), 200, "{} signs {stage}", who.username);
    }
    refused_a_second_stage_of_a_kind(&n, &reviews, id, "review_2").await;
    n.approve_ok(id, "review_2", &hash).await;
    refused_a_second_stage_of_a_kind(&n, &proofs, id, "proofread_2").await;
    n.approve_ok(id, "proofread_2", &hash).await;
    assert_eq!(n.snapshot(id).await["current_stage"], "review_3");
}

#[tokio::test]
async fn a_review_and_a_proofread_by_one_person_are_allowed() {
    let n = Newsroom::new().await;
    let double = n
        .app
        .user(&n.admin, "double", &["review_1", "proofread_1"])
        .await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    for stage in ["review_1", "proofread_1"] {
        let res = n.approve_as(&double, id, stage, &hash).await;
        assert_eq!(res.status(), 200, "{stage}");
    }
    assert_eq!(n.snapshot(id).await["current_stage"], "review_2");
}

#[tokio::test]
async fn invariant_4_an_approval_names_the_current_content_hash() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let before = (n.events().await, n.get(&n.author, id).await);
    let stale = "0".repeat(64);
    assert_problem(
        n.approve(id, "review_1", &stale).await,
        409,
        "stale_content",
    )
    .await;
    let ret = n
        .act(
            n.signer("review_1"),
            id,
            "return",
            json!({"stage": "review_1", "content_hash": stale, "reason": "x"}),
        )
        .await;
    assert_problem(ret, 409, "stale_content").await;
    assert_problem(n.submit(id, &stale).await, 409, "invalid_transition").await;
    assert_eq!(
        (n.events().await, n.get(&n.author, id).await),
        before,
        "nothing changed"
    );
    let bad = n
        .act(
            n.signer("review_1"),
            id,
            "approve",
            json!({"stage": "review_1", "content_hash": "nothex", "checks": CHECKS}),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;
}

/// Brings a draft to revision 2 in review at review_1: revision 1 was
/// approved at review_1 and returned at proofread_1. Returns (id, hash of
/// revision 1, hash of revision 2).
async fn resubmitted_revision_2(n: &Newsroom) -> (Uuid, String, String) {
    let (id, old) = n.draft().await;
    n.submit_ok(id, &old).await;
    n.approve_ok(id, "review_1", &old).await;
    n.return_ok(id, "proofread_1", &old).await;
    let new = n.edit_ok(id, &old, "修订后的通知").await;
    assert_ne!(new, old);
    let d = n.submit_ok(id, &new).await;
    assert_eq!(
        (d["revision"].as_i64(), d["current_stage"].as_str()),
        (Some(2), Some("review_1"))
    );
    (id, old, new)
}

#[tokio::test]
async fn invariant_4_an_approval_naming_an_older_revision_is_stale() {
    let n = Newsroom::new().await;
    let (id, old, new) = resubmitted_revision_2(&n).await;
    let (before, rows, events) = (
        n.snapshot(id).await,
        n.signoff_rows(id).await,
        n.events().await,
    );
    assert_eq!(rows, 2, "revision 1's approval and return");
    assert_problem(n.approve(id, "review_1", &old).await, 409, "stale_content").await;
    let ret = n
        .act(
            n.signer("review_1"),
            id,
            "return",
            json!({"stage": "review_1", "content_hash": old, "reason": "x"}),
        )
        .await;
    assert_problem(ret, 409, "stale_content").await;
    assert_eq!(n.snapshot(id).await, before, "the draft is unchanged");
    assert_eq!(n.signoff_rows(id).await, rows, "no sign-off row written");
    assert_eq!(n.events().await, events, "no event written");
    n.approve_ok(id, "review_1", &new).await;
    assert_eq!(n.signoff_rows(id).await, rows + 1);
}

#[tokio::test]
async fn invariant_4_a_publish_naming_an_older_revision_is_stale() {
    let n = Newsroom::new().await;
    let (id, old, new) = resubmitted_revision_2(&n).await;
    for stage in STAGES {
        n.approve_ok(id, stage, &new).await;
    }
    let (before, events) = (n.snapshot(id).await, n.events().await);
    assert_eq!(before["status"], "publishable");
    assert_problem(
        n.act(&n.publisher, id, "publish", json!({"content_hash": old}))
            .await,
        409,
        "stale_content",
    )
    .await;
    assert_eq!(n.snapshot(id).await, before, "the draft is unchanged");
    assert_eq!(n.events().await, events, "no event written");
    let d = n
        .act_ok(&n.publisher, id, "publish", json!({"content_hash": new}))
        .await;
    assert_eq!(d["status"], "published");
}

#[tokio::test]
async fn invariant_5_a_change_makes_a_new_revision_and_starts_again() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    n.approve_ok(id, "review_1", &hash).await;
    n.approve_ok(id, "proofread_1", &hash).await;
    let res = n
        .act(
            n.signer("review_2"),
            id,
            "return",
            json!({"stage": "review_2", "content_hash": hash, "reason": "数据口径不一致"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "returned");

    let edit = n
        .app
        .client
        .put(n.app.url(&format!("/drafts/{id}/content")))
        .bearer_auth(&n.author.token)
        .header("if-match", format!("\"{hash}\""))
        .json(&json!({"title": "关于开展安全检查的通知（修订）", "body": "改正后的正文。\n", "format": "text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
    let new_hash = edit.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();
    let d: Value = edit.json().await.unwrap();
    assert_eq!(
        (d["revision"].as_i64(), d["content_hash"].as_str()),
        (Some(2), Some(new_hash.as_str()))
    );
    assert!(
        d["signoffs"].as_array().unwrap().is_empty(),
        "old sign-offs count for nothing"
    );
    assert_ne!(new_hash, hash);

    let d = n.submit_ok(id, &new_hash).await;
    assert_eq!(
        d["current_stage"], "review_1",
        "a resubmission starts at the first stage"
    );
    n.approve_ok(id, "review_1", &new_hash).await;
    let trail: Value = n
        .app
        .get(&format!("/drafts/{id}/trail"), &n.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    let approvals_of_rev1 = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "stage_approved" && e["revision"] == 1)
        .count();
    assert_eq!(approvals_of_rev1, 2, "older sign-offs stay in the trail");
    assert_eq!(trail["stages"][0]["signer"], "signer.review_1");
    assert_eq!(trail["stages"][1]["signer"], Value::Null);
}

#[tokio::test]
async fn a_resubmission_of_the_same_revision_starts_a_new_round() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    n.approve_ok(id, "review_1", &hash).await;
    n.act_ok(
        n.signer("proofread_1"),
        id,
        "return",
        json!({"stage": "proofread_1", "content_hash": hash, "reason": "请补充落款"}),
    )
    .await;
    let d = n.submit_ok(id, &hash).await;
    assert_eq!(
        (d["current_stage"].as_str(), d["round"].as_i64()),
        (Some("review_1"), Some(2))
    );
    n.through_all_stages_after_submit(id, &hash).await;
    let d = n.get(&n.author, id).await;
    assert_eq!(d["status"], "publishable");
}

trait AfterSubmit {
    async fn through_all_stages_after_submit(&self, id: uuid::Uuid, hash: &str);
}

impl AfterSubmit for Newsroom {
    async fn through_all_stages_after_submit(&self, id: uuid::Uuid, hash: &str) {
        for stage in STAGES {
            assert_eq!(self.approve(id, stage, hash).await.status(), 200, "{stage}");
        }
    }
}

#[tokio::test]
async fn edits_need_if_match() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    let put = |if_match: Option<String>| {
        let mut req = n
            .app
            .client
            .put(n.app.url(&format!("/drafts/{id}/content")))
            .bearer_auth(&n.author.token);
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.json(
            &json!({"title": "新标题", "body": "新正文", "format": "markdown", "summary": "摘要"}),
        )
        .send()
    };
    assert_problem(put(None).await.unwrap(), 428, "precondition_required").await;
    assert_problem(
        put(Some(format!("\"{}\"", "f".repeat(64)))).await.unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    assert_problem(
        put(Some(format!("W/\"{hash}\""))).await.unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    assert_eq!(
        put(Some(format!("\"{hash}\""))).await.unwrap().status(),
        200
    );
    // The old tag no longer matches.
    assert_problem(
        put(Some(format!("\"{hash}\""))).await.unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    let other = n.app.user(&n.admin, "other.editor", &["editor"]).await;
    let d = n.get(&n.author, id).await;
    let tag = format!("\"{}\"", d["content_hash"].as_str().unwrap());
    let res = n
        .app
        .client
        .put(n.app.url(&format!("/drafts/{id}/content")))
        .bearer_auth(&other.token)
        .header("if-match", tag)
        .json(&json!({"title": "t", "body": "b", "format": "text"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn content_limits_are_validated() {
    let n = Newsroom::new().await;
    for (body, field) in [
        (
            json!({"channel": "portal", "title": "", "body": "b", "format": "text"}),
            "title",
        ),
        (
            json!({"channel": "portal", "title": "t".repeat(201), "body": "b", "format": "text"}),
            "title",
        ),
        (
            json!({"channel": "portal", "title": "t", "body": "", "format": "text"}),
            "body",
        ),
        (
            json!({"channel": "portal", "title": "t", "body": "b", "format": "pdf"}),
            "format",
        ),
        (
            json!({"channel": "portal", "title": "t", "body": "b", "format": "text", "summary": "摘".repeat(121)}),
            "summary",
        ),
        (
            json!({"channel": "portal", "title": "t", "body": "b", "format": "text", "risk_level": "extreme"}),
            "risk_level",
        ),
        (
            json!({"channel": "tiktok", "title": "t", "body": "b", "format": "text"}),
            "channel",
        ),
    ] {
        let body = assert_problem(
            n.app.post("/drafts", &n.author.token, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field);
    }
    let admin_try = n
        .app
        .post(
            "/drafts",
            &n.admin.token,
            json!({"channel": "portal", "title": "t", "body": "b", "format": "text"}),
        )
        .await;
    assert_problem(admin_try, 403, "forbidden").await;
}

#[tokio::test]
async fn a_draft_keeps_the_workflow_version_it_was_submitted_under() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let reversed = json!([
        "proofread_1",
        "review_1",
        "proofread_2",
        "review_2",
        "proofread_3",
        "review_3"
    ]);
    let res = n
        .app
        .call(
            Method::PUT,
            "/channels/portal/workflow",
            Some(&n.admin.token),
            Some(json!({"stages": reversed})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let d = n.get(&n.author, id).await;
    assert_eq!(
        (
            d["workflow"]["version"].as_i64(),
            d["current_stage"].as_str()
        ),
        // Version 1 is part one's seed; the §5 migration added version 2.
        (Some(2), Some("review_1"))
    );
    // The servers cache a version once read: the database keeps it as read.
    let mut owner = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    for sql in [
        "UPDATE workflows SET routes = routes || '{}' WHERE channel = 'portal' AND version = 2",
        "DELETE FROM workflows WHERE channel = 'portal' AND version = 2",
    ] {
        let refused = owner.batch_execute(sql).await.expect_err(sql).to_string();
        assert!(refused.contains("immutable"), "{sql}: {refused}");
    }
    n.through_all_stages_after_submit(id, &hash).await;
    let (id2, hash2) = n.draft().await;
    let d = n.submit_ok(id2, &hash2).await;
    assert_eq!(
        (
            d["workflow"]["version"].as_i64(),
            d["current_stage"].as_str()
        ),
        (Some(3), Some("proofread_1"))
    );
}

#[tokio::test]
async fn scopes_limit_who_sees_and_signs() {
    let n = Newsroom::new().await;
    let news = n.app.department(&n.admin, "news").await;
    let culture = n.app.department(&n.admin, "culture").await;
    let news_author = n
        .app
        .user_with(
            &n.admin,
            "news.author",
            Some(news),
            &[("editor", None, None)],
        )
        .await;
    let news_head = n
        .app
        .user_with(
            &n.admin,
            "news.head",
            Some(news),
            &[("review_1", None, Some(news))],
        )
        .await;
    let culture_head = n
        .app
        .user_with(
            &n.admin,
            "culture.head",
            Some(culture),
            &[("review_1", None, Some(culture))],
        )
        .await;
    let qq_only = n
        .app
        .user_with(
            &n.admin,
            "qq.reviewer",
            None,
            &[("review_1", Some("qq_group"), None)],
        )
        .await;
    let d = n.create_as(&news_author, "portal", "新闻科稿件").await;
    let (id, hash): (uuid::Uuid, String) = (
        d["id"].as_str().unwrap().parse().unwrap(),
        d["content_hash"].as_str().unwrap().into(),
    );
    n.act_ok(&news_author, id, "submit", json!({"content_hash": hash}))
        .await;
    for outsider in [&culture_head, &qq_only, &n.admin] {
        assert_problem(
            n.app.get(&format!("/drafts/{id}"), &outsider.token).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            n.approve_as(outsider, id, "review_1", &hash).await,
            404,
            "not_found",
        )
        .await;
    }
    assert_eq!(
        n.approve_as(&news_head, id, "review_1", &hash)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_revoked_grant_no_longer_signs() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let signer = n.signer("review_1");
    let grants: Value = n
        .app
        .get(&format!("/users/{}/grants", signer.id), &n.admin.token)
        .await
        .json()
        .await
        .unwrap();
    let gid = grants[0]["id"].as_str().unwrap();
    let res = n
        .app
        .call(
            Method::DELETE,
            &format!("/users/{}/grants/{gid}", signer.id),
            Some(&n.admin.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204, "revoke the grant");
    // The same token, a moment later: the grant is read at signing time.
    assert_problem(n.approve(id, "review_1", &hash).await, 404, "not_found").await;
}

#[tokio::test]
async fn review_stages_need_all_six_checks_and_returns_need_a_reason() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let s = n.signer("review_1");
    let five = &CHECKS[..5];
    let res = n
        .act(
            s,
            id,
            "approve",
            json!({"stage": "review_1", "content_hash": hash, "checks": five}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("public_opinion")
    );
    let res = n
        .act(
            s,
            id,
            "approve",
            json!({"stage": "review_1", "content_hash": hash}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = n
        .act(
            s,
            id,
            "approve",
            json!({"stage": "review_1", "content_hash": hash, "checks": ["political", "vibes"]}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = n
        .act(
            s,
            id,
            "return",
            json!({"stage": "review_1", "content_hash": hash, "reason": "   "}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = n
        .act(
            s,
            id,
            "return",
            json!({"stage": "review_1", "content_hash": hash}),
        )
        .await;
    assert_problem(res, 400, "malformed_request").await;
    // A proofread stage needs no checks.
    n.approve_ok(id, "review_1", &hash).await;
    let res = n
        .act(
            n.signer("proofread_1"),
            id,
            "approve",
            json!({"stage": "proofread_1", "content_hash": hash}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn withdraw_is_final_and_only_the_authors() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    assert_problem(
        n.act(n.signer("review_1"), id, "withdraw", json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let res = n
        .app
        .client
        .post(n.app.url(&format!("/drafts/{id}/withdraw")))
        .bearer_auth(&n.author.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["status"],
        "withdrawn",
        "an empty body is allowed"
    );
    assert_problem(
        n.act(&n.author, id, "withdraw", json!({"reason": "again"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(n.submit(id, &hash).await, 409, "invalid_transition").await;
}

#[tokio::test]
async fn every_action_writes_exactly_one_event_with_its_transition() {
    let n = Newsroom::new().await;
    let before = n.events().await;
    let (id, hash) = n.publishable().await;
    n.act_ok(&n.publisher, id, "publish", json!({"content_hash": hash}))
        .await;
    let res = n
        .app
        .post(
            &format!("/drafts/{id}/comments"),
            &n.publisher.token,
            json!({"body": "已发布"}),
        )
        .await;
    assert_eq!(res.status(), 201, "comment");
    assert_eq!(
        n.events().await,
        before + 1 + 2 + 6 + 1 + 1,
        "create, submit (with its machine check, SPEC §6), six approvals, publish, comment"
    );
    let trail: Value = n
        .app
        .get(&format!("/drafts/{id}/trail"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions[..4],
        [
            "draft_created",
            "check_run",
            "draft_submitted",
            "stage_approved"
        ]
    );
    let publish = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "draft_published")
        .unwrap();
    assert_eq!(
        (
            publish["from_status"].as_str(),
            publish["to_status"].as_str()
        ),
        (Some("publishable"), Some("published"))
    );
    assert_eq!(publish["content_hash"], hash.as_str());
    let stages: Vec<&str> = trail["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signer"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 6);
    assert_eq!(trail["stages"][0]["checks"], json!(CHECKS));
}

/// The actions check the session in their own transaction, with the draft's
/// lock: a logged-out or disabled signer's still-unexpired token signs
/// nothing, and does not learn whether a draft exists.
#[tokio::test]
async fn a_dead_session_signs_nothing_and_learns_nothing() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    assert_eq!(n.submit(id, &hash).await.status(), 200);
    let signer = n.signer("review_1");
    let before = n.events().await;

    let res = n
        .app
        .call(Method::POST, "/auth/logout", Some(&signer.token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        n.approve(id, "review_1", &hash).await,
        401,
        "unauthenticated",
    )
    .await;
    let missing = uuid::Uuid::new_v4();
    assert_problem(
        n.approve(missing, "review_1", &hash).await,
        401,
        "unauthenticated",
    )
    .await;

    // Logged in again, then disabled by the admin: refused as well.
    let (token, refresh_token) = n
        .app
        .login_ok(&signer.username, crate::common::PASSWORD)
        .await;
    let again = crate::common::User {
        id: signer.id,
        username: signer.username.clone(),
        token,
        refresh_token,
    };
    let res = n
        .app
        .call(
            Method::PATCH,
            &format!("/users/{}", signer.id),
            Some(&n.admin.token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(
        n.approve_as(&again, id, "review_1", &hash).await,
        401,
        "unauthenticated",
    )
    .await;

    let d = n.get(&n.author, id).await;
    assert_eq!(d["current_stage"], "review_1", "nothing was signed");
    assert_eq!(
        n.events().await,
        before + 3,
        "only the logout, the login and the disabling were recorded"
    );
}

/// `Prefer: return=minimal` (RFC 7240) on an action: 204 with the ETag and
/// `Preference-Applied`, no body, and the action took as without it; any
/// other preference gets the draft; a refused action is refused alike.
#[tokio::test]
async fn an_action_with_prefer_return_minimal_answers_204_and_takes_effect() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    let send = |who: &crate::common::User, action: &str, prefer: &str, body: Value| {
        n.app
            .client
            .post(n.app.url(&format!("/drafts/{id}/{action}")))
            .bearer_auth(who.token.clone())
            .header("Prefer", prefer.to_string())
            .json(&body)
    };
    let res = send(
        &n.author,
        "submit",
        "return=minimal",
        json!({"content_hash": hash}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["etag"], format!("\"{hash}\"").as_str());
    assert_eq!(res.headers()["preference-applied"], "return=minimal");
    assert!(res.bytes().await.unwrap().is_empty());
    assert_eq!(n.snapshot(id).await["current_stage"], "review_1");

    let approve = |stage: &str| json!({"stage": stage, "content_hash": hash, "checks": CHECKS});
    // Refused (the author may not sign): the problem, as without it.
    let events = n.events().await;
    let res = send(&n.author, "approve", "return=minimal", approve("review_1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(res.headers().get("preference-applied").is_none());
    assert_eq!(n.events().await, events);

    let res = send(
        n.signer("review_1"),
        "approve",
        "handling=lenient, RETURN=minimal",
        approve("review_1"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    let seen = n.snapshot(id).await;
    assert_eq!(seen["current_stage"], "proofread_1");
    assert_eq!(n.signoff_rows(id).await, 1);

    let res = send(
        n.signer("proofread_1"),
        "approve",
        "return=representation",
        approve("proofread_1"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("preference-applied").is_none());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["current_stage"], "review_2");
}

/// The database refuses a row the rules never write, whoever writes it,
/// and names the rule (migration 000140 keeps every former CHECK in one
/// function call per row); a valid write still passes.
#[tokio::test]
async fn the_database_refuses_each_impossible_draft_or_signoff_naming_the_rule() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    n.approve_ok(id, "review_1", &hash).await;
    let mut owner = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    let d = format!("UPDATE drafts SET {{}} WHERE id = '{id}'");
    let cases = [
        ("status = 'lost'", "drafts_status_check"),
        ("current_stage = 'review_9'", "drafts_current_stage_check"),
        ("risk_level = 'grave'", "drafts_risk_level_check"),
        ("revision = 0", "drafts_revision_check"),
        ("round = -1", "drafts_round_check"),
        ("current_step = -1", "drafts_current_step_check"),
        ("current_stage = NULL", "drafts_check"),
        ("current_stages = '{}'", "drafts_current_step_in_review"),
        (
            "current_stage = 'review_2'",
            "drafts_current_step_in_review",
        ),
        (
            "status = 'publishable', current_stage = NULL, current_step = NULL, current_stages = '{}', due_at = now()",
            "drafts_check1",
        ),
        ("source_kind = 'rumour'", "drafts_source_kind_check"),
        ("source_kind = 'reprint'", "drafts_source_origin"),
        ("source_origin = 'x'", "drafts_source_origin"),
        (
            "source_kind = 'reprint', source_origin = ''",
            "drafts_source_origin_check",
        ),
        ("correction_note = 'why'", "drafts_correction_note"),
        ("corrected_by = author_id", "drafts_corrected_by"),
    ];
    for (set, rule) in cases {
        let sql = d.replace("{}", set);
        let refused = owner.batch_execute(&sql).await.expect_err(&sql).to_string();
        assert!(refused.contains(rule), "{set}: {refused}");
    }
    // A copy of the draft's sign-off in a new round, one column broken.
    for (stage, decision, rule) in [
        ("'review_9'", "decision", "signoffs_stage_check"),
        ("stage", "'maybe'", "signoffs_decision_check"),
    ] {
        let sql = format!(
            "INSERT INTO signoffs (id, draft_id, revision, round, content_hash, stage, signer_id, decision, checks) \
             SELECT gen_random_uuid(), draft_id, revision, round + 1, content_hash, {stage}, signer_id, {decision}, checks \
             FROM signoffs WHERE draft_id = '{id}'"
        );
        let refused = owner.batch_execute(&sql).await.expect_err(rule).to_string();
        assert!(refused.contains(rule), "{rule}: {refused}");
    }
    // What the rules write passes, and nothing above changed the draft.
    let seen = n.snapshot(id).await;
    assert_eq!(seen["current_stage"], "proofread_1");
    n.approve_ok(id, "proofread_1", &hash).await;
}
