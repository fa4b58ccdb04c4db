//! The embedded default end to end (SPEC §4): the real binary starts its own
//! PostgreSQL cluster, prints the generated admin password once, stops the
//! cluster on SIGTERM, reuses the data, and recovers after `kill -9`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

use crate::common::os::{free_port, scratch};

struct Server {
    child: Child,
    base: String,
    lines: mpsc::Receiver<String>,
}

/// Waits until `pid` is gone (or a zombie nobody reaps), at most 10 s.
fn wait_until_dead(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the command name in parentheses: "Z" is a zombie.
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if stat.is_empty() || state.starts_with('Z') {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} still alive after 10 s"
        );
        std::thread::yield_now();
    }
}

fn start(data: &Path, extra: &[(&str, &str)]) -> Server {
    start_logging(data, extra, Stdio::null())
}

fn start_logging(data: &Path, extra: &[(&str, &str)], stderr: Stdio) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanshen"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SANSHEN_DATA_DIR", data)
        .env("SANSHEN_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        lines,
    }
}

fn wait_ready(server: &mut Server) {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("sanshen exited early: {status}");
        }
        if client
            .get(format!("{}/readyz", server.base))
            .send()
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("sanshen not ready in 90 s");
}

fn printed_password(server: &Server) -> Option<String> {
    let line = server.lines.recv_timeout(Duration::from_millis(500)).ok()?;
    let rest = line.split("with password ").nth(1)?;
    rest.split_whitespace().next().map(String::from)
}

fn login(server: &Server, password: &str) -> Option<String> {
    let res = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .ok()?;
    let body: Value = res.json().ok()?;
    body["access_token"].as_str().map(String::from)
}

fn terminate(mut server: Server) {
    kill(Pid::from_raw(server.child.id() as i32), Signal::SIGTERM).unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

fn postmaster_pid(data: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data.join("pg/postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

#[test]
fn the_embedded_cluster_starts_stops_persists_and_recovers() {
    let data = scratch("e2e").join("data");

    // First start: initdb, a generated password printed once.
    let mut server = start(&data, &[]);
    wait_ready(&mut server);
    let password = printed_password(&server).expect("the generated admin password is printed");
    let token = login(&server, &password).expect("admin logs in with it");
    let res = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/departments", server.base))
        .bearer_auth(&token)
        .json(&json!({"code": "news", "name": "新闻科"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let secret = std::fs::metadata(data.join("jwt_secret")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&secret.permissions()) & 0o777,
        0o600
    );
    terminate(server);
    assert!(
        postmaster_pid(&data).is_none(),
        "the cluster stops with sanshen"
    );

    // Second start: the same data, no new password.
    let mut server = start(&data, &[]);
    wait_ready(&mut server);
    assert_eq!(printed_password(&server), None, "no second password");
    assert!(login(&server, &password).is_some(), "the data was reused");

    // kill -9 of sanshen leaves an orphaned postmaster; the next start adopts it.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let orphan = postmaster_pid(&data).expect("the postmaster outlives a kill -9");
    let mut server = start(&data, &[]);
    wait_ready(&mut server);
    assert!(login(&server, &password).is_some());
    assert_eq!(
        postmaster_pid(&data),
        Some(orphan),
        "adopted, not started twice"
    );

    // kill -9 of both: a stale postmaster.pid; the next start recovers.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    kill(Pid::from_raw(orphan), Signal::SIGKILL).unwrap();
    wait_until_dead(orphan);
    assert!(
        data.join("pg/postmaster.pid").exists(),
        "the pid file is stale now"
    );
    let mut server = start(&data, &[]);
    wait_ready(&mut server);
    assert!(
        login(&server, &password).is_some(),
        "recovered with the data intact"
    );
    terminate(server);

    // `sanshen migrate` runs the migrations alone and stops the cluster.
    let out = Command::new(env!("CARGO_BIN_EXE_sanshen"))
        .arg("migrate")
        .env("SANSHEN_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(postmaster_pid(&data).is_none());
    let _ = std::fs::remove_dir_all(data.parent().unwrap());
}

#[test]
fn logs_carry_request_ids_and_never_passwords_or_tokens() {
    let dir = scratch("e2e");
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let password = "a-logged-nowhere-passphrase";
    let mut server = start_logging(
        &dir.join("data"),
        &[("SANSHEN_ADMIN_PASSWORD", password), ("RUST_LOG", "debug")],
        Stdio::from(log),
    );
    wait_ready(&mut server);
    let token = login(&server, password).unwrap();
    let client = reqwest::blocking::Client::new();
    let me = client
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    let request_id = me.headers()["x-request-id"].to_str().unwrap().to_string();
    client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": "admin", "password": "a-wrong-passphrase-123"}))
        .send()
        .unwrap();
    terminate(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains(&request_id), "the request id is in the logs");
    for secret in [password, "a-wrong-passphrase-123", token.as_str()] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
    let signature = token.rsplit('.').next().unwrap();
    assert!(!logs.contains(signature));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_postgresql_binaries_start_up_says_what_to_do() {
    let data = scratch("e2e");
    let out = Command::new(env!("CARGO_BIN_EXE_sanshen"))
        .env_clear()
        .env("PATH", "/nonexistent")
        .env("SANSHEN_PG_BIN_DIR", "/nonexistent")
        .env("SANSHEN_DATA_DIR", data.join("d"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("install PostgreSQL or set DATABASE_URL"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn an_admin_password_from_the_environment_is_used_and_not_printed() {
    let data = scratch("e2e").join("data");
    let mut server = start(
        &data,
        &[("SANSHEN_ADMIN_PASSWORD", "an-operator-chosen-passphrase")],
    );
    wait_ready(&mut server);
    assert_eq!(printed_password(&server), None);
    assert!(login(&server, "an-operator-chosen-passphrase").is_some());
    terminate(server);
    let weak_dir = scratch("e2e");
    let weak = start(
        &weak_dir.join("data"),
        &[("SANSHEN_ADMIN_PASSWORD", "short")],
    );
    let out = weak.child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "a weak bootstrap password stops start-up"
    );
    assert!(
        postmaster_pid(&weak_dir.join("data")).is_none(),
        "and stops the cluster it started"
    );
    let _ = std::fs::remove_dir_all(data.parent().unwrap());
    let _ = std::fs::remove_dir_all(weak_dir);
}
