//! `sanshen audit verify`: the chain in the database, or an export offline.

use std::process::ExitCode;

pub async fn verify(file: Option<std::path::PathBuf>) -> anyhow::Result<ExitCode> {
    let _ = file;
    anyhow::bail!("not yet")
}
