//! Real `sanshen serve` OS processes for the multi-instance tests, and a
//! small HTTP client that talks to any of them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::os::{free_port, scratch};
use crate::common::{ADMIN_PASSWORD, PASSWORD};

pub const SECRET: &str = "a-shared-secret-of-at-least-thirty-two-bytes";

/// A running server process, killed when dropped (a failed assertion must
/// not leave it behind).
pub struct Instance {
    pub child: Child,
    pub api: Api,
    /// Where its stderr (the logs) goes.
    pub log: PathBuf,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sanshen serve` with `env` on top of the bootstrap password, and
/// waits until it is ready.
pub async fn start(env: &[(&str, &str)]) -> Instance {
    let port = free_port();
    let log = scratch("inst").join("stderr.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanshen"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SANSHEN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SANSHEN_BIND", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut instance = Instance {
        child: cmd.spawn().unwrap(),
        api: Api::new(format!("http://127.0.0.1:{port}")),
        log,
    };
    instance.wait_ready().await;
    instance
}

/// A process on `database_url` with the shared secret, as behind a balancer.
pub async fn on_database(database_url: &str, extra: &[(&str, &str)]) -> Instance {
    let mut env = vec![
        ("DATABASE_URL", database_url),
        ("SANSHEN_JWT_SECRET", SECRET),
    ];
    env.extend_from_slice(extra);
    start(&env).await
}

impl Instance {
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("sanshen exited early: {status}: {}", self.logs());
            }
            let ready = self.api.client.get(self.api.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("sanshen not ready in 90 s: {}", self.logs());
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to exit, up to `limit`; `None` if it has not.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Talks to one server; clones share the connection pool.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") || path.starts_with("/readyz") || path.starts_with("/healthz")
        {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("the request reaches the server")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn login_from(
        &self,
        username: &str,
        password: &str,
        forwarded: Option<&str>,
    ) -> Response {
        let headers: Vec<(&str, &str)> = forwarded
            .map(|f| ("x-forwarded-for", f))
            .into_iter()
            .collect();
        let body = json!({"username": username, "password": password});
        self.send(Method::POST, "/auth/login", None, Some(body), &headers)
            .await
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let res = self.login_from(username, password, None).await;
        assert_eq!(res.status(), 200, "login of {username}");
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn admin(&self) -> String {
        self.token("admin", ADMIN_PASSWORD).await
    }

    /// Creates `username` with one unscoped grant: two events
    /// (`user_created`, `grant_added`).
    pub async fn create_user(&self, admin: &str, username: &str, role: &str) {
        let body = json!({"username": username, "display_name": username, "password": PASSWORD});
        let res = self.post("/users", admin, body).await;
        assert_eq!(res.status(), 201, "create {username}");
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let res = self
            .post(&format!("/users/{id}/grants"), admin, json!({"role": role}))
            .await;
        assert_eq!(res.status(), 201, "grant {role} to {username}");
    }

    /// Creates `username` and signs them in: three events.
    pub async fn user(&self, admin: &str, username: &str, role: &str) -> String {
        self.create_user(admin, username, role).await;
        self.token(username, PASSWORD).await
    }

    /// Every event of the trail, page by page, as the auditor sees it.
    pub async fn all_events(&self, auditor: &str, filter: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/audit/events?limit=200{filter}");
            if let Some(c) = &cursor {
                let c: String = url::form_urlencoded::byte_serialize(c.as_bytes()).collect();
                path.push_str(&format!("&cursor={c}"));
            }
            let res = self.get(&path, auditor).await;
            assert_eq!(res.status(), 200);
            let page: Value = res.json().await.unwrap();
            events.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return events,
            }
        }
    }

    pub async fn verify(&self, auditor: &str) -> Value {
        let res = self.get("/audit/verify", auditor).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

/// The PostgreSQL URL of an embedded cluster under `data`, as sanshen builds it.
pub fn embedded_url(data: &Path) -> String {
    let run = data.canonicalize().unwrap().join("run");
    let host: String =
        url::form_urlencoded::byte_serialize(run.as_os_str().as_encoded_bytes()).collect();
    format!("postgres://postgres@/sanshen?host={host}")
}
