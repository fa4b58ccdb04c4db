//! The embedded default (SPEC §4): a private PostgreSQL cluster under the
//! data directory, listening only on a unix socket inside it, started (or
//! adopted, after a crash) at start-up and stopped on exit.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use nix::unistd::{Gid, Uid, geteuid};

mod host;

use host::{check, check_traversable, find_binaries, live_postgres, output_text, postgres_user};

/// Why the cluster could not be started; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) found on PATH or under /usr/lib/postgresql/*/bin: \
         install PostgreSQL or set DATABASE_URL"
    )]
    NotInstalled,
    #[error(
        "running as root, the cluster runs as the `postgres` system user, and there is none: create it or set DATABASE_URL"
    )]
    NoPostgresUser,
    #[error(
        "{path} must be traversable by the postgres user (it is not): set SANSHEN_DATA_DIR to a directory such as /var/lib/sanshen"
    )]
    NotTraversable { path: PathBuf },
    #[error(
        "the socket path {path} is too long for a unix socket: set SANSHEN_DATA_DIR to a shorter path"
    )]
    SocketPathTooLong { path: PathBuf },
    #[error("the data directory path {path} must not contain quotes")]
    UnsafePath { path: PathBuf },
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    let context = context.into();
    move |source| EmbeddedError::Io { context, source }
}

/// A running cluster this process owns (or adopted).
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    bin: PathBuf,
    run_as: Option<(Uid, Gid)>,
}

/// The limit of `sun_path`, less the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

impl Cluster {
    pub fn start(root: &Path) -> Result<Cluster, EmbeddedError> {
        Cluster::start_with(root, &[])
    }

    /// Initialises the cluster on first start, then starts it, or adopts a
    /// postmaster already running on it (sanshen was killed, it was not).
    /// `settings` are extra `-c name=value` server settings.
    pub fn start_with(root: &Path, settings: &[(&str, &str)]) -> Result<Cluster, EmbeddedError> {
        let bin = find_binaries()?;
        let run_as = if geteuid().is_root() {
            Some(postgres_user()?)
        } else {
            None
        };
        std::fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
        let root = root
            .canonicalize()
            .map_err(io(format!("resolving {}", root.display())))?;
        let cluster = Cluster {
            pgdata: root.join("pg"),
            socket_dir: root.join("run"),
            root,
            bin,
            run_as,
        };
        cluster.prepare_directories()?;
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        if cluster.is_running()? {
            tracing::info!(pgdata = %cluster.pgdata.display(), "adopting the PostgreSQL cluster already running");
        } else {
            cluster.start_server(settings)?;
        }
        Ok(cluster)
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// A URL for tokio-postgres: user `postgres`, over the unix socket.
    pub fn url(&self, database: &str) -> String {
        let host: String =
            url::form_urlencoded::byte_serialize(self.socket_dir.as_os_str().as_encoded_bytes())
                .collect();
        format!("postgres://postgres@/{database}?host={host}")
    }

    /// Stops the cluster (fast shutdown: sessions are ended, data is safe).
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        if !self.is_running()? {
            return Ok(());
        }
        let out = self.pg(
            &self.bin.join("pg_ctl"),
            &[
                "stop",
                "-w",
                "-t",
                "60",
                "-m",
                "fast",
                "-D",
                &self.pgdata_str(),
            ],
        )?;
        check(out, "pg_ctl stop")
    }

    /// For test harnesses: once process `pid` has exited, a detached
    /// watchdog stops the cluster at once and (optionally) removes `root`.
    pub fn stop_when_process_exits(
        &self,
        pid: u32,
        remove_root: bool,
    ) -> Result<(), EmbeddedError> {
        let pidfile = self.pgdata.join("postmaster.pid");
        let remove = if remove_root {
            format!("rm -rf '{}'", self.root.display())
        } else {
            String::new()
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             if [ -f '{pidfile}' ]; then kill -QUIT \"$(head -n 1 '{pidfile}')\" 2>/dev/null; sleep 2; fi; {remove}",
            pidfile = pidfile.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(io("starting the cluster watchdog"))?;
        Ok(())
    }

    fn pgdata_str(&self) -> String {
        self.pgdata.display().to_string()
    }

    fn prepare_directories(&self) -> Result<(), EmbeddedError> {
        for path in [&self.root, &self.socket_dir] {
            if path.display().to_string().contains(['\'', '"']) {
                return Err(EmbeddedError::UnsafePath { path: path.clone() });
            }
        }
        let socket = self.socket_dir.join(".s.PGSQL.5432");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedError::SocketPathTooLong { path: socket });
        }
        std::fs::create_dir_all(&self.socket_dir).map_err(io("creating the socket directory"))?;
        std::fs::set_permissions(&self.socket_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io("securing the socket directory"))?;
        if let Some((uid, gid)) = self.run_as {
            // The postgres user must reach its directories; root keeps the
            // rest (the JWT secret stays root's, mode 0600).
            std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o711))
                .map_err(io("opening the data directory"))?;
            check_traversable(&self.root, uid, gid)?;
            nix::unistd::chown(&self.socket_dir, Some(uid), Some(gid))
                .map_err(|e| io("chown run/")(e.into()))?;
        } else {
            std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700))
                .map_err(io("securing the data directory"))?;
        }
        Ok(())
    }

    /// initdb into a scratch directory renamed into place only on success,
    /// so an interrupted first start never leaves a half-made cluster.
    fn initdb(&self) -> Result<(), EmbeddedError> {
        let scratch = self.root.join("pg.init");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).map_err(io("removing an unfinished initdb"))?;
        }
        std::fs::create_dir(&scratch).map_err(io("creating the cluster directory"))?;
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(&scratch, Some(uid), Some(gid))
                .map_err(|e| io("chown pg/")(e.into()))?;
        }
        let scratch_str = scratch.display().to_string();
        let args = [
            "-D",
            &scratch_str,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ];
        check(self.pg(&self.bin.join("initdb"), &args)?, "initdb")?;
        if self.pgdata.exists() {
            std::fs::remove_dir_all(&self.pgdata)
                .map_err(io("removing an unusable cluster directory"))?;
        }
        std::fs::rename(&scratch, &self.pgdata).map_err(io("moving the new cluster into place"))
    }

    /// Running means: postmaster.pid names a live postgres process and the
    /// server answers on our socket. A pid file naming a dead or a foreign
    /// process is stale and removed; a live postmaster still recovering is
    /// waited for, never started twice.
    fn is_running(&self) -> Result<bool, EmbeddedError> {
        let pidfile = self.pgdata.join("postmaster.pid");
        let Ok(text) = std::fs::read_to_string(&pidfile) else {
            return Ok(false);
        };
        let pid = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<u32>().ok());
        let is_postgres = pid.is_some_and(live_postgres);
        if !is_postgres {
            self.clear_stale_locks()?;
            return Ok(false);
        }
        let socket = self.socket_dir.display().to_string();
        let out = self.pg(
            &self.bin.join("pg_isready"),
            &["-q", "-t", "60", "-h", &socket],
        )?;
        if out.status.success() {
            Ok(true)
        } else {
            Err(EmbeddedError::Command {
                what: "waiting for the running PostgreSQL".into(),
                detail: format!(
                    "a postmaster (pid {}) holds {} but does not answer",
                    pid.unwrap_or(0),
                    self.pgdata.display()
                ),
            })
        }
    }

    /// After a postmaster died without cleaning up: wait for its children to
    /// notice and exit (they still hold the data directory), then remove the
    /// lock files that name it.
    fn clear_stale_locks(&self) -> Result<(), EmbeddedError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while self.orphans_remain() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        for lock in [
            self.pgdata.join("postmaster.pid"),
            self.socket_dir.join(".s.PGSQL.5432.lock"),
            self.socket_dir.join(".s.PGSQL.5432"),
        ] {
            match std::fs::remove_file(&lock) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io(format!("removing stale {}", lock.display()))(e));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Live postgres processes still working in our data directory.
    fn orphans_remain(&self) -> bool {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        entries.flatten().any(|e| {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                return false;
            };
            std::fs::read_link(e.path().join("cwd")).is_ok_and(|cwd| cwd == self.pgdata)
                && live_postgres(pid)
        })
    }

    fn start_server(&self, settings: &[(&str, &str)]) -> Result<(), EmbeddedError> {
        let log = self.pgdata.join("server.log");
        let mut options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700",
            self.socket_dir.display()
        );
        for (name, value) in settings {
            options.push_str(&format!(" -c {name}='{value}'"));
        }
        let log_str = log.display().to_string();
        let args = [
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            &self.pgdata_str(),
            "-l",
            &log_str,
            "-o",
            &options,
        ];
        let out = self.pg(&self.bin.join("pg_ctl"), &args)?;
        if out.status.success() {
            return Ok(());
        }
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(5).collect();
        Err(EmbeddedError::Command {
            what: "pg_ctl start".into(),
            detail: format!(
                "{}\n{}",
                output_text(&out),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
        })
    }

    /// Runs a PostgreSQL binary, as the postgres user when we are root.
    fn pg(&self, program: &Path, args: &[&str]) -> Result<Output, EmbeddedError> {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .env("LC_ALL", "C.UTF-8");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        cmd.output()
            .map_err(io(format!("running {}", program.display())))
    }
}
