//! A newsroom for workflow tests: an author, one signer per stage, a
//! publisher and an auditor, and the verbs they use.

use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{TestApp, User};

pub const STAGES: [&str; 6] = [
    "review_1",
    "proofread_1",
    "review_2",
    "proofread_2",
    "review_3",
    "proofread_3",
];
pub const CHECKS: [&str; 6] = [
    "political",
    "legal",
    "policy",
    "secrecy",
    "language",
    "public_opinion",
];

pub struct Newsroom {
    pub app: TestApp,
    pub admin: User,
    pub author: User,
    /// One signer per stage, in STAGES order.
    pub signers: Vec<User>,
    pub publisher: User,
    pub auditor: User,
}

impl Newsroom {
    pub async fn new() -> Newsroom {
        let app = TestApp::spawn().await;
        let admin = app.admin().await;
        let author = app.user(&admin, "author", &["editor"]).await;
        let mut signers = Vec::new();
        for stage in STAGES {
            signers.push(app.user(&admin, &format!("signer.{stage}"), &[stage]).await);
        }
        let publisher = app.user(&admin, "publisher", &["publisher"]).await;
        let auditor = app.user(&admin, "auditor", &["auditor"]).await;
        Newsroom {
            app,
            admin,
            author,
            signers,
            publisher,
            auditor,
        }
    }

    /// Gives `portal` the same route at every tier, as its admin.
    pub async fn put_portal_route(&self, route: &[Value]) {
        let res = self
            .app
            .call(
                reqwest::Method::PUT,
                "/channels/portal/workflow",
                Some(&self.admin.token),
                Some(json!({"routes": {"normal": route, "important": route, "sensitive": route}})),
            )
            .await;
        assert_eq!(res.status(), 200, "PUT /channels/portal/workflow");
    }

    pub fn signer(&self, stage: &str) -> &User {
        &self.signers[STAGES
            .iter()
            .position(|s| *s == stage)
            .expect("a stage name")]
    }

    pub async fn create_as(&self, who: &User, channel: &str, title: &str) -> Value {
        let res = self
            .app
            .post("/drafts", &who.token, json!({"channel": channel, "title": title, "body": "正文第一段。\n第二段。\n", "format": "text"}))
            .await;
        assert_eq!(res.status(), 201, "create draft");
        res.json().await.expect("draft json")
    }

    /// A new draft by the author on `portal`; returns (id, content_hash).
    pub async fn draft(&self) -> (Uuid, String) {
        let d = self
            .create_as(&self.author, "portal", "关于开展安全检查的通知")
            .await;
        (
            d["id"].as_str().unwrap().parse().unwrap(),
            d["content_hash"].as_str().unwrap().to_string(),
        )
    }

    pub async fn get(&self, who: &User, id: Uuid) -> Value {
        let res = self.app.get(&format!("/drafts/{id}"), &who.token).await;
        assert_eq!(res.status(), 200, "{} reads /drafts/{id}", who.username);
        res.json().await.expect("draft json")
    }

    pub async fn act(&self, who: &User, id: Uuid, action: &str, body: Value) -> Response {
        self.app
            .call(
                Method::POST,
                &format!("/drafts/{id}/{action}"),
                Some(&who.token),
                Some(body),
            )
            .await
    }

    pub async fn submit(&self, id: Uuid, hash: &str) -> Response {
        self.act(&self.author, id, "submit", json!({"content_hash": hash}))
            .await
    }

    pub async fn approve_as(&self, who: &User, id: Uuid, stage: &str, hash: &str) -> Response {
        self.act(
            who,
            id,
            "approve",
            json!({"stage": stage, "content_hash": hash, "checks": CHECKS, "comment": "同意"}),
        )
        .await
    }

    pub async fn approve(&self, id: Uuid, stage: &str, hash: &str) -> Response {
        self.approve_as(self.signer(stage), id, stage, hash).await
    }

    /// Submits and signs all six stages, and 审定 when the draft's tier
    /// routes it to a leader (SPEC §5); the draft ends publishable.
    pub async fn through_all_stages(&self, id: Uuid, hash: &str) {
        assert_eq!(self.submit(id, hash).await.status(), 200, "submit");
        for stage in STAGES {
            let res = self.approve(id, stage, hash).await;
            assert_eq!(res.status(), 200, "approve {stage}");
        }
        if self.get(&self.author, id).await["current_stages"] == json!(["leader"]) {
            let name = format!("leader.{}", &id.simple().to_string()[..8]);
            let leader = self.app.user(&self.admin, &name, &["leader"]).await;
            let res = self.approve_as(&leader, id, "leader", hash).await;
            assert_eq!(res.status(), 200, "approve leader");
        }
    }

    pub async fn publishable(&self) -> (Uuid, String) {
        let (id, hash) = self.draft().await;
        self.through_all_stages(id, &hash).await;
        (id, hash)
    }

    pub async fn events(&self) -> i64 {
        self.app.event_count().await
    }

    /// What a user sees of a draft (as the auditor, who sees all).
    pub async fn snapshot(&self, id: Uuid) -> Value {
        let res = self
            .app
            .get(&format!("/drafts/{id}"), &self.auditor.token)
            .await;
        assert_eq!(res.status(), 200, "GET /drafts/{id}");
        res.json().await.expect("draft json")
    }

    /// Every sign-off row of a draft, of any revision or round.
    pub async fn signoff_rows(&self, id: Uuid) -> i64 {
        self.app
            .count(&format!(
                "SELECT count(*) AS n FROM signoffs WHERE draft_id = '{id}'"
            ))
            .await
    }

    /// Events written but not yet chained.
    pub async fn pending_events(&self) -> i64 {
        self.app
            .count("SELECT count(*) AS n FROM audit_pending")
            .await
    }

    /// The author's edit with `If-Match: "<if_match>"`.
    pub async fn edit(&self, id: Uuid, if_match: &str, title: &str) -> Response {
        self.app
            .client
            .put(self.app.url(&format!("/drafts/{id}/content")))
            .bearer_auth(&self.author.token)
            .header("if-match", format!("\"{if_match}\""))
            .json(&json!({"title": title, "body": format!("{title}的正文。\n"), "format": "text"}))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// Edits successfully; returns the new content_hash.
    pub async fn edit_ok(&self, id: Uuid, if_match: &str, title: &str) -> String {
        let res = self.edit(id, if_match, title).await;
        assert_eq!(res.status(), 200, "edit");
        let d: Value = res.json().await.expect("draft json");
        d["content_hash"]
            .as_str()
            .expect("content_hash")
            .to_string()
    }

    /// Performs an action that must succeed; returns the draft.
    pub async fn act_ok(&self, who: &User, id: Uuid, action: &str, body: Value) -> Value {
        let res = self.act(who, id, action, body).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "{action} by {}: {body}", who.username);
        body
    }

    pub async fn submit_ok(&self, id: Uuid, hash: &str) -> Value {
        self.act_ok(&self.author, id, "submit", json!({"content_hash": hash}))
            .await
    }

    pub async fn approve_ok(&self, id: Uuid, stage: &str, hash: &str) -> Value {
        let res = self.approve(id, stage, hash).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "approve {stage}: {body}");
        body
    }

    pub async fn return_ok(&self, id: Uuid, stage: &str, hash: &str) -> Value {
        self.act_ok(
            self.signer(stage),
            id,
            "return",
            json!({"stage": stage, "content_hash": hash, "reason": "请修改"}),
        )
        .await
    }
}
