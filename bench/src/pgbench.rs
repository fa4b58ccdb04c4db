//! Runs the checked-in pgbench scripts against the same cluster.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PgBench {
    pub bin: PathBuf,
    pub socket: PathBuf,
    pub database: String,
}

/// What pgbench reports: transactions per second and their mean latency.
pub struct Figures {
    pub tps: f64,
    pub latency_ms: f64,
}

/// How pgbench sends its statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// pgbench's default: each statement as text, parsed and planned anew.
    Simple,
    /// Prepared once per connection, as sanshen's queries are (diesel
    /// caches them): the database's own limit, not its parser's.
    Prepared,
}

impl Protocol {
    fn arg(self) -> &'static str {
        match self {
            Protocol::Simple => "simple",
            Protocol::Prepared => "prepared",
        }
    }
}

impl PgBench {
    fn command(&self, script: &Path, clients: usize, seconds: u64, protocol: Protocol) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(["-n", "-M", protocol.arg(), "-h"])
            .arg(&self.socket)
            .args(["-U", "postgres", "-f"])
            .arg(script)
            .args([
                "-c",
                &clients.to_string(),
                "-j",
                &clients.min(2).to_string(),
                "-T",
                &seconds.max(1).to_string(),
            ])
            .arg(&self.database);
        command
    }

    /// `script` by `clients` clients for `seconds` (whole, at least one).
    pub fn run(
        &self,
        script: &Path,
        clients: usize,
        seconds: u64,
        protocol: Protocol,
    ) -> anyhow::Result<Figures> {
        figures(self.command(script, clients, seconds, protocol).output()?)
    }

    /// As `run`, with one more client running `beside` meanwhile (the
    /// single writer of the batched chain); the figures are `script`'s.
    pub fn run_beside(
        &self,
        script: &Path,
        clients: usize,
        seconds: u64,
        beside: &Path,
        protocol: Protocol,
    ) -> anyhow::Result<Figures> {
        let writer = self
            .command(beside, 1, seconds, protocol)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let main = self.command(script, clients, seconds, protocol).output();
        figures(writer.wait_with_output()?)?;
        figures(main?)
    }
}

fn figures(out: Output) -> anyhow::Result<Figures> {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let number_after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    Ok(Figures {
        tps: number_after("tps = ")
            .ok_or_else(|| anyhow::anyhow!("no tps in pgbench output: {text}"))?,
        latency_ms: number_after("latency average = ").unwrap_or(f64::NAN),
    })
}

/// pgbench and psql: on PATH, or beside the newest /usr/lib/postgresql/*/bin.
pub fn find(name: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| d.join(name).is_file())
    {
        return Ok(dir.join(name));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")?
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    dirs.sort();
    dirs.into_iter()
        .rev()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow::anyhow!("{name} not found"))
}
