//! A thin client of the sanshen API for seeding and load.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

pub const PASSWORD: &str = "benchmark-passphrase-三审三校";
pub const STAGES: [&str; 6] = [
    "review_1",
    "proofread_1",
    "review_2",
    "proofread_2",
    "review_3",
    "proofread_3",
];
/// The sign-offs of a draft on the seeded `sensitive` route (SPEC §5), in
/// order: the six stages one per step, `review_3` twice (quorum 2, by two
/// distinct signers), then `leader`.
pub const SENSITIVE_SIGNOFFS: [&str; 8] = [
    "review_1",
    "proofread_1",
    "review_2",
    "proofread_2",
    "review_3",
    "review_3",
    "proofread_3",
    "leader",
];
pub const CHECKS: [&str; 6] = [
    "political",
    "legal",
    "policy",
    "secrecy",
    "language",
    "public_opinion",
];

/// Says why a request failed, for the first few failures of a run: a run
/// with errors is no result, and its reader needs to know what went wrong.
pub fn failed(what: &str, why: &dyn std::fmt::Display) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SHOWN: AtomicU64 = AtomicU64::new(0);
    if SHOWN.fetch_add(1, Ordering::Relaxed) < 20 {
        eprintln!("\nfailed: {what}: {why}");
    }
}

impl Api {
    pub fn new(base: String) -> Api {
        // Idle connections are dropped well before the server's keep-alive
        // (75 s; it was actix's default, 5 s) closes them: a request sent on a connection
        // the server is closing fails, and between scenarios (pgbench runs)
        // the clients sit idle for longer than that.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap_or_default();
        Api { client, base }
    }

    pub async fn post(
        &self,
        token: Option<&str>,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    /// An approval as a signing script sends it: `Prefer: return=minimal`,
    /// so the server renders no draft it would throw away (204).
    async fn approve_minimal(&self, token: &str, id: &str, body: Value) -> anyhow::Result<()> {
        let res = self
            .client
            .post(format!("{}/api/v1/drafts/{id}/approve", self.base))
            .header("Prefer", "return=minimal")
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        anyhow::ensure!(status == 204, "POST /drafts/{id}/approve: {status} {text}");
        Ok(())
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body = self
            .post(
                None,
                "/auth/login",
                json!({"username": username, "password": password}),
            )
            .await?;
        body["access_token"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| anyhow::anyhow!("no token"))
    }

    /// Creates a user with `roles` and returns a token for them.
    pub async fn user(
        &self,
        admin: &str,
        username: &str,
        roles: &[&str],
    ) -> anyhow::Result<String> {
        let user = self
            .post(
                Some(admin),
                "/users",
                json!({"username": username, "display_name": username, "password": PASSWORD}),
            )
            .await?;
        let id = user["id"].as_str().unwrap_or_default().to_string();
        for role in roles {
            self.post(
                Some(admin),
                &format!("/users/{id}/grants"),
                json!({"role": role}),
            )
            .await?;
        }
        self.login(username, PASSWORD).await
    }

    /// A submitted draft: (id, content_hash).
    pub async fn submitted_draft(&self, editor: &str) -> anyhow::Result<(String, String)> {
        self.submitted_draft_at(editor, None).await
    }

    /// A submitted draft of a risk level (`None`: the field left out, the
    /// server's default `normal`): (id, content_hash).
    pub async fn submitted_draft_at(
        &self,
        editor: &str,
        risk_level: Option<&str>,
    ) -> anyhow::Result<(String, String)> {
        let body = "各科室：\n根据上级部署，现就开展年度安全生产检查通知如下……\n".repeat(20);
        let mut draft =
            json!({"channel": "portal", "title": "基准测试稿件", "body": body, "format": "text"});
        if let Some(level) = risk_level {
            draft["risk_level"] = json!(level);
        }
        let d = self.post(Some(editor), "/drafts", draft).await?;
        let (id, hash) = (
            d["id"].as_str().unwrap_or_default().to_string(),
            d["content_hash"].as_str().unwrap_or_default().to_string(),
        );
        self.post(
            Some(editor),
            &format!("/drafts/{id}/submit"),
            json!({"content_hash": hash}),
        )
        .await?;
        Ok((id, hash))
    }

    /// Signs the stages of a draft in order, one signer each (all six with
    /// six signers); the latency of each request, and the failures.
    pub async fn sign(&self, signers: &[String], id: &str, hash: &str) -> (Vec<Duration>, u64) {
        let steps: Vec<(&str, &String)> = STAGES.iter().copied().zip(signers).collect();
        self.sign_as(&steps, id, hash).await
    }

    /// Signs a draft with each (stage, signer's token) in order; the
    /// latency of each request, and the failures.
    pub async fn sign_as(
        &self,
        signoffs: &[(&str, &String)],
        id: &str,
        hash: &str,
    ) -> (Vec<Duration>, u64) {
        let mut latencies = Vec::new();
        let mut errors = 0;
        for (stage, token) in signoffs {
            let t = Instant::now();
            let body = json!({"stage": stage, "content_hash": hash, "checks": CHECKS});
            match self.approve_minimal(token, id, body).await {
                Ok(()) => latencies.push(t.elapsed()),
                Err(e) => {
                    failed("approve", &e);
                    errors += 1;
                }
            }
        }
        (latencies, errors)
    }

    pub async fn get_ok(&self, token: &str, path: &str) -> bool {
        let res = self
            .client
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
            Ok(r) => {
                failed(&format!("GET {path}"), &r.status());
                false
            }
            Err(e) => {
                failed(&format!("GET {path}"), &e);
                false
            }
        }
    }

    /// A login's status code and Retry-After, whatever the status.
    pub async fn login_status(
        &self,
        username: &str,
        password: &str,
    ) -> anyhow::Result<(u16, Option<u64>)> {
        let res = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?;
        let retry = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let status = res.status().as_u16();
        res.bytes().await?;
        Ok((status, retry))
    }

    /// A POST that must succeed, its body read and dropped; false (and
    /// reported) otherwise.
    pub async fn post_ok(&self, token: &str, path: &str, body: &Value) -> bool {
        let res = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
            Ok(r) => {
                failed(&format!("POST {path}"), &r.status());
                false
            }
            Err(e) => {
                failed(&format!("POST {path}"), &e);
                false
            }
        }
    }

    /// A request with a raw body of `content_type`; its status and JSON
    /// answer (`Null` when the answer is not JSON), whatever the status.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> anyhow::Result<(u16, Value)> {
        let res = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}
