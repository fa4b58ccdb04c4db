//! Several sanshen processes on one database (SPEC §10), trusted proxies,
//! shutdown order, keep-alive, and the database going away and coming back.

mod outage;
pub(crate) mod process;

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::newsroom::{CHECKS, STAGES};
use crate::common::{PASSWORD, assert_problem};

use process::{Api, on_database};

fn approval(stage: &str, hash: &str) -> Value {
    json!({"stage": stage, "content_hash": hash, "checks": CHECKS, "comment": "同意"})
}

/// Creates a draft as `author` on `apis[0]`, then submits and signs all six
/// stages, each step on the next process in turn: nine events (the submit
/// writes `check_run` too, SPEC §6).
async fn drive(apis: &[Api], author: &str, signers: &[String], title: &str) {
    let body = json!({"channel": "portal", "title": title, "body": "正文。\n", "format": "text"});
    let res = apis[0].post("/drafts", author, body).await;
    assert_eq!(res.status(), 201);
    let draft: Value = res.json().await.unwrap();
    let id = draft["id"].as_str().unwrap();
    let hash = draft["content_hash"].as_str().unwrap();
    let api = |i: usize| &apis[i % apis.len()];
    let res = api(1)
        .post(
            &format!("/drafts/{id}/submit"),
            author,
            json!({"content_hash": hash}),
        )
        .await;
    assert_eq!(res.status(), 200, "submit");
    for (i, stage) in STAGES.iter().enumerate() {
        let res = api(i)
            .post(
                &format!("/drafts/{id}/approve"),
                &signers[i],
                approval(stage, hash),
            )
            .await;
        assert_eq!(res.status(), 200, "approve {stage} of {title}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_sessions_throttling_the_stage_race_and_one_chain() {
    let database = crate::common::fresh_database().await;
    let (a, b) = tokio::join!(on_database(&database, &[]), on_database(&database, &[]));
    let apis = [a.api.clone(), b.api.clone()];
    let mut events = 1; // admin_bootstrapped, in the template

    // A token from one process works on the other.
    let admin = a.api.admin().await;
    events += 1;
    assert_eq!(b.api.get("/me", &admin).await.status(), 200);

    // One signer per stage, and five more for review_1 to race with.
    let author = b.api.user(&admin, "author", "editor").await;
    let mut signers = Vec::new();
    for (i, stage) in STAGES.iter().enumerate() {
        signers.push(
            apis[i % 2]
                .user(&admin, &format!("signer.{stage}"), stage)
                .await,
        );
    }
    let mut racers = vec![signers[0].clone()];
    for i in 1..6 {
        racers.push(
            apis[i % 2]
                .user(&admin, &format!("racer.{i}"), "review_1")
                .await,
        );
    }
    let auditor = a.api.user(&admin, "auditor", "auditor").await;
    events += 3 * (1 + 6 + 5 + 1);

    // Login throttling is shared: five failures split across the two, then
    // the sixth attempt is refused on either.
    a.api.create_user(&admin, "target", "editor").await;
    events += 2;
    for i in 0..5 {
        let res = apis[i % 2]
            .login_from("target", "wrong-password-123", None)
            .await;
        assert_problem(res, 401, "invalid_credentials").await;
    }
    events += 5;
    for api in &apis {
        let res = api.login_from("target", PASSWORD, None).await;
        let body = assert_problem(res, 429, "too_many_requests").await;
        assert!(body["detail"].is_string());
    }

    // Six eligible signers race for one stage, alternating processes.
    let body = json!({"channel": "portal", "title": "竞签", "body": "正文。\n", "format": "text"});
    let draft: Value = a
        .api
        .post("/drafts", &author, body)
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap().to_string();
    let hash = draft["content_hash"].as_str().unwrap().to_string();
    let res = b
        .api
        .post(
            &format!("/drafts/{id}/submit"),
            &author,
            json!({"content_hash": hash}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let races = racers.iter().enumerate().map(|(i, racer)| {
        let api = apis[i % 2].clone();
        let (path, body) = (format!("/drafts/{id}/approve"), approval("review_1", &hash));
        async move { api.post(&path, racer, body).await }
    });
    let mut won = 0;
    for res in join_all(races).await {
        if res.status() == StatusCode::OK {
            won += 1;
        } else {
            assert_problem(res, 409, "stage_mismatch").await;
        }
    }
    assert_eq!(won, 1, "exactly one approval of the raced stage");
    events += 4; // draft_created, check_run, submitted, the one approval

    // Drafts driven through all six stages at once, on both processes.
    let drafts = (0..4).map(|i| {
        let order = if i % 2 == 0 {
            apis.clone()
        } else {
            [apis[1].clone(), apis[0].clone()]
        };
        let (author, signers) = (author.clone(), signers.clone());
        async move { drive(&order, &author, &signers, &format!("稿件 {i}")).await }
    });
    join_all(drafts).await;
    events += 4 * 9;

    // One chain: valid, every event once, seq gapless.
    let verified = b.api.verify(&auditor).await;
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(verified["checked"], events, "{verified}");
    assert_eq!(verified["first_invalid_seq"], Value::Null);
    let listed = a.api.all_events(&auditor, "").await;
    let seqs: Vec<i64> = listed.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    // Plus the verification and this listing, each recorded.
    let expected: Vec<i64> = (1..=events + 2).collect();
    assert_eq!(seqs, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_names_the_client_and_an_untrusted_peer_cannot() {
    let database = crate::common::fresh_database().await;
    let trusting = [("SANSHEN_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1/32")];
    let (proxied, direct) = tokio::join!(
        on_database(&database, &trusting),
        on_database(&database, &[])
    );
    let (p, d) = (&proxied.api, &direct.api);
    let admin = p.admin().await;
    let auditor = p.user(&admin, "auditor", "auditor").await;
    p.create_user(&admin, "victim", "editor").await;
    p.create_user(&admin, "other", "editor").await;

    // Behind the trusted proxy: five failures from one client throttle that
    // client only; what a client writes left of the proxy's hop is ignored.
    for _ in 0..5 {
        let res = p
            .login_from("victim", "wrong-password-123", Some("203.0.113.5"))
            .await;
        assert_problem(res, 401, "invalid_credentials").await;
    }
    let res = p.login_from("victim", PASSWORD, Some("203.0.113.5")).await;
    assert_problem(res, 429, "too_many_requests").await;
    let res = p
        .login_from("victim", PASSWORD, Some("6.6.6.6, 203.0.113.5"))
        .await;
    assert_problem(res, 429, "too_many_requests").await;
    let res = p
        .login_from("victim", "wrong-password-123", Some("203.0.113.6"))
        .await;
    assert_problem(res, 401, "invalid_credentials").await;
    assert_eq!(
        p.login_from("victim", PASSWORD, Some("203.0.113.7"))
            .await
            .status(),
        200
    );

    // Directly, the header is ignored: every attempt is 127.0.0.1's.
    for i in 0..5 {
        let res = d
            .login_from(
                "other",
                "wrong-password-123",
                Some(&format!("198.51.100.{i}")),
            )
            .await;
        assert_problem(res, 401, "invalid_credentials").await;
    }
    let res = d.login_from("other", PASSWORD, Some("198.51.100.99")).await;
    assert_problem(res, 429, "too_many_requests").await;

    let ips = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| e["ip"].as_str().unwrap_or("null").to_string())
            .collect()
    };
    let failed = ips(p.all_events(&auditor, "&action=login_failed").await);
    let mut expected = vec!["203.0.113.5"; 5];
    expected.push("203.0.113.6");
    expected.extend(["127.0.0.1"; 5]);
    assert_eq!(failed, expected);
    let logins = ips(p.all_events(&auditor, "&action=login").await);
    assert_eq!(logins, ["127.0.0.1", "127.0.0.1", "203.0.113.7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_trusted_proxy_stops_start_up_naming_the_variable() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sanshen"))
        .env_clear()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("SANSHEN_JWT_SECRET", process::SECRET)
        .env("SANSHEN_TRUSTED_PROXIES", "10.0.0.0/8, 300.1.1.1/32")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SANSHEN_TRUSTED_PROXIES: \"300.1.1.1/32\" is not a CIDR"),
        "{stderr}"
    );
}

/// A connection idle for longer than actix's default keep-alive (5 s) is
/// still open: the server keeps it 75 s, longer than the usual balancer.
#[tokio::test]
async fn an_idle_connection_is_kept_for_the_next_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::common::TestApp::spawn().await;
    let host = app.base.trim_start_matches("http://").to_string();
    // A raw socket, so the second request provably rides the same
    // connection (a pooling client would silently open a new one).
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    let get = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    conn.write_all(get.as_bytes()).await.unwrap();
    assert!(read_response(&mut conn).await.starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_secs(6)).await;
    let body = r#"{"username":"admin","password":"wrong-password-123"}"#;
    let post = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(post.as_bytes()).await;
    let response = read_response(&mut conn).await;
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "after 6 s idle: {response:?}"
    );
    assert!(response.contains("invalid_credentials"));

    async fn read_response(conn: &mut tokio::net::TcpStream) -> String {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    return text;
                }
            }
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return text,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}
