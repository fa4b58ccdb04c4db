//! The database going away under a running server, and a server stopping
//! before its embedded database: nothing hangs, nothing is lost.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sanshen::db::embedded::Cluster;
use sanshen::{db, startup};
use serde_json::json;

use crate::common::os::scratch;
use crate::common::{ADMIN_PASSWORD, TestApp, assert_problem};

use super::process::{self, Api};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, query: &str) -> i64 {
    let rows: Vec<Count> = diesel::sql_query(query).load(conn).await.unwrap();
    rows[0].n
}

async fn start_cluster(root: std::path::PathBuf) -> Cluster {
    tokio::task::spawn_blocking(move || Cluster::start_with(&root, &[("fsync", "off")]).unwrap())
        .await
        .unwrap()
}

async fn wait_ready(api: &Api) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = api
            .send(reqwest::Method::GET, "/readyz", None, None, &[])
            .await;
        if ready.status() == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "not ready again within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The postmaster of the cluster under `root` and its children.
fn cluster_processes(root: &std::path::Path) -> Vec<i32> {
    let pidfile = std::fs::read_to_string(root.join("pg/postmaster.pid")).unwrap();
    let postmaster: i32 = pidfile.lines().next().unwrap().trim().parse().unwrap();
    let mut pids = vec![postmaster];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let parent = tail
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok());
        if parent == Some(postmaster) {
            pids.push(entry.file_name().to_str().unwrap().parse().unwrap());
        }
    }
    pids
}

fn signal_all(pids: &[i32], signal: Signal) {
    for pid in pids {
        let _ = kill(Pid::from_raw(*pid), signal);
    }
}

/// A request during the outage: 503 `unavailable`, well within 5 s.
async fn unavailable_fast(res: impl std::future::Future<Output = reqwest::Response>) {
    let started = Instant::now();
    let res = res.await;
    let took = started.elapsed();
    assert_problem(res, 503, "unavailable").await;
    assert!(took < Duration::from_secs(5), "answered in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_away_requests_get_503_and_the_server_recovers_alone() {
    // A cluster of this test's own: stopping the shared one would fail others.
    let root = scratch("inst").join("pg");
    let cluster = start_cluster(root.clone()).await;
    cluster
        .stop_when_process_exits(std::process::id(), true)
        .unwrap();
    db::ensure_database(&cluster.url("postgres"), "sanshen")
        .await
        .unwrap();
    let url = cluster.url("sanshen");
    db::run_migrations(&url).await.unwrap();
    let app = TestApp::spawn_on(&url).await;
    startup::bootstrap_admin(&app.state, Some(ADMIN_PASSWORD))
        .await
        .unwrap();
    let api = Api::new(app.base.clone());
    let admin = api.admin().await;
    let auditor = api.user(&admin, "auditor", "auditor").await;
    let department = |code: &str| json!({"code": code, "name": "科"});
    assert_eq!(
        api.post("/departments", &admin, department("before"))
            .await
            .status(),
        201
    );

    tokio::task::spawn_blocking(move || cluster.stop().unwrap())
        .await
        .unwrap();
    unavailable_fast(api.send(reqwest::Method::GET, "/readyz", None, None, &[])).await;
    unavailable_fast(api.post("/departments", &admin, department("during"))).await;
    unavailable_fast(api.login_from("admin", ADMIN_PASSWORD, None)).await;
    unavailable_fast(api.get("/audit/verify", &auditor)).await;
    assert_eq!(
        api.send(reqwest::Method::GET, "/healthz", None, None, &[])
            .await
            .status(),
        200
    );

    let _cluster = start_cluster(root.clone()).await;
    wait_ready(&api).await;
    // Every pooled connection died with the cluster; none may surface.
    for i in 0..10 {
        let res = api
            .post("/departments", &admin, department(&format!("after{i}")))
            .await;
        assert_eq!(res.status(), 201, "change {i} after the outage");
    }
    // Frozen rather than gone (a hung host, a stalled network): the
    // readiness probe still answers within 5 s, so a balancer can react.
    let frozen = cluster_processes(&root);
    signal_all(&frozen, Signal::SIGSTOP);
    let started = Instant::now();
    // Bounded, and the cluster resumed before any assertion can fail.
    let probe = api
        .client
        .get(api.url("/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let took = started.elapsed();
    signal_all(&frozen, Signal::SIGCONT);
    let ready = probe.expect("an answer while the database is frozen");
    assert_problem(ready, 503, "unavailable").await;
    assert!(took < Duration::from_secs(5), "answered in {took:?}");
    wait_ready(&api).await;

    let verified = api.verify(&auditor).await;
    assert_eq!(verified["valid"], true, "{verified}");
    // bootstrap, admin login, auditor (created, granted, logged in), one
    // department before and ten after; nothing from the outage, nothing twice.
    assert_eq!(verified["checked"], 1 + 1 + 3 + 1 + 10, "{verified}");
}

/// On SIGTERM the chainer links what is queued before the embedded cluster
/// stops. The test holds the chain's head lock so that events are surely
/// still queued when the signal arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_links_queued_events_before_the_embedded_cluster_stops() {
    let data = scratch("inst").join("data");
    let data_dir = data.display().to_string();
    let mut server = process::start(&[("SANSHEN_DATA_DIR", &data_dir)]).await;
    let admin = server.api.admin().await;
    let mut db = AsyncPgConnection::establish(&process::embedded_url(&data))
        .await
        .unwrap();
    // Start from an empty queue: the server links its start-up events
    // within milliseconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&mut db, "SELECT count(*) AS n FROM audit_pending").await > 0 {
        assert!(
            Instant::now() < deadline,
            "start-up events not linked in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    diesel::sql_query("BEGIN").execute(&mut db).await.unwrap();
    diesel::sql_query("SELECT seq FROM audit_head FOR UPDATE")
        .execute(&mut db)
        .await
        .unwrap();
    for code in ["one", "two", "three"] {
        let res = server
            .api
            .post("/departments", &admin, json!({"code": code, "name": "科"}))
            .await;
        assert_eq!(res.status(), 201);
    }
    assert_eq!(
        count(&mut db, "SELECT count(*) AS n FROM audit_pending").await,
        3
    );

    kill(Pid::from_raw(server.child.id() as i32), Signal::SIGTERM).unwrap();
    // Without the fix the process stops the cluster at once and exits.
    let early = server.exited_within(Duration::from_secs(2)).await;
    let _ = diesel::sql_query("COMMIT").execute(&mut db).await;
    drop(db);
    let status = match early {
        Some(status) => status,
        None => server
            .exited_within(Duration::from_secs(60))
            .await
            .expect("exits"),
    };
    assert!(status.success(), "clean exit: {status}");
    let logs = server.logs();
    for bad in ["WARN", "ERROR", "could not stop", "failed"] {
        assert!(!logs.contains(bad), "{bad} while stopping:\n{logs}");
    }

    // The cluster alone, as the next start would find it.
    let cluster = start_cluster(data.clone()).await;
    let mut db = AsyncPgConnection::establish(&cluster.url("sanshen"))
        .await
        .unwrap();
    // admin_bootstrapped, login, three departments
    assert_eq!(
        count(&mut db, "SELECT count(*) AS n FROM audit_events").await,
        5
    );
    assert_eq!(
        count(&mut db, "SELECT max(seq) AS n FROM audit_events").await,
        5
    );
    assert_eq!(
        count(&mut db, "SELECT count(*) AS n FROM audit_pending").await,
        0
    );
    drop(db);
    tokio::task::spawn_blocking(move || cluster.stop().unwrap())
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(data.parent().unwrap());
}
