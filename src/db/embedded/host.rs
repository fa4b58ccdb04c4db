//! What the host offers the embedded cluster: the PostgreSQL binaries, the
//! postgres user, directory permissions, and its processes.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use nix::unistd::{Gid, Uid, User};

use super::EmbeddedError;

/// A live (not zombie) process named postgres. A killed postmaster whose
/// parent never reaps it lingers as a zombie with its name intact.
pub(super) fn live_postgres(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) state ...": comm may hold spaces, so split at the last ')'.
    let Some((head, tail)) = stat.rsplit_once(')') else {
        return false;
    };
    let name = head.split_once('(').map(|(_, n)| n).unwrap_or_default();
    let state = tail.split_whitespace().next().unwrap_or("Z");
    matches!(name, "postgres" | "postmaster") && !matches!(state, "Z" | "X")
}

pub(super) fn output_text(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().rev().take(8).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}

pub(super) fn check(out: Output, what: &str) -> Result<(), EmbeddedError> {
    if out.status.success() {
        Ok(())
    } else {
        Err(EmbeddedError::Command {
            what: what.into(),
            detail: output_text(&out),
        })
    }
}

pub(super) fn postgres_user() -> Result<(Uid, Gid), EmbeddedError> {
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok((user.uid, user.gid)),
        _ => Err(EmbeddedError::NoPostgresUser),
    }
}

/// Every ancestor must let the postgres user pass (x for others, or owned by it).
pub(super) fn check_traversable(root: &Path, uid: Uid, gid: Gid) -> Result<(), EmbeddedError> {
    for dir in root.ancestors().skip(1) {
        let meta = std::fs::metadata(dir).map_err(|source| EmbeddedError::Io {
            context: format!("reading {}", dir.display()),
            source,
        })?;
        let mode = meta.mode();
        let passes = mode & 0o001 != 0
            || (meta.uid() == uid.as_raw() && mode & 0o100 != 0)
            || (meta.gid() == gid.as_raw() && mode & 0o010 != 0);
        if !passes {
            return Err(EmbeddedError::NotTraversable {
                path: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// `SANSHEN_PG_BIN_DIR`, then PATH, then the newest /usr/lib/postgresql/*/bin.
pub(super) fn find_binaries() -> Result<PathBuf, EmbeddedError> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "pg_isready"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    if let Some(dir) = std::env::var_os("SANSHEN_PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        return if complete(&dir) {
            Ok(dir)
        } else {
            Err(EmbeddedError::NotInstalled)
        };
    }
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| complete(d))
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| complete(dir))
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, dir)| dir)
        .ok_or(EmbeddedError::NotInstalled)
}
