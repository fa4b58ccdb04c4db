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

pub struct Environment {
    pub base: String,
    pub pgbench: PgBench,
    cluster: Cluster,
    server: Child,
    root: PathBuf,
    psql: PathBuf,
}

impl Environment {
    pub async fn start(scripts: &Path) -> anyhow::Result<Environment> {
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
        for db in ["sanshen", "bench"] {
            sanshen::db::ensure_database(&cluster.url("postgres"), db).await?;
        }
        sanshen::db::run_migrations(&cluster.url("bench")).await?;
        let psql = pgbench::find("psql")?;
        run_psql(
            &psql,
            &cluster,
            "bench",
            &["-f", &scripts.join("seed.sql").display().to_string()],
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let exe = std::env::current_exe()?.with_file_name("sanshen");
        let log = std::fs::File::create(root.join("server.log"))?;
        let server = Command::new(&exe)
            .arg("serve")
            .env("DATABASE_URL", cluster.url("sanshen"))
            .env(
                "SANSHEN_JWT_SECRET",
                "benchmark-secret-benchmark-secret-benchmark",
            )
            .env("SANSHEN_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SANSHEN_BIND", format!("127.0.0.1:{port}"))
            .env("SANSHEN_DB_POOL_SIZE", "64")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "starting {} (build it with cargo build --release): {e}",
                    exe.display()
                )
            })?;
        let pgbench = PgBench {
            bin: pgbench::find("pgbench")?,
            socket: cluster.socket_dir().to_path_buf(),
            database: "bench".into(),
        };
        let env = Environment {
            base: format!("http://127.0.0.1:{port}"),
            pgbench,
            cluster,
            server,
            root,
            psql,
        };
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

    /// Appends `n` events straight into sanshen's audit table (inserts are
    /// allowed; the hashes are not a valid chain, which export does not need).
    pub fn insert_events(&self, n: u64) -> anyhow::Result<()> {
        let sql = format!(
            "INSERT INTO audit_events (seq, occurred_at, actor, action, detail, prev_hash, hash) \
             SELECT h.seq + g, now(), 'bench', 'bench_event', jsonb_build_object('n', g, 'note', '基准测试事件'), \
                    repeat('0', 64), encode(sha256(g::text::bytea), 'hex') \
             FROM audit_head h, generate_series(1, {n}) g; \
             UPDATE audit_head SET seq = seq + {n}, hash = encode(sha256({n}::text::bytea), 'hex');"
        );
        run_psql(&self.psql, &self.cluster, "sanshen", &["-c", &sql])
    }

    pub fn rss_kib(&self, field: &str) -> u64 {
        rss_of(self.server.id(), field)
    }

    /// Samples the server's resident memory until stopped; returns the peak.
    pub fn rss_sampler(&self) -> Sampler {
        let (pid, stop, peak) = (
            self.server.id(),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let (s, p) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_of(pid, "VmRSS"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Sampler { stop, peak }
    }

    pub fn stop(mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.server.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.server.wait();
        let _ = self.cluster.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
}

impl Sampler {
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(30));
        self.peak.load(Ordering::Relaxed)
    }
}

fn rss_of(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn run_psql(psql: &Path, cluster: &Cluster, db: &str, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(psql)
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(cluster.socket_dir())
        .args(["-U", "postgres", "-d", db])
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
