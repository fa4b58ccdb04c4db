//! SPEC §5 over HTTP: seeded routes, the routes form of the workflow,
//! co-signing (会签), the leader (审定), escalation and the approval sheet.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::{Newsroom, STAGES};
use crate::common::{User, assert_problem};

/// A newsroom plus a second `review_3` signer and a leader.
async fn cast() -> (Newsroom, User, User) {
    let n = Newsroom::new().await;
    let second = n.app.user(&n.admin, "second.review_3", &["review_3"]).await;
    let leader = n.app.user(&n.admin, "leader", &["leader"]).await;
    (n, second, leader)
}

async fn set_risk(n: &Newsroom, who: &User, id: Uuid, body: Value) -> reqwest::Response {
    n.act(who, id, "risk", body).await
}

async fn sensitive_draft(n: &Newsroom) -> (Uuid, String) {
    let (id, hash) = n.draft().await;
    let res = set_risk(n, &n.author, id, json!({"risk_level": "sensitive"})).await;
    assert_eq!(res.status(), 200);
    (id, hash)
}

#[tokio::test]
async fn every_channel_has_the_seeded_routes_and_put_takes_both_forms() {
    let n = Newsroom::new().await;
    let res = n
        .app
        .post(
            "/channels",
            &n.admin.token,
            json!({"code": "weibo", "name": "微博"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for channel in ["portal", "weibo"] {
        let wf: Value = n
            .app
            .get(&format!("/channels/{channel}/workflow"), &n.author.token)
            .await
            .json()
            .await
            .unwrap();
        let six: Vec<Value> = STAGES
            .iter()
            .map(|s| json!({"stages": [s], "quorum": 1}))
            .collect();
        assert_eq!(wf["routes"]["normal"], json!(six), "{channel}");
        assert_eq!(wf["routes"]["important"].as_array().unwrap().len(), 7);
        assert_eq!(
            wf["routes"]["important"][6],
            json!({"stages": ["leader"], "quorum": 1})
        );
        assert_eq!(
            wf["routes"]["sensitive"][4],
            json!({"stages": ["review_3"], "quorum": 2})
        );
        assert_eq!(wf["stages"], json!(STAGES));
    }
    let put = |body: Value| {
        n.app.call(
            Method::PUT,
            "/channels/portal/workflow",
            Some(&n.admin.token),
            Some(body),
        )
    };
    let routes = json!({
        "normal": [{"stages": ["review_1", "proofread_1"], "quorum": 2, "due_hours": 24},
                   {"stages": ["review_2", "proofread_2", "review_3", "proofread_3"]}],
        "important": [{"stages": ["review_1", "proofread_1", "review_2", "proofread_2", "review_3", "proofread_3"]},
                      {"stages": ["leader"]}],
        "sensitive": [{"stages": ["review_1", "proofread_1", "review_2", "proofread_2", "review_3", "proofread_3", "leader"], "quorum": 5}],
    });
    let res = put(json!({"routes": routes})).await;
    assert_eq!(res.status(), 200);
    let wf: Value = res.json().await.unwrap();
    assert_eq!(
        wf["routes"]["normal"][0],
        json!({"stages": ["review_1", "proofread_1"], "quorum": 2, "due_hours": 24})
    );
    assert_eq!(wf["routes"]["normal"][1]["quorum"], 1);
    let before = n.app.event_count().await;
    let mut bad = routes.clone();
    bad["important"][0]["stages"] = json!([
        "review_1",
        "proofread_1",
        "review_2",
        "proofread_2",
        "review_3",
        "proofread_3",
        "leader"
    ]);
    let p = assert_problem(put(json!({"routes": bad})).await, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "routes.important[0].stages[6]");
    let mut bad = routes.clone();
    bad["sensitive"][0]["quorum"] = json!(6);
    let p = assert_problem(put(json!({"routes": bad})).await, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "routes.sensitive[0].quorum");
    assert_problem(
        put(json!({"routes": routes, "stages": STAGES})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(put(json!({})).await, 422, "validation_failed").await;
    // A whole number may be spelled 2.0 (JSON Schema's integer); a fraction
    // is malformed, and a huge whole number out of range.
    let mut fraction = routes.clone();
    fraction["normal"][0]["quorum"] = json!(1.5);
    assert_problem(
        put(json!({"routes": fraction})).await,
        400,
        "malformed_request",
    )
    .await;
    let mut huge = routes.clone();
    huge["normal"][0]["due_hours"] = json!(1e300);
    let p = assert_problem(put(json!({"routes": huge})).await, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "routes.normal[0].due_hours");
    assert_eq!(n.app.event_count().await, before, "refusals change nothing");
    let mut spelled = routes.clone();
    spelled["normal"][0]["quorum"] = json!(3.0);
    let res = put(json!({"routes": spelled})).await;
    assert_eq!(res.status(), 200);
    let wf: Value = res.json().await.unwrap();
    assert_eq!(wf["routes"]["normal"][0]["quorum"], 3);
    let res = put(json!({"stages": STAGES})).await;
    let wf: Value = res.json().await.unwrap();
    assert_eq!(wf["routes"]["sensitive"], wf["routes"]["normal"]);
}

#[tokio::test]
async fn a_sensitive_draft_needs_two_final_reviewers_and_the_leader() {
    let (n, second, leader) = cast().await;
    let (id, hash) = sensitive_draft(&n).await;
    let d = n.submit_ok(id, &hash).await;
    assert_eq!(
        (d["current_step"].as_i64(), d["current_stages"].clone()),
        (Some(0), json!(["review_1"]))
    );
    for stage in &STAGES[..5] {
        n.approve_ok(id, stage, &hash).await;
    }
    let d = n.get(&n.author, id).await;
    // Short of quorum: still at review_3, one approval shown.
    assert_eq!(
        (
            d["status"].as_str(),
            d["current_stage"].as_str(),
            d["current_step"].as_i64()
        ),
        (Some("in_review"), Some("review_3"), Some(4))
    );
    assert_eq!(d["route"][4]["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(d["route"][4]["complete"], false);
    // The same signer again is not a second signature.
    let res = n.approve(id, "review_3", &hash).await;
    assert_problem(res, 403, "separation_of_duties").await;
    // The leader may not sign before its step.
    assert_problem(
        n.approve_as(&leader, id, "leader", &hash).await,
        409,
        "stage_mismatch",
    )
    .await;
    let tasks: Value = n
        .app
        .get("/tasks", &second.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tasks["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        n.approve_as(&second, id, "review_3", &hash).await.status(),
        200
    );
    let d = n.approve_ok(id, "proofread_3", &hash).await;
    assert_eq!(
        (d["current_stages"].clone(), d["status"].as_str()),
        (json!(["leader"]), Some("in_review"))
    );
    let tasks: Value = n
        .app
        .get("/tasks", &leader.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tasks["items"][0]["id"], id.to_string());
    let res = n
        .act(
            &leader,
            id,
            "approve",
            json!({"stage": "leader", "content_hash": hash, "comment": "同意发布"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(
        (d["status"].as_str(), d["current_stages"].clone()),
        (Some("publishable"), json!([]))
    );
    assert_eq!(
        n.app
            .count(&format!(
                "SELECT count(*) AS n FROM signoffs WHERE draft_id = '{id}'"
            ))
            .await,
        8
    );
    let trail: Value = n
        .app
        .get(&format!("/drafts/{id}/trail"), &n.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            trail["tier"].as_str(),
            trail["workflow"]["version"].as_i64()
        ),
        (Some("sensitive"), Some(2))
    );
    let rows = trail["stages"].as_array().unwrap();
    let signers: Vec<&str> = rows.iter().map(|r| r["signer"].as_str().unwrap()).collect();
    assert_eq!(
        signers,
        [
            "signer.review_1",
            "signer.proofread_1",
            "signer.review_2",
            "signer.proofread_2",
            "signer.review_3",
            "second.review_3",
            "signer.proofread_3",
            "leader"
        ]
    );
    assert_eq!(rows[5]["quorum"], 2);
}

#[tokio::test]
async fn one_return_by_a_co_signer_returns_and_a_leader_signs_nothing_else() {
    let (n, second, _) = cast().await;
    let both = n.app.user(&n.admin, "both", &["leader", "review_1"]).await;
    let (id, hash) = sensitive_draft(&n).await;
    n.submit_ok(id, &hash).await;
    assert_eq!(
        n.approve_as(&both, id, "review_1", &hash).await.status(),
        200
    );
    for stage in &STAGES[1..5] {
        n.approve_ok(id, stage, &hash).await;
    }
    // review_3 has one of its two approvals; the co-signer's veto is enough.
    let res = n
        .act(
            &second,
            id,
            "return",
            json!({"stage": "review_3", "content_hash": hash, "reason": "口径不一致"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(
        (d["status"].as_str(), d["current_stages"].clone()),
        (Some("returned"), json!([]))
    );
    // Round two on the same revision: `both` signed review_1, so not leader.
    n.submit_ok(id, &hash).await;
    for stage in STAGES {
        let who = if stage == "review_1" {
            &both
        } else {
            n.signer(stage)
        };
        assert_eq!(
            n.approve_as(who, id, stage, &hash).await.status(),
            200,
            "{stage}"
        );
        if stage == "review_3" {
            assert_eq!(
                n.approve_as(&second, id, "review_3", &hash).await.status(),
                200
            );
        }
    }
    let res = n
        .act(
            &both,
            id,
            "approve",
            json!({"stage": "leader", "content_hash": hash}),
        )
        .await;
    assert_problem(res, 403, "separation_of_duties").await;
}

#[tokio::test]
async fn escalation_raises_never_lowers_and_keeps_this_rounds_approvals() {
    let (n, _, _) = cast().await;
    let (id, hash) = n.draft().await;
    let before = n.app.event_count().await;
    // Before review the author chooses freely; the same tier again is a no-op.
    assert_eq!(
        set_risk(&n, &n.author, id, json!({"risk_level": "important"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        set_risk(&n, &n.author, id, json!({"risk_level": "normal"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        set_risk(&n, &n.author, id, json!({"risk_level": "normal"}))
            .await
            .status(),
        200
    );
    assert_eq!(n.app.event_count().await, before + 2);
    assert_problem(
        set_risk(
            &n,
            n.signer("review_1"),
            id,
            json!({"risk_level": "sensitive"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        set_risk(&n, &n.author, id, json!({"risk_level": "urgent"})).await,
        422,
        "validation_failed",
    )
    .await;
    n.submit_ok(id, &hash).await;
    n.approve_ok(id, "review_1", &hash).await;
    n.approve_ok(id, "proofread_1", &hash).await;
    let at = n.app.event_count().await;
    // During review: only a signer of an open stage, only up, with a reason.
    assert_problem(
        set_risk(
            &n,
            &n.author,
            id,
            json!({"risk_level": "sensitive", "reason": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        set_risk(
            &n,
            n.signer("review_3"),
            id,
            json!({"risk_level": "sensitive", "reason": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let p = assert_problem(
        set_risk(
            &n,
            n.signer("review_2"),
            id,
            json!({"risk_level": "sensitive"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "reason");
    let res = set_risk(
        &n,
        n.signer("review_2"),
        id,
        json!({"risk_level": "sensitive", "reason": "涉及人事"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(
        (
            d["risk_level"].as_str(),
            d["current_stages"].clone(),
            d["current_step"].as_i64()
        ),
        (Some("sensitive"), json!(["review_2"]), Some(2))
    );
    assert_eq!(d["route"].as_array().unwrap().len(), 7);
    assert_eq!(d["route"][0]["approvals"][0]["signer"], "signer.review_1");
    assert_problem(
        set_risk(
            &n,
            n.signer("review_2"),
            id,
            json!({"risk_level": "important", "reason": "x"}),
        )
        .await,
        409,
        "risk_lowering",
    )
    .await;
    assert_eq!(n.app.actions_after(at).await, ["risk_changed"]);
    let ev = n.app.count(&format!(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'risk_changed' AND draft_id = '{id}' \
         AND detail->>'from' = 'normal' AND detail->>'to' = 'sensitive' AND detail->>'reason' = '涉及人事'")).await;
    assert_eq!(ev, 1);
}
