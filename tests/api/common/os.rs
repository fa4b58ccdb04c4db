//! The tests' own processes and files: the `sanshen` binary run as a
//! command, free ports for servers it starts, scratch directories.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Output;

/// A port nothing listens on now, for a server process to bind.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A new, empty directory under the temporary directory, its name starting
/// with `sanshen-{name}-` (one run's leftovers are recognisable).
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sanshen-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// Runs the `sanshen` CLI, on `database_url` if given, without the
/// harness's environment. Async, so as not to block the test's runtime:
/// the in-process server's chainer runs on it, and the CLI's `audit verify`
/// waits for the audit head the chainer may be holding (blocking here once
/// deadlocked).
pub async fn cli(args: &[&str], database_url: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sanshen"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SANSHEN_JWT_SECRET")
        .env("RUST_LOG", "warn");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command.output().await.expect("run sanshen")
}
