//! SPEC §2 invariant 6: concurrent actions on one draft serialize; of
//! simultaneous approvals of one stage exactly one succeeds, the others get
//! 409 — also when the requests reach two sanshen processes on one database.

mod common;

use common::newsroom::{CHECKS, Newsroom};
use common::{TestApp, User};

use futures_util::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

async fn race(
    apps: &[&TestApp],
    signers: &[User],
    id: Uuid,
    stage: &str,
    hash: &str,
) -> Vec<(u16, String)> {
    let calls = signers.iter().enumerate().map(|(i, s)| {
        let app = apps[i % apps.len()];
        async move {
            let res = app
                .post(
                    &format!("/drafts/{id}/approve"),
                    &s.token,
                    json!({"stage": stage, "content_hash": hash, "checks": CHECKS}),
                )
                .await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body["code"].as_str().unwrap_or("").to_string())
        }
    });
    join_all(calls).await
}

async fn signers(n: &Newsroom, count: usize) -> Vec<User> {
    let mut all = Vec::new();
    for i in 0..count {
        all.push(
            n.app
                .user(&n.admin, &format!("r1.{i}"), &["review_1"])
                .await,
        );
    }
    all
}

fn exactly_one_wins(results: &[(u16, String)]) {
    let wins = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, code)| *s == 200 || (*s == 409 && code == "stage_mismatch")),
        "{results:?}"
    );
}

async fn approvals_of(n: &Newsroom, id: Uuid) -> usize {
    let d = n.get(&n.auditor, id).await;
    d["signoffs"].as_array().unwrap().len()
}

#[tokio::test]
async fn of_simultaneous_approvals_exactly_one_succeeds() {
    let n = Newsroom::new().await;
    let racers = signers(&n, 8).await;
    for _ in 0..5 {
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        let before = n.events().await;
        exactly_one_wins(&race(&[&n.app], &racers, id, "review_1", &hash).await);
        assert_eq!(approvals_of(&n, id).await, 1);
        assert_eq!(
            n.events().await,
            before + 1,
            "one event for the one approval"
        );
        assert_eq!(n.get(&n.author, id).await["current_stage"], "proofread_1");
    }
}

#[tokio::test]
async fn two_processes_on_one_database_serialize_too() {
    let n = Newsroom::new().await;
    let second = n.app.second_process().await;
    let racers = signers(&n, 8).await;
    for _ in 0..5 {
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        exactly_one_wins(&race(&[&n.app, &second], &racers, id, "review_1", &hash).await);
        assert_eq!(approvals_of(&n, id).await, 1);
    }
}

#[tokio::test]
async fn racing_a_return_against_an_approval_leaves_one_outcome() {
    let n = Newsroom::new().await;
    let racers = signers(&n, 2).await;
    for _ in 0..5 {
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        let (approve_path, return_path) = (
            format!("/drafts/{id}/approve"),
            format!("/drafts/{id}/return"),
        );
        let approve = n.app.post(
            &approve_path,
            &racers[0].token,
            json!({"stage": "review_1", "content_hash": hash, "checks": CHECKS}),
        );
        let ret = n.app.post(
            &return_path,
            &racers[1].token,
            json!({"stage": "review_1", "content_hash": hash, "reason": "不同意"}),
        );
        let (a, r) = tokio::join!(approve, ret);
        let codes = [a.status().as_u16(), r.status().as_u16()];
        assert!(
            codes.contains(&200) && codes.iter().filter(|c| **c == 200).count() == 1,
            "{codes:?}"
        );
        assert_eq!(approvals_of(&n, id).await, 1, "one sign-off, whichever won");
    }
}
