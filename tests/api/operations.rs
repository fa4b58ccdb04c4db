//! Health, readiness, the OpenAPI document, and start-up configuration errors.

use std::process::Command;

use sanshen::http::openapi::document_json;

use crate::common::{TestApp, assert_problem, database_name, fresh_database, maintenance_url};

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

async fn exec(url: &str, sql: &str) {
    use diesel_async::AsyncConnection;
    let mut conn = diesel_async::AsyncPgConnection::establish(url)
        .await
        .unwrap();
    diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn readyz_is_503_while_the_database_is_away_and_200_once_back() {
    let database_url = fresh_database().await;
    let name = database_name(&database_url).to_string();
    let app = TestApp::spawn_on(&database_url).await;
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let admin = maintenance_url().await;
    exec(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    )
    .await;
    exec(
        &admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;
    for _ in 0..3 {
        let res = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_problem(res, 503, "unavailable").await;
    }
    // Requests that need the database say 503 too, never 500.
    let res = app.login("admin", crate::common::ADMIN_PASSWORD).await;
    assert_problem(res, 503, "unavailable").await;

    exec(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    )
    .await;
    let mut status = 0;
    for _ in 0..20 {
        status = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again without a restart");
}

/// The pool hands out connections without a test query; one the database
/// closed (a restart, an administrator's terminate) must still not reach a
/// request once the connection has seen the close. (In the instant before,
/// a request can meet it and get a 503, as it could between a test query
/// and its own.)
#[tokio::test]
async fn connections_the_database_closed_are_not_handed_out() {
    let database_url = fresh_database().await;
    let name = database_name(&database_url).to_string();
    let app = TestApp::spawn_on(&database_url).await;
    let admin = app.admin().await;
    // Several connections in the pool, all idle afterwards.
    let warm = futures_util::future::join_all((0..8).map(|_| app.get("/me", &admin.token))).await;
    assert!(warm.iter().all(|r| r.status() == 200));

    exec(
        &maintenance_url().await,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"),
    )
    .await;
    // Until the pool has seen the close, a request may still meet a dead
    // connection and get 503 (never 500); once one succeeds, all do.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let res = app.get("/me", &admin.token).await;
        if res.status() == 200 {
            break;
        }
        assert_problem(res, 503, "unavailable").await;
        assert!(std::time::Instant::now() < deadline, "no recovery in 10 s");
    }
    for i in 0..20 {
        let res = app.get("/me", &admin.token).await;
        assert_eq!(res.status(), 200, "request {i} after the terminate");
    }
}

#[tokio::test]
async fn the_served_openapi_document_is_the_checked_in_one() {
    let generated = document_json().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == checked_in,
        "openapi/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test --test operations` and commit it"
    );
    let app = TestApp::spawn().await;
    let served = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, checked_in);
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert!(doc["paths"]["/api/v1/auth/login"]["post"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn the_docs_page_is_served_offline() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "swagger UI page");
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bundle.status(),
        200,
        "the UI's script is served from the binary"
    );
}

fn start_with_env(vars: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanshen"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let secret = "s".repeat(32);
    for (vars, variable) in [
        (
            vec![("DATABASE_URL", "postgres://u@127.0.0.1:1/db")],
            "SANSHEN_JWT_SECRET",
        ),
        (
            vec![
                ("DATABASE_URL", "postgres://u@127.0.0.1:1/db"),
                ("SANSHEN_JWT_SECRET", "short"),
            ],
            "SANSHEN_JWT_SECRET",
        ),
        (
            vec![
                ("DATABASE_URL", "mysql://u@h/db"),
                ("SANSHEN_JWT_SECRET", secret.as_str()),
            ],
            "DATABASE_URL",
        ),
        (vec![("SANSHEN_BIND", "everywhere")], "SANSHEN_BIND"),
        (
            vec![("SANSHEN_ACCESS_TTL_SECONDS", "forever")],
            "SANSHEN_ACCESS_TTL_SECONDS",
        ),
    ] {
        let (ok, stderr) = start_with_env(&vars);
        assert!(!ok, "{vars:?} must not start");
        assert!(stderr.contains(variable), "{variable} named in: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
    }
}
