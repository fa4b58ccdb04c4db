//! Logging in, tokens, sessions, throttling and one's own account (SPEC §3 Auth).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{ADMIN_PASSWORD, PASSWORD, TestApp, assert_problem, client_from};

#[tokio::test]
async fn login_returns_a_bearer_pair_that_opens_me() {
    let app = TestApp::spawn().await;
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(
        body["refresh_token"].as_str().unwrap().len() >= 43,
        "≥ 256 bits, base64url"
    );
    let me: Value = app
        .get("/me", body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "admin");
    assert_eq!(me["grants"][0]["role"], "admin");
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn me_shows_department_and_scoped_grants() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let dept = app.department(&admin, "news").await;
    let head = app
        .user_with(
            &admin,
            "section.head",
            Some(dept),
            &[
                ("review_2", None, Some(dept)),
                ("proofread_2", Some("portal"), Some(dept)),
            ],
        )
        .await;
    let me: Value = app.get("/me", &head.token).await.json().await.unwrap();
    assert_eq!(me["department"]["code"], "news");
    let grants = me["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[1]["channel"], "portal");
    assert_eq!(grants[1]["department_id"], dept.to_string());
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let unknown = assert_problem(
        app.login("nobody", "whatever-password-1").await,
        401,
        "invalid_credentials",
    )
    .await;
    let wrong = assert_problem(
        app.login("admin", "whatever-password-1").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(unknown["detail"], wrong["detail"]);
    assert_eq!(unknown["title"], wrong["title"]);
}

/// Not a benchmark: a ratio that is ~0.02 without the dummy hash and ~1 with it.
#[tokio::test]
async fn an_unknown_user_costs_the_same_argon2_time_as_a_wrong_password() {
    let app = TestApp::spawn().await;
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for i in 0..4 {
        let t = Instant::now();
        app.login(&format!("ghost{i}"), "whatever-password-1").await;
        unknown.push(t.elapsed());
        let t = Instant::now();
        // Another name each time keeps the throttle out of the way.
        app.login("admin", &format!("wrong-password-{i}")).await;
        wrong.push(t.elapsed());
    }
    unknown.sort();
    wrong.sort();
    let ratio = unknown[2].as_secs_f64() / wrong[2].as_secs_f64();
    assert!(
        (0.4..2.5).contains(&ratio),
        "unknown/wrong median ratio {ratio:.2}"
    );
}

#[tokio::test]
async fn five_failures_lock_out_with_a_doubling_wait_per_address() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user(&admin, "target", &["editor"]).await;
    for _ in 0..5 {
        assert_problem(
            app.login("target", "not-the-password-1").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let res = app.login("target", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (55..=60).contains(&retry),
        "first wait is a minute, got {retry}"
    );
    assert_problem(res, 429, "too_many_requests").await;

    // Another address is not locked out (the per-address rule).
    let other = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let res = other
        .post(app.url("/auth/login"))
        .json(&json!({"username": "target", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Let the first wait run out (as a minute would), then fail once more: two minutes.
    app.sql("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
        .await;
    assert_problem(
        app.login("target", "not-the-password-1").await,
        401,
        "invalid_credentials",
    )
    .await;
    let res = app.login("target", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (115..=120).contains(&retry),
        "second wait is two minutes, got {retry}"
    );
    // Six more expiries reach the cap of fifteen minutes.
    for _ in 0..6 {
        app.sql("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
            .await;
        app.login("target", "not-the-password-1").await;
    }
    let res = app.login("target", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (895..=900).contains(&retry),
        "capped at fifteen minutes, got {retry}"
    );
}

#[tokio::test]
async fn a_success_resets_the_consecutive_count() {
    let app = TestApp::spawn().await;
    for _ in 0..4 {
        app.login("admin", "not-the-password-1").await;
    }
    app.login_ok("admin", ADMIN_PASSWORD).await;
    for _ in 0..4 {
        assert_problem(
            app.login("admin", "not-the-password-1").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    app.login_ok("admin", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn a_hundred_failures_an_hour_from_all_addresses_lock_the_username() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user(&admin, "popular", &["editor"]).await;
    // Twenty-five addresses, four failures each: no address reaches its own limit.
    for host in 10..35u8 {
        let client = client_from(Ipv4Addr::new(127, 0, 1, host));
        for _ in 0..4 {
            let res = client
                .post(app.url("/auth/login"))
                .json(&json!({"username": "popular", "password": "not-the-password-1"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401);
        }
    }
    let fresh = client_from(Ipv4Addr::new(127, 0, 2, 1));
    let res = fresh
        .post(app.url("/auth/login"))
        .json(&json!({"username": "popular", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too_many_requests").await;
}

#[derive(serde::Serialize)]
struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    iat: u64,
    nbf: u64,
    exp: u64,
    iss: String,
    aud: String,
}

fn forge(secret: &[u8], claims: &Claims, typ: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(typ.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test]
async fn tampered_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let me: Value = app.get("/me", &admin.token).await.json().await.unwrap();
    let sub = me["id"].as_str().unwrap().to_string();
    let claims: Value = decode_payload(&admin.token);
    let sid = claims["sid"].as_str().unwrap().to_string();
    let now = jsonwebtoken::get_current_timestamp();
    let good = || Claims {
        sub: Some(sub.clone()),
        sid: Some(sid.clone()),
        iat: now,
        nbf: now,
        exp: now + 600,
        iss: "sanshen".into(),
        aud: "sanshen-api".into(),
    };
    let key = app.secret.as_bytes();
    // The forger's control: with everything right the forged token passes.
    assert_eq!(
        app.get("/me", &forge(key, &good(), "at+jwt"))
            .await
            .status(),
        200
    );

    let mut cases: Vec<(&str, String)> = vec![
        ("wrong key", forge(&[1u8; 32], &good(), "at+jwt")),
        (
            "wrong aud",
            forge(
                key,
                &Claims {
                    aud: "other".into(),
                    ..good()
                },
                "at+jwt",
            ),
        ),
        (
            "wrong iss",
            forge(
                key,
                &Claims {
                    iss: "other".into(),
                    ..good()
                },
                "at+jwt",
            ),
        ),
        (
            "expired",
            forge(
                key,
                &Claims {
                    exp: now - 120,
                    iat: now - 1000,
                    nbf: now - 1000,
                    ..good()
                },
                "at+jwt",
            ),
        ),
        (
            "not yet valid",
            forge(
                key,
                &Claims {
                    nbf: now + 300,
                    ..good()
                },
                "at+jwt",
            ),
        ),
        (
            "no sid",
            forge(
                key,
                &Claims {
                    sid: None,
                    ..good()
                },
                "at+jwt",
            ),
        ),
        (
            "no sub",
            forge(
                key,
                &Claims {
                    sub: None,
                    ..good()
                },
                "at+jwt",
            ),
        ),
        (
            "unknown session",
            forge(
                key,
                &Claims {
                    sid: Some(uuid::Uuid::new_v4().to_string()),
                    ..good()
                },
                "at+jwt",
            ),
        ),
        ("wrong typ", forge(key, &good(), "JWT")),
        ("refresh token as access token", admin.refresh_token.clone()),
        ("garbage", "not.a.jwt".into()),
    ];
    // alg "none": the same claims, unsigned.
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"at+jwt"}"#),
        b64(&serde_json::to_string(&good()).unwrap())
    );
    cases.push(("alg none", none));
    // HS512 with the right key: the algorithm is pinned.
    let mut h512 = Header::new(Algorithm::HS512);
    h512.typ = Some("at+jwt".into());
    cases.push((
        "alg HS512",
        jsonwebtoken::encode(&h512, &good(), &EncodingKey::from_secret(key)).unwrap(),
    ));
    for (name, token) in cases {
        let res = app.get("/me", &token).await;
        assert_eq!(res.status(), 401, "{name}");
        assert_problem(res, 401, "unauthenticated").await;
    }
    assert_problem(
        app.call(Method::GET, "/me", None, None).await,
        401,
        "unauthenticated",
    )
    .await;
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn decode_payload(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_session() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let (access2, refresh2) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(refresh2, admin.refresh_token);
    assert_eq!(app.get("/me", access2).await.status(), 200);

    // The spent token again: refused, and the whole session with it.
    let reuse = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_problem(reuse, 401, "unauthenticated").await;
    assert_problem(app.get("/me", access2).await, 401, "unauthenticated").await;
    assert_problem(app.get("/me", &admin.token).await, 401, "unauthenticated").await;
    let res = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh2})),
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    // Other sessions of the same user are untouched.
    app.login_ok("admin", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn logout_stops_both_tokens_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other = app.admin().await;
    let res = app
        .call(Method::POST, "/auth/logout", Some(&admin.token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get("/me", &admin.token).await, 401, "unauthenticated").await;
    let res = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    assert_eq!(
        app.get("/me", &other.token).await.status(),
        200,
        "other sessions stay"
    );
}

#[tokio::test]
async fn disabling_a_user_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let editor = app.user(&admin, "editor1", &["editor"]).await;
    assert_eq!(app.get("/me", &editor.token).await.status(), 200);
    let res = app
        .call(
            Method::PATCH,
            &format!("/users/{}", editor.id),
            Some(&admin.token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/me", &editor.token).await, 401, "unauthenticated").await;
    assert_problem(
        app.login("editor1", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    let res = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": editor.refresh_token})),
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    // Re-enabled, the user logs in again but the old session stays dead.
    app.call(
        Method::PATCH,
        &format!("/users/{}", editor.id),
        Some(&admin.token),
        Some(json!({"disabled": false})),
    )
    .await;
    assert_problem(app.get("/me", &editor.token).await, 401, "unauthenticated").await;
    app.login_ok("editor1", PASSWORD).await;
}

#[tokio::test]
async fn changing_ones_password_revokes_the_other_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user(&admin, "changer", &["editor"]).await;
    let (other, _) = app.login_ok("changer", PASSWORD).await;
    let new = "a-brand-new-passphrase-2026";

    let wrong = app
        .post(
            "/me/password",
            &user.token,
            json!({"current_password": "not-it-at-all-1", "new_password": new}),
        )
        .await;
    assert_problem(wrong, 422, "validation_failed").await;
    let short = app
        .post(
            "/me/password",
            &user.token,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    let body = assert_problem(short, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "new_password");
    let common = app
        .post(
            "/me/password",
            &user.token,
            json!({"current_password": PASSWORD, "new_password": "passwordpassword"}),
        )
        .await;
    assert_problem(common, 422, "validation_failed").await;

    let res = app
        .post(
            "/me/password",
            &user.token,
            json!({"current_password": PASSWORD, "new_password": new}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get("/me", &user.token).await.status(),
        200,
        "this session stays"
    );
    assert_problem(app.get("/me", &other).await, 401, "unauthenticated").await;
    assert_problem(
        app.login("changer", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    app.login_ok("changer", new).await;
}

#[tokio::test]
async fn passwords_are_taken_exactly_as_sent() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let spaced = "  spaced passphrase 长城  ";
    let res = app
        .post(
            "/users",
            &admin.token,
            json!({"username": "spacey", "display_name": "S", "password": spaced}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(
        app.login("spacey", spaced.trim()).await,
        401,
        "invalid_credentials",
    )
    .await;
    app.login_ok("spacey", spaced).await;
}

#[tokio::test]
async fn an_admin_password_reset_revokes_every_session() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user(&admin, "forgetful", &["editor"]).await;
    let res = app
        .post(
            &format!("/users/{}/password", user.id),
            &admin.token,
            json!({"new_password": "reset-by-the-admin-2026"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get("/me", &user.token).await, 401, "unauthenticated").await;
    app.login_ok("forgetful", "reset-by-the-admin-2026").await;
}

#[tokio::test]
async fn every_client_mistake_is_a_clear_problem() {
    let app = TestApp::spawn().await;
    let login = app.url("/auth/login");
    let raw = |body: &'static str, ct: &'static str| {
        app.client
            .post(&login)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_problem(
        raw("{not json", "application/json").await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        raw(
            r#"{"username":"a","password":"b","extra":1}"#,
            "application/json",
        )
        .await
        .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        raw(r#"{"username":1,"password":"b"}"#, "application/json")
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        raw(r#"{"username":"a"}"#, "application/json")
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        raw(r#"{"username":"a","password":"b"}"#, "text/plain")
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    let nul = assert_problem(
        raw(
            r#"{"username":"a\u0000","password":"b"}"#,
            "application/json",
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(nul["errors"][0]["field"], "username");
    let big = format!(
        r#"{{"username":"a","password":"{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "payload_too_large").await;
    assert_problem(
        app.call(Method::GET, "/no/such/route", None, None).await,
        404,
        "not_found",
    )
    .await;
    let wrong_method = app.call(Method::DELETE, "/auth/login", None, None).await;
    assert_eq!(
        wrong_method.headers()["allow"],
        "POST",
        "RFC 9110: a 405 says what is allowed"
    );
    assert_problem(wrong_method, 405, "method_not_allowed").await;
    let wrong_method = app.call(Method::PUT, "/users", None, None).await;
    assert_eq!(wrong_method.headers()["allow"], "GET, POST");
    let admin = app.admin().await;
    assert_problem(
        app.get("/users/not-a-uuid", &admin.token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/users?limit=0", &admin.token).await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        app.get("/users?limit=abc", &admin.token).await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        app.get("/users?cursor=zzz", &admin.token).await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        app.get("/users?bogus=1", &admin.token).await,
        400,
        "malformed_request",
    )
    .await;
}

#[tokio::test]
async fn logins_and_failures_are_audited_and_passwords_never_are() {
    let app = TestApp::spawn().await;
    app.login("admin", "wrong-password-x1").await;
    app.login_ok("admin", ADMIN_PASSWORD).await;
    let rows = audit_actions(&app).await;
    assert_eq!(rows, vec!["admin_bootstrapped", "login_failed", "login"]);
    let dump = audit_dump(&app).await;
    assert!(!dump.contains("wrong-password-x1") && !dump.contains(ADMIN_PASSWORD));
}

pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    app.chain().await;
    let mut conn = sanshen::db::connect(&app.state.pool).await.unwrap();
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT action FROM audit_events ORDER BY seq"),
        &mut conn,
    )
    .await
    .unwrap();
    rows.into_iter().map(|r| r.action).collect()
}

async fn audit_dump(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    app.chain().await;
    let mut conn = sanshen::db::connect(&app.state.pool).await.unwrap();
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT row_to_json(e)::text AS line FROM audit_events e"),
        &mut conn,
    )
    .await
    .unwrap();
    rows.into_iter()
        .map(|r| r.line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz", "/api/v1/me", "/nowhere"] {
        let res = app
            .client
            .get(format!("{}{}", app.base, path))
            .send()
            .await
            .unwrap();
        let id = res
            .headers()
            .get("x-request-id")
            .expect(path)
            .to_str()
            .unwrap()
            .to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{path}: {id}");
    }
    let _ = Duration::from_secs(0);
}
