//! The authorization matrix: every actor × every action × every status,
//! against an explicit table of expected answers (SPEC §2, §3 and §5: the
//! `leader` and the risk tier).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::User;
use crate::common::newsroom::{CHECKS, Newsroom};

const STATUSES: [&str; 7] = [
    "draft",
    "in_review",
    "returned",
    "publishable",
    "published",
    "withdrawn",
    "retracted",
];
const ACTORS: [&str; 9] = [
    "author",
    "signer",
    "other_signer",
    "leader",
    "publisher",
    "auditor",
    "admin",
    "stranger",
    "anonymous",
];
const ACTIONS: [&str; 10] = [
    "view", "edit", "submit", "approve", "return", "withdraw", "publish", "retract", "comment",
    "risk",
];

/// The problem code a user sees with each refusal in this matrix (the hash
/// is always current, the signer's stage the current one and the risk
/// change a raise with a reason, so a 409 is always the status and a 403
/// always the role or scope); "" for a success.
fn code_of(status: u16) -> &'static str {
    match status {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "invalid_transition",
        _ => "",
    }
}

/// The expected status code, written out rather than derived from the rules.
fn expected(action: &str, actor: &str, status: &str) -> u16 {
    match actor {
        "anonymous" => return 401,
        "admin" | "stranger" => return 404,
        _ => {}
    }
    let allowed = |states: &[&str], ok: u16| if states.contains(&status) { ok } else { 409 };
    if action == "risk" {
        // The status first: only draft, returned and in_review have a tier to set.
        return match (status, actor) {
            ("draft" | "returned", "author") | ("in_review", "signer") => 200,
            ("draft" | "returned" | "in_review", _) => 403,
            _ => 409,
        };
    }
    match (action, actor) {
        ("view", _) => 200,
        ("comment", "auditor") => 403,
        ("comment", _) => 201,
        ("edit" | "submit", "author") => allowed(&["draft", "returned"], 200),
        ("withdraw", "author") => allowed(&["draft", "in_review", "returned", "publishable"], 200),
        ("approve" | "return", "signer") => allowed(&["in_review"], 200),
        ("publish", "publisher") => allowed(&["publishable"], 200),
        ("retract", "publisher") => allowed(&["published"], 200),
        _ => 403,
    }
}

struct Cast {
    n: Newsroom,
    other_signer: User,
    leader: User,
    stranger: User,
}

impl Cast {
    fn user(&self, actor: &str) -> Option<&User> {
        match actor {
            "author" => Some(&self.n.author),
            "signer" => Some(self.n.signer("review_1")),
            "other_signer" => Some(&self.other_signer),
            "leader" => Some(&self.leader),
            "publisher" => Some(&self.n.publisher),
            "auditor" => Some(&self.n.auditor),
            "admin" => Some(&self.n.admin),
            "stranger" => Some(&self.stranger),
            _ => None,
        }
    }

    /// A fresh draft brought to `status`; returns its id and content_hash.
    async fn draft_in(&self, status: &str) -> (Uuid, String) {
        let n = &self.n;
        let (id, hash) = n.draft().await;
        match status {
            "draft" => {}
            "withdrawn" => {
                n.act_ok(&n.author, id, "withdraw", json!({})).await;
            }
            "in_review" | "returned" => {
                n.submit_ok(id, &hash).await;
                if status == "returned" {
                    n.return_ok(id, "review_1", &hash).await;
                }
            }
            _ => {
                n.through_all_stages(id, &hash).await;
                if status != "publishable" {
                    n.act_ok(&n.publisher, id, "publish", json!({"content_hash": hash}))
                        .await;
                }
                if status == "retracted" {
                    n.act_ok(
                        &n.publisher,
                        id,
                        "retract",
                        json!({"reason_code": "other", "reason": "撤回"}),
                    )
                    .await;
                }
            }
        }
        assert_eq!(n.get(&n.author, id).await["status"], status);
        (id, hash)
    }

    async fn attempt(&self, action: &str, actor: &str, id: Uuid, hash: &str) -> (u16, Value) {
        let token = self.user(actor).map(|u| u.token.as_str());
        let app = &self.n.app;
        let stage = "review_1";
        let (method, path, body) = match action {
            "view" => (Method::GET, format!("/drafts/{id}"), None),
            "edit" => {
                let mut req = app
                    .client
                    .put(app.url(&format!("/drafts/{id}/content")))
                    .header("if-match", format!("\"{hash}\""));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let res = req
                    .json(&json!({"title": "改", "body": "改后正文", "format": "text"}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                return (status, res.json().await.unwrap_or(Value::Null));
            }
            "submit" | "publish" => (
                Method::POST,
                format!("/drafts/{id}/{action}"),
                Some(json!({"content_hash": hash})),
            ),
            "approve" => (
                Method::POST,
                format!("/drafts/{id}/approve"),
                Some(json!({"stage": stage, "content_hash": hash, "checks": CHECKS})),
            ),
            "return" => (
                Method::POST,
                format!("/drafts/{id}/return"),
                Some(json!({"stage": stage, "content_hash": hash, "reason": "退回"})),
            ),
            "withdraw" => (
                Method::POST,
                format!("/drafts/{id}/withdraw"),
                Some(json!({})),
            ),
            "retract" => (
                Method::POST,
                format!("/drafts/{id}/retract"),
                Some(json!({"reason_code": "other", "reason": "撤回"})),
            ),
            "risk" => (
                Method::POST,
                format!("/drafts/{id}/risk"),
                Some(json!({"risk_level": "important", "reason": "升级"})),
            ),
            _ => (
                Method::POST,
                format!("/drafts/{id}/comments"),
                Some(json!({"body": "意见"})),
            ),
        };
        let res = app.call(method, &path, token, body).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn every_actor_action_and_status_gets_the_expected_answer() {
    let n = Newsroom::new().await;
    let other_signer = n.app.user(&n.admin, "other.signer", &["proofread_3"]).await;
    let leader = n.app.user(&n.admin, "leader", &["leader"]).await;
    let stranger = n.app.user(&n.admin, "stranger", &["editor"]).await;
    let cast = Cast {
        n,
        other_signer,
        leader,
        stranger,
    };
    let mut failures = Vec::new();
    let mut cases = 0;
    for status in STATUSES {
        // Refusals change nothing, so one draft serves them all; a success
        // gets a draft of its own.
        let (id, hash) = cast.draft_in(status).await;
        for action in ACTIONS {
            for actor in ACTORS {
                let want = expected(action, actor, status);
                let want_code = code_of(want);
                let mutating = want < 300 && !matches!(action, "view" | "comment");
                let (id, hash) = if mutating {
                    cast.draft_in(status).await
                } else {
                    (id, hash.clone())
                };
                // A success writes exactly one event, except a read (none)
                // and a submit (two: its machine check's `check_run`, SPEC
                // §6); a refusal none.
                let want_events = match (want < 300, action) {
                    (false, _) | (true, "view") => 0,
                    (true, "submit") => 2,
                    _ => 1,
                };
                let before = cast.n.events().await;
                let (got, body) = cast.attempt(action, actor, id, &hash).await;
                let got_code = body["code"].as_str().unwrap_or("");
                let written = cast.n.events().await - before;
                cases += 1;
                if (got, got_code, written) != (want, want_code, want_events) {
                    failures.push(format!(
                        "{actor} {action} on {status}: expected {want} {want_code:?} \
                         with {want_events} event(s), got {got} {got_code:?} with {written}: {body}"
                    ));
                }
            }
        }
        let own = cast.n.snapshot(id).await;
        if own["status"] != status {
            failures.push(format!(
                "the shared {status} draft changed to {}",
                own["status"]
            ));
        }
    }
    assert_eq!(cases, STATUSES.len() * ACTIONS.len() * ACTORS.len());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
