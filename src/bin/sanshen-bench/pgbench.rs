//! Runs the checked-in pgbench scripts against the same cluster.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgBench {
    pub bin: PathBuf,
    pub socket: PathBuf,
    pub database: String,
}

/// Transactions per second as pgbench reports them.
pub struct Figures {
    pub tps: f64,
}

impl PgBench {
    pub fn run(&self, script: &Path, clients: usize, seconds: u64) -> anyhow::Result<Figures> {
        let out = Command::new(&self.bin)
            .args(["-n", "-h"])
            .arg(&self.socket)
            .args(["-U", "postgres", "-f"])
            .arg(script)
            .args([
                "-c",
                &clients.to_string(),
                "-j",
                &clients.min(2).to_string(),
                "-T",
                &seconds.to_string(),
            ])
            .arg(&self.database)
            .output()?;
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
        })
    }
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
