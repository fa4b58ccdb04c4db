//! SPEC §2 invariant 6: concurrent actions on one draft serialize; of
//! simultaneous approvals of one stage exactly one succeeds, the others get
//! 409 — also when the requests reach two sanshen processes on one database.

use futures_util::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::{CHECKS, Newsroom};
use crate::common::{TestApp, User};

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
        let before = n.events().await;
        exactly_one_wins(&race(&[&n.app, &second], &racers, id, "review_1", &hash).await);
        assert_eq!(approvals_of(&n, id).await, 1);
        assert_eq!(n.app.actions_after(before).await, ["stage_approved"]);
    }
}

/// Status and problem code (empty for a success) of a response.
async fn outcome(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_string())
}

fn ok() -> (u16, String) {
    (200, String::new())
}

fn refused(code: &str) -> (u16, String) {
    (409, code.to_string())
}

const ROUNDS: usize = 4;

#[tokio::test]
async fn of_two_simultaneous_publishes_one_succeeds() {
    let n = Newsroom::new().await;
    for _ in 0..ROUNDS {
        let (id, hash) = n.publishable().await;
        let before = n.events().await;
        let publish = || n.act(&n.publisher, id, "publish", json!({"content_hash": hash}));
        let mut got = Vec::new();
        for res in join_all([publish(), publish()]).await {
            got.push(outcome(res).await);
        }
        got.sort();
        assert_eq!(got, [ok(), refused("invalid_transition")]);
        assert_eq!(n.app.actions_after(before).await, ["draft_published"]);
        assert_eq!(n.snapshot(id).await["status"], "published");
    }
}

#[tokio::test]
async fn withdraw_racing_an_approval_leaves_a_consistent_story() {
    let n = Newsroom::new().await;
    for _ in 0..ROUNDS {
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        let before = n.events().await;
        let (w, a) = tokio::join!(
            n.act(&n.author, id, "withdraw", json!({})),
            n.approve(id, "review_1", &hash)
        );
        let (w, a) = (outcome(w).await, outcome(a).await);
        assert_eq!(w, ok(), "withdraw is allowed before and after the approval");
        let d = n.snapshot(id).await;
        assert_eq!(d["status"], "withdrawn");
        let actions = n.app.actions_after(before).await;
        if a == ok() {
            // The approval came first: signed, then withdrawn from review_2's turn.
            eprintln!("withdraw vs approve: the approval came first");
            assert_eq!(actions, ["stage_approved", "draft_withdrawn"]);
            assert_eq!(n.signoff_rows(id).await, 1);
        } else {
            eprintln!("withdraw vs approve: the withdrawal came first");
            assert_eq!(a, refused("invalid_transition"), "the loser");
            assert_eq!(actions, ["draft_withdrawn"]);
            assert_eq!(n.signoff_rows(id).await, 0);
        }
    }
}

#[tokio::test]
async fn an_edit_racing_a_submit_leaves_one_outcome() {
    let n = Newsroom::new().await;
    for round in 0..ROUNDS {
        let (id, hash) = n.draft().await;
        let before = n.events().await;
        let title = format!("抢先修改{round}");
        let (e, s) = tokio::join!(n.edit(id, &hash, &title), n.submit(id, &hash));
        let (e, s) = (outcome(e).await, outcome(s).await);
        let d = n.snapshot(id).await;
        let actions = n.app.actions_after(before).await;
        if e == ok() {
            // The edit came first: the submit named the old text.
            eprintln!("edit vs submit: the edit came first");
            assert_eq!(s, refused("stale_content"), "the loser");
            assert_eq!(actions, ["draft_edited"]);
            assert_eq!(
                (d["status"].as_str(), d["revision"].as_i64()),
                (Some("draft"), Some(2))
            );
        } else {
            eprintln!("edit vs submit: the submit came first");
            assert_eq!(s, ok());
            assert_eq!(e, refused("invalid_transition"), "the loser");
            assert_eq!(actions, ["check_run", "draft_submitted"]);
            assert_eq!(
                (d["status"].as_str(), d["revision"].as_i64()),
                (Some("in_review"), Some(1))
            );
        }
    }
}

#[tokio::test]
async fn racing_a_return_against_an_approval_leaves_one_outcome() {
    let n = Newsroom::new().await;
    let racers = signers(&n, 2).await;
    for _ in 0..ROUNDS {
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        let before = n.events().await;
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
        let (a, r) = (outcome(a).await, outcome(r).await);
        let d = n.snapshot(id).await;
        let actions = n.app.actions_after(before).await;
        if a == ok() {
            // The stage moved on: the return named a stage no longer current.
            eprintln!("return vs approve: the approval came first");
            assert_eq!(r, refused("stage_mismatch"), "the loser");
            assert_eq!(actions, ["stage_approved"]);
            assert_eq!(
                (d["status"].as_str(), d["current_stage"].as_str()),
                (Some("in_review"), Some("proofread_1"))
            );
        } else {
            eprintln!("return vs approve: the return came first");
            assert_eq!(r, ok());
            assert_eq!(a, refused("invalid_transition"), "the loser");
            assert_eq!(actions, ["stage_returned"]);
            assert_eq!(d["status"], "returned");
        }
        assert_eq!(approvals_of(&n, id).await, 1, "one sign-off, whichever won");
        assert_eq!(n.signoff_rows(id).await, 1);
    }
}

/// Co-signers (会签) of one stage racing: each must count the others'
/// sign-offs committed before it, or the stage would never reach its
/// quorum (or reach it twice). An action reads the sign-offs in the round
/// trip that takes the lock, and keeps them only if they saw the row as it
/// was locked (`draft_snapshot::RowVersion`). The pool's connections have served
/// reads of the draft but no action yet: diesel-async prepares the lock's
/// statement before it sends it, so the cached reads run first and the
/// racers behind the first read before the lock is theirs.
#[tokio::test]
async fn co_signers_racing_complete_the_stage_exactly_once() {
    for _ in 0..3 {
        let n = Newsroom::new().await;
        let mut normal: Vec<Value> = crate::common::newsroom::STAGES
            .iter()
            .map(|s| json!({"stages": [s], "quorum": 1}))
            .collect();
        normal[0]["quorum"] = json!(5);
        n.put_portal_route(&normal).await;
        let racers = signers(&n, 5).await;
        let (id, hash) = n.draft().await;
        n.submit_ok(id, &hash).await;
        join_all((0..8).map(|_| n.get(&n.auditor, id))).await;
        let before = n.events().await;
        let results = race(&[&n.app], &racers, id, "review_1", &hash).await;
        assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
        let d = n.get(&n.auditor, id).await;
        assert_eq!(d["signoffs"].as_array().unwrap().len(), 5);
        assert_eq!(
            (d["current_stage"].as_str(), d["current_step"].as_i64()),
            (Some("proofread_1"), Some(1)),
            "the fifth signature completes the step"
        );
        let moved = n
            .app
            .count_chained(&format!(
                "SELECT count(*) AS n FROM audit_events WHERE seq > {before} \
                 AND action = 'stage_approved' AND detail->>'next_stage' = 'proofread_1'"
            ))
            .await;
        assert_eq!(moved, 1, "one approval moved the draft on");
    }
}
