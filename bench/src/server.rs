//! The system under test: a private cluster, a release sanshen on it, and
//! pgbench's own database beside sanshen's.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sanshen::db::embedded::Cluster;

use crate::pgbench::{self, PgBench};

pub const ADMIN_PASSWORD: &str = "benchmark-admin-passphrase";

/// sanshen's pool: one connection per client at the highest level, as
/// pgbench has.
const POOL_SIZE: &str = "64";

pub struct Environment {
    pub base: String,
    pub pgbench: PgBench,
    cluster: Cluster,
    server: Child,
    root: PathBuf,
    psql: PathBuf,
}

impl Environment {
    /// Starts the cluster, migrates and seeds the pgbench database, then
    /// starts the `sanshen` binary found next to this one.
    pub async fn start(scripts: &Path, login_queue: Option<usize>) -> anyhow::Result<Environment> {
        let exe = std::env::current_exe()?.with_file_name("sanshen");
        anyhow::ensure!(
            exe.is_file(),
            "{} not found: build it first with `cargo build --release`",
            exe.display()
        );
        let root =
            std::env::temp_dir().join(format!("sanshen-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root)?;
        // As root the cluster runs as the postgres user, who must reach it.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
        let data = root.join("data");
        let cluster = tokio::task::spawn_blocking(move || {
            Cluster::start_with(
                &data,
                &[("max_connections", "300"), ("shared_buffers", "256MB")],
            )
        })
        .await??;
        // Should this tool be killed, the cluster still stops.
        cluster.stop_when_process_exits(std::process::id(), false)?;
        for db in ["sanshen", "bench"] {
            sanshen::db::ensure_database(&cluster.url("postgres"), db).await?;
        }
        sanshen::db::run_migrations(&cluster.url("bench")).await?;
        let psql = pgbench::find("psql")?;
        let pgbench = PgBench {
            bin: pgbench::find("pgbench")?,
            socket: cluster.socket_dir().to_path_buf(),
            database: "bench".into(),
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(root.join("server.log"))?;
        let mut server = Command::new(&exe);
        if let Some(q) = login_queue {
            server.env("SANSHEN_LOGIN_QUEUE", q.to_string());
        }
        let server = server
            .arg("serve")
            .env("DATABASE_URL", cluster.url("sanshen"))
            .env(
                "SANSHEN_JWT_SECRET",
                "benchmark-secret-benchmark-secret-benchmark",
            )
            .env("SANSHEN_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SANSHEN_BIND", format!("127.0.0.1:{port}"))
            .env("SANSHEN_DB_POOL_SIZE", POOL_SIZE)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {}: {e}", exe.display()))?;
        let env = Environment {
            base: format!("http://127.0.0.1:{port}"),
            pgbench,
            cluster,
            server,
            root,
            psql,
        };
        env.psql(
            "bench",
            &["-f", &scripts.join("seed.sql").display().to_string()],
        )?;
        env.wait_ready().await?;
        Ok(env)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        for _ in 0..240 {
            if client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        anyhow::bail!(
            "sanshen did not become ready; see {}",
            self.root.join("server.log").display()
        )
    }

    pub fn server_pid(&self) -> u32 {
        self.server.id()
    }

    fn psql_command(&self, db: &str) -> Command {
        let mut command = Command::new(&self.psql);
        command
            .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(self.cluster.socket_dir())
            .args(["-U", "postgres", "-d", db]);
        command
    }

    /// Runs psql with `args`; its unaligned, tuples-only output.
    pub fn psql(&self, db: &str, args: &[&str]) -> anyhow::Result<String> {
        let out = self.psql_command(db).arg("-At").args(args).output()?;
        anyhow::ensure!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// psql reading a script from its standard input (for COPY … FROM STDIN).
    pub fn psql_stdin(&self, db: &str) -> anyhow::Result<Child> {
        Ok(self
            .psql_command(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?)
    }

    /// A field of the server's /proc status, in KiB (VmRSS, VmHWM).
    pub fn memory_kib(&self, field: &str) -> u64 {
        memory_of(self.server.id(), field)
    }

    /// Resets the server's VmHWM to its current RSS, so the next VmHWM is
    /// the peak of what follows. False where the kernel refuses.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.server.id()), "5").is_ok()
    }

    /// Samples the server's resident memory until stopped; returns the peak.
    /// A cross-check of VmHWM, and the figure where it cannot be reset.
    pub fn rss_sampler(&self) -> Sampler {
        let (pid, stop, peak) = (
            self.server.id(),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let (s, p) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(memory_of(pid, "VmRSS"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Sampler { stop, peak }
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.server.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.server.wait();
        let _ = self.cluster.stop();
        // SANSHEN_BENCH_KEEP=1 leaves the stopped cluster for EXPLAIN
        // after a run (start it again with `pg_ctl -D <root>/data`).
        if std::env::var_os("SANSHEN_BENCH_KEEP").is_some() {
            eprintln!("kept: {}", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
}

impl Sampler {
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(20));
        self.peak.load(Ordering::Relaxed)
    }
}

fn memory_of(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .strip_prefix(':')?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
