//! The embedded cluster's recovery paths, on real PostgreSQL processes.

use std::os::unix::fs::PermissionsExt;

use sanshen::db::embedded::{Cluster, EmbeddedError};

use crate::common::os::scratch;

fn psql(cluster: &Cluster, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([
            "-h",
            &cluster.socket_dir().display().to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            sql,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_stale_pid_file_naming_a_foreign_live_process_is_ignored() {
    let root = scratch("foreign");
    let cluster = Cluster::start(&root).unwrap();
    psql(
        &cluster,
        "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)",
    );
    cluster.stop().unwrap();
    // This test process is alive but is no postmaster.
    let pidfile = root.join("pg/postmaster.pid");
    std::fs::write(
        &pidfile,
        format!("{}\n{}\n", std::process::id(), root.join("pg").display()),
    )
    .unwrap();
    let cluster = Cluster::start(&root).unwrap();
    assert_eq!(psql(&cluster, "SELECT x FROM kept"), "7");
    cluster.stop().unwrap();
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn an_interrupted_first_start_is_redone() {
    let root = scratch("half");
    // Leftovers of an initdb that never finished, and a cluster dir without PG_VERSION.
    std::fs::create_dir_all(root.join("pg.init/base")).unwrap();
    std::fs::create_dir_all(root.join("pg/global")).unwrap();
    let cluster = Cluster::start(&root).unwrap();
    assert_eq!(psql(&cluster, "SELECT 1"), "1");
    assert!(!root.join("pg.init").exists());
    assert!(root.join("pg/PG_VERSION").exists());
    cluster.stop().unwrap();
    cluster.stop().unwrap();
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_socket_path_too_long_is_refused_clearly() {
    let root = scratch("long").join("x".repeat(120));
    let err = Cluster::start(&root).unwrap_err();
    assert!(
        matches!(err, EmbeddedError::SocketPathTooLong { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("SANSHEN_DATA_DIR"));
}

#[test]
fn as_root_an_untraversable_parent_is_named() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "SKIPPED as_root_an_untraversable_parent_is_named: needs root (runs in CI, as root)"
        );
        return;
    }
    let locked = scratch("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = Cluster::start(&locked.join("data")).unwrap_err();
    match &err {
        EmbeddedError::NotTraversable { path } => assert_eq!(path, &locked),
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("SANSHEN_DATA_DIR"));
    let _ = std::fs::remove_dir_all(locked);
}
