//! TestApp: the real server on a random port, in this process, over a
//! database of its own; and the assertions and database reads tests make
//! through it.

use std::net::TcpListener;
use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use sanshen::credentials::hashing::Hasher;
use sanshen::db;
use sanshen::state::AppState;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ADMIN_PASSWORD, PASSWORD, fresh_database, state_for};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    pub state: AppState,
    /// The JWT secret, for tests that forge tokens.
    pub secret: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { handle.stop(false).await });
        }
    }
}

/// A signed-in user as the tests see them.
#[derive(Clone, Debug)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let database_url = fresh_database().await;
        TestApp::spawn_on(&database_url).await
    }

    pub async fn spawn_on(database_url: &str) -> TestApp {
        TestApp::spawn_with(database_url, hex::encode(rand::random::<[u8; 32]>())).await
    }

    /// Another sanshen process on the same database with the same secret,
    /// as behind a load balancer.
    pub async fn second_process(&self) -> TestApp {
        TestApp::spawn_with(&self.database_url, self.secret.clone()).await
    }

    /// As `spawn`, with `hasher` in place of the one the settings give.
    pub async fn spawn_hashing_with(hasher: Hasher) -> TestApp {
        let database_url = fresh_database().await;
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let mut state = state_for(&database_url, &secret).await;
        state.hasher = hasher;
        TestApp::serve(&database_url, secret, state)
    }

    async fn spawn_with(database_url: &str, secret: String) -> TestApp {
        let state = state_for(database_url, &secret).await;
        TestApp::serve(database_url, secret, state)
    }

    fn serve(database_url: &str, secret: String, state: AppState) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let port = listener.local_addr().expect("local addr").port();
        let server =
            sanshen::http::server::build_server(state.clone(), listener, 2).expect("server");
        let handle = server.handle();
        tokio::spawn(server);
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            database_url: database_url.to_string(),
            state,
            secret,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/")
            || !path.starts_with('/')
            || path.starts_with("/healthz")
            || path.starts_with("/readyz")
            || path.starts_with("/openapi")
            || path.starts_with("/docs")
        {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/api/v1{}", self.base, path)
        }
    }

    /// A request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request reaches the server")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn login_ok(&self, username: &str, password: &str) -> (String, String) {
        let res = self.login(username, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        let body: Value = res.json().await.expect("json");
        (
            body["access_token"].as_str().unwrap().to_string(),
            body["refresh_token"].as_str().unwrap().to_string(),
        )
    }

    pub async fn admin(&self) -> User {
        let (token, refresh_token) = self.login_ok("admin", ADMIN_PASSWORD).await;
        let me: Value = self.get("/me", &token).await.json().await.expect("json");
        User {
            id: me["id"].as_str().unwrap().parse().unwrap(),
            username: "admin".into(),
            token,
            refresh_token,
        }
    }

    /// Creates a user (as admin) with the given grants, `[role, channel, department]`, and signs them in.
    pub async fn user_with(
        &self,
        admin: &User,
        username: &str,
        department: Option<Uuid>,
        grants: &[(&str, Option<&str>, Option<Uuid>)],
    ) -> User {
        let res = self
            .post("/users", &admin.token, json!({"username": username, "display_name": username, "password": PASSWORD, "department_id": department}))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "create {username}: {}",
            res.text().await.unwrap_or_default()
        );
        let created: Value = res.json().await.expect("json");
        let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
        for (role, channel, dept) in grants {
            let res = self
                .post(
                    &format!("/users/{id}/grants"),
                    &admin.token,
                    json!({"role": role, "channel": channel, "department_id": dept}),
                )
                .await;
            assert_eq!(
                res.status(),
                StatusCode::CREATED,
                "grant {role} to {username}"
            );
        }
        let (token, refresh_token) = self.login_ok(username, PASSWORD).await;
        User {
            id,
            username: username.into(),
            token,
            refresh_token,
        }
    }

    pub async fn user(&self, admin: &User, username: &str, roles: &[&str]) -> User {
        let grants: Vec<(&str, Option<&str>, Option<Uuid>)> =
            roles.iter().map(|r| (*r, None, None)).collect();
        self.user_with(admin, username, None, &grants).await
    }

    pub async fn department(&self, admin: &User, code: &str) -> Uuid {
        let res = self
            .post(
                "/departments",
                &admin.token,
                json!({"code": code, "name": format!("{code}科")}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Links every committed audit event now, as the server's chainer does
    /// within milliseconds, before a test reads `audit_events` directly.
    pub async fn chain(&self) {
        sanshen::audit::chainer::flush(&self.state.pool)
            .await
            .expect("chaining the audit events");
    }

    /// Runs SQL directly, as the database owner would.
    pub async fn sql(&self, query: &str) {
        let mut conn = db::connect(&self.state.pool).await.expect("conn");
        diesel_async::RunQueryDsl::execute(diesel::sql_query(query), &mut conn)
            .await
            .expect("sql");
    }
}

/// Asserts a problem+json response with `status` and `code`; returns the body.
pub async fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "expected {status} {code}");
    assert!(
        res.headers().contains_key("x-request-id"),
        "x-request-id on every response"
    );
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content-type {ct}"
    );
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// Helpers for exact event counts and database facts, read as the owner.
impl TestApp {
    /// The one number a query returns as `n` (e.g. `SELECT count(*) AS n …`).
    pub async fn count(&self, query: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = db::connect(&self.state.pool).await.expect("conn");
        let rows: Vec<Row> = diesel_async::RunQueryDsl::load(diesel::sql_query(query), &mut conn)
            .await
            .expect("count query");
        assert_eq!(rows.len(), 1, "one row from {query}");
        rows[0].n
    }

    /// `count` once every committed audit event is chained.
    pub async fn count_chained(&self, query: &str) -> i64 {
        self.chain().await;
        self.count(query).await
    }

    /// Chained events so far; the chain is gapless, so this is also the last seq.
    pub async fn event_count(&self) -> i64 {
        self.chain().await;
        self.count("SELECT count(*) AS n FROM audit_events").await
    }

    /// The actions of the events after `seq`, in chain order, once every
    /// committed event is chained: `["grant_revoked"]` says exactly one event.
    pub async fn actions_after(&self, seq: i64) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            action: String,
        }
        self.chain().await;
        let mut conn = db::connect(&self.state.pool).await.expect("conn");
        let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
            diesel::sql_query(format!(
                "SELECT action FROM audit_events WHERE seq > {seq} ORDER BY seq"
            )),
            &mut conn,
        )
        .await
        .expect("actions query");
        rows.into_iter().map(|r| r.action).collect()
    }
}
