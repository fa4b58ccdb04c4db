//! What the tests share. Here: one throwaway PostgreSQL cluster for the
//! whole run (or the server at TEST_DATABASE_URL), a migrated template in
//! it, and a fresh database cloned from the template for each test.
//! `app`: the real server on a random port over such a database;
//! `newsroom`: a cast of users and their verbs; `os`: the tests' own
//! processes and files.

mod app;
pub mod newsroom;
pub mod os;

use std::net::{IpAddr, Ipv4Addr};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use sanshen::config::{Database, Settings};
use sanshen::db::embedded::Cluster;
use sanshen::state::AppState;
use sanshen::{db, startup};
use serde_json::Value;
use tokio::sync::OnceCell;
use uuid::Uuid;

pub use app::{TestApp, User, assert_problem};

pub const ADMIN_PASSWORD: &str = "test-admin-passphrase-不可猜";
pub const PASSWORD: &str = "correct-horse-battery-staple-9";
const TEMPLATE: &str = "sanshen_template";

struct Harness {
    /// A URL to the maintenance database, where test databases are created.
    maintenance_url: String,
    _cluster: Option<Cluster>,
}

static HARNESS: OnceCell<Harness> = OnceCell::const_new();

async fn harness() -> &'static Harness {
    HARNESS.get_or_init(init_harness).await
}

/// The same server, another database. By hand, because a unix-socket URL
/// (`postgres://user@/db?host=/dir`) has an empty host that URL parsers refuse.
fn url_with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{database}{query}", &base[..path])
}

async fn init_harness() -> Harness {
    let (maintenance_url, cluster) = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let root = std::env::temp_dir().join(format!(
                "sanshen-test-{}-{}",
                std::process::id(),
                Uuid::new_v4().simple()
            ));
            let cluster = tokio::task::spawn_blocking(move || {
                let cluster = Cluster::start_with(
                    &root,
                    &[
                        ("max_connections", "400"),
                        ("fsync", "off"),
                        ("synchronous_commit", "off"),
                    ],
                )
                .expect("start the test cluster");
                cluster
                    .stop_when_process_exits(std::process::id(), true)
                    .expect("arm the cluster reaper");
                cluster
            })
            .await
            .expect("cluster thread");
            (cluster.url("postgres"), Some(cluster))
        }
    };
    let mut conn = maintenance(&maintenance_url).await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {TEMPLATE}")),
        &mut conn,
    )
    .await
    .expect("drop old template");
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("CREATE DATABASE {TEMPLATE}")),
        &mut conn,
    )
    .await
    .expect("create template");
    let template_url = url_with_database(&maintenance_url, TEMPLATE);
    db::run_migrations(&template_url)
        .await
        .expect("migrate template");
    let state = state_for(&template_url, &"x".repeat(32)).await;
    startup::bootstrap_admin(&state, Some(ADMIN_PASSWORD))
        .await
        .expect("bootstrap admin");
    state.pool.close();
    Harness {
        maintenance_url,
        _cluster: cluster,
    }
}

async fn maintenance(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url)
        .await
        .expect("connect to the test cluster")
}

fn settings(database_url: &str, secret: &str) -> Settings {
    let secret = secret.to_string();
    let url = database_url.to_string();
    let mut settings = Settings::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "SANSHEN_JWT_SECRET" => Some(secret.clone()),
        "SANSHEN_DB_POOL_SIZE" => Some("8".into()),
        // Webhook retries in milliseconds, not seconds (tests/api/webhooks.rs).
        "SANSHEN_WEBHOOK_BACKOFF_MS" => Some("50".into()),
        // Bursts of 40–124 logins test the throttle; the login queue (24 on
        // two cores by default) would answer most of them 503 first.
        // tests/api/login_queue.rs fills whatever capacity this gives.
        "SANSHEN_LOGIN_QUEUE" => Some("1000".into()),
        _ => None,
    })
    .expect("test settings");
    settings.database = Database::Url(database_url.to_string());
    settings
}

pub(crate) async fn state_for(url: &str, secret: &str) -> AppState {
    startup::build_state(&settings(url, secret), url)
        .await
        .expect("app state")
}

pub async fn maintenance_url() -> String {
    harness().await.maintenance_url.clone()
}

/// A fresh database, cloned from the migrated template.
pub async fn fresh_database() -> String {
    let h = harness().await;
    let name = format!("t_{}", Uuid::new_v4().simple());
    let mut conn = maintenance(&h.maintenance_url).await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")),
        &mut conn,
    )
    .await
    .expect("clone the template");
    url_with_database(&h.maintenance_url, &name)
}

/// The database name in a connection URL (`…/name?…`).
pub fn database_name(url: &str) -> &str {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

/// A test's database, reached as the cluster's superuser (the maintenance
/// URL's role), on a connection of its own.
pub async fn superuser(app: &TestApp) -> AsyncPgConnection {
    let h = harness().await;
    let url = url_with_database(&h.maintenance_url, database_name(&app.database_url));
    AsyncPgConnection::establish(&url)
        .await
        .expect("superuser connection")
}

/// An admin and an auditor on a fresh server.
pub async fn setup() -> (TestApp, User, User) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.user(&admin, "auditor1", &["auditor"]).await;
    (app, admin, auditor)
}

/// `GET /audit/verify` as `who`, which must succeed.
pub async fn verify(app: &TestApp, who: &User) -> Value {
    let res = app.get("/audit/verify", &who.token).await;
    assert_eq!(res.status(), 200, "GET /audit/verify");
    res.json().await.expect("json")
}

/// A client whose requests come from `ip` (any 127.x.y.z reaches the
/// server): throttling is per address.
pub fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .build()
        .expect("a client bound to a loopback address")
}
