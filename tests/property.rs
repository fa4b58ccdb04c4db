//! A property over HTTP: random sequences of actions by random users,
//! against the real server and database, never reach publishable without
//! six approvals on one content_hash by eligible, separate signers — and
//! every answer is either a success with one audit event or a refusal with none.

mod common;

use std::collections::HashMap;

use common::User;
use common::newsroom::{CHECKS, Newsroom, STAGES};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

struct Cast {
    n: Newsroom,
    writer: User,
    people: Vec<(User, Vec<&'static str>)>,
}

async fn cast() -> Cast {
    let n = Newsroom::new().await;
    // The author also holds review_1: invariant 2 gets exercised.
    let writer = n
        .app
        .user(&n.admin, "writer", &["editor", "review_1"])
        .await;
    let mut people: Vec<(User, Vec<&'static str>)> = Vec::new();
    for stage in STAGES {
        people.push((n.signer(stage).clone(), vec![stage]));
    }
    people.push((
        n.app
            .user(&n.admin, "reviews", &["review_1", "review_2", "review_3"])
            .await,
        vec!["review_1", "review_2", "review_3"],
    ));
    people.push((
        n.app
            .user(
                &n.admin,
                "proofs",
                &["proofread_1", "proofread_2", "proofread_3"],
            )
            .await,
        vec!["proofread_1", "proofread_2", "proofread_3"],
    ));
    people.push((n.publisher.clone(), vec!["publisher"]));
    people.push((writer.clone(), vec!["editor", "review_1"]));
    Cast { n, writer, people }
}

type Step = (usize, u8, usize, bool, bool);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0usize..24,
            0u8..40,
            0usize..9,
            prop::bool::weighted(0.85),
            prop::bool::weighted(0.85),
        ),
        40..100,
    )
}

async fn step(c: &Cast, id: Uuid, (who, what, stage_i, fresh, full): Step) -> u16 {
    let d = c.n.get(&c.n.auditor, id).await;
    let hash = if fresh {
        d["content_hash"].as_str().unwrap_or("").to_string()
    } else {
        "e".repeat(64)
    };
    // Mostly the current stage, sometimes another (a stage_mismatch); always
    // the current one for the focused actor.
    let random_stage = if stage_i < 3 && who < c.people.len() {
        STAGES.get(stage_i * 2).copied()
    } else {
        None
    };
    let stage = random_stage
        .or(d["current_stage"].as_str())
        .unwrap_or("review_1");
    // Past the cast's size: whoever signs the current stage, to make progress likely.
    let actor = c
        .people
        .get(who)
        .map_or_else(|| c.n.signer(stage), |(u, _)| u);
    let checks: &[&str] = if full { &CHECKS } else { &CHECKS[..2] };
    // The focused actor (past the cast's size) moves a draft or returned
    // draft on by submitting it; otherwise runs would rarely get anywhere.
    let editable = matches!(d["status"].as_str(), Some("draft" | "returned"));
    let what = if who >= c.people.len() && editable && (3..=25).contains(&what) {
        1
    } else {
        what
    };
    let (method, path, body) = match what {
        0 => {
            let res = c
                .n
                .app
                .client
                .put(c.n.app.url(&format!("/drafts/{id}/content")))
                .bearer_auth(&c.writer.token)
                .header("if-match", format!("\"{hash}\""))
                .json(&json!({"title": format!("标题{}", rand::random::<u16>()), "body": "正文", "format": "text"}))
                .send()
                .await
                .unwrap();
            return res.status().as_u16();
        }
        1 | 2 => (Method::POST, "submit", json!({"content_hash": hash})),
        3..=25 => (
            Method::POST,
            "approve",
            json!({"stage": stage, "content_hash": hash, "checks": checks}),
        ),
        26 | 27 => (
            Method::POST,
            "return",
            json!({"stage": stage, "content_hash": hash, "reason": "退回修改"}),
        ),
        // Withdrawal is final; rare, so that runs live long enough to finish.
        28 if stage_i == 0 => (Method::POST, "withdraw", json!({})),
        28 => (Method::POST, "submit", json!({"content_hash": hash})),
        29..=33 => (Method::POST, "publish", json!({"content_hash": hash})),
        _ => (Method::POST, "retract", json!({"reason": "撤回"})),
    };
    let token = if matches!(what, 1 | 2 | 28) {
        &c.writer.token
    } else {
        &actor.token
    };
    c.n.app
        .call(
            method,
            &format!("/drafts/{id}/{path}"),
            Some(token),
            Some(body),
        )
        .await
        .status()
        .as_u16()
}

/// Invariant 1 read back through the API.
fn check_publishable(c: &Cast, d: &Value) -> Result<(), String> {
    let round = d["round"].as_i64().unwrap_or(-1);
    let approvals: Vec<&Value> = d["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["round"].as_i64() == Some(round) && s["decision"] == "approve")
        .collect();
    let stages: Vec<&str> = approvals
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    let order: Vec<&str> = d["workflow"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    if stages != order {
        return Err(format!(
            "approvals {stages:?} are not the workflow {order:?}"
        ));
    }
    if approvals
        .iter()
        .any(|s| s["content_hash"] != d["content_hash"])
    {
        return Err("an approval names another content_hash".into());
    }
    let grants: HashMap<String, &Vec<&str>> = c
        .people
        .iter()
        .map(|(u, r)| (u.id.to_string(), r))
        .collect();
    let mut by_kind: HashMap<(&str, String), usize> = HashMap::new();
    for s in &approvals {
        let signer = s["signer_id"].as_str().unwrap().to_string();
        let stage = s["stage"].as_str().unwrap();
        if signer == d["author_id"].as_str().unwrap() {
            return Err("the author signed".into());
        }
        if !grants.get(&signer).is_some_and(|r| r.contains(&stage)) {
            return Err(format!("{signer} was not eligible for {stage}"));
        }
        *by_kind
            .entry((
                if stage.starts_with("review") {
                    "review"
                } else {
                    "proofread"
                },
                signer,
            ))
            .or_default() += 1;
    }
    if by_kind.values().any(|n| *n > 1) {
        return Err("one person signed two stages of a kind".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_action_sequences_never_break_invariant_1() {
    let c = cast().await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let reached = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&steps(), |steps| {
        let outcome: Result<bool, String> = tokio::task::block_in_place(|| {
            handle.block_on(async {
                let d = c.n.create_as(&c.writer, "portal", "随机").await;
                let id: Uuid = d["id"].as_str().unwrap().parse().unwrap();
                let mut got_there = false;
                for s in steps {
                    let before = c.n.events().await;
                    let status = step(&c, id, s).await;
                    let written = c.n.events().await - before;
                    if status >= 500 {
                        return Err(format!("server error {status}"));
                    }
                    let expected_events = i64::from(status < 300);
                    if written != expected_events {
                        return Err(format!("status {status} wrote {written} events"));
                    }
                    let d = c.n.get(&c.n.auditor, id).await;
                    if matches!(d["status"].as_str(), Some("publishable" | "published")) {
                        got_there = true;
                        check_publishable(&c, &d)?;
                    }
                }
                Ok(got_there)
            })
        });
        match outcome {
            Ok(got_there) => {
                reached.fetch_add(usize::from(got_there), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            Err(why) => Err(TestCaseError::fail(why)),
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let reached = reached.into_inner();
    eprintln!("{reached} of 12 random runs reached publishable");
    assert!(
        reached >= 3,
        "no random run reached publishable: the property went untested"
    );
}
