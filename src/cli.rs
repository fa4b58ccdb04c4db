//! `sanshen audit verify`: the chain in the database, or an export offline.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::audit::verify::verify_chain;
use crate::config::Settings;
use crate::domain::audit_chain::{Verification, verify_ndjson};
use crate::startup;

/// Prints one line; exit status 0 when the chain is intact, 1 when it is not.
pub async fn verify(file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let verification = match &file {
        Some(path) => verify_file(path)?,
        None => verify_database().await?,
    };
    println!("{}", summary(&verification));
    Ok(if verification.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Needs no database and no configuration: only the file.
fn verify_file(path: &Path) -> anyhow::Result<Verification> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    verify_ndjson(BufReader::new(file)).with_context(|| format!("cannot verify {}", path.display()))
}

async fn verify_database() -> anyhow::Result<Verification> {
    let settings = settings()?;
    let database = startup::open_database(&settings).await?;
    let verified = async {
        let mut conn = AsyncPgConnection::establish(&database.url).await?;
        anyhow::Ok(verify_chain(&mut conn).await?)
    }
    .await;
    if let Some(cluster) = &database.cluster
        && let Err(e) = cluster.stop()
    {
        eprintln!("sanshen: could not stop the embedded cluster: {e}");
    }
    verified
}

/// The server's settings, except that verifying signs no tokens: the JWT
/// secret the server insists on with DATABASE_URL is not asked for here.
fn settings() -> anyhow::Result<Settings> {
    const UNUSED_SECRET: &str = "audit-verify-signs-no-tokens-0123456789";
    Ok(Settings::from_lookup(|name| {
        let value = std::env::var(name).ok().filter(|v| !v.is_empty());
        match name {
            "SANSHEN_JWT_SECRET" => value.or_else(|| Some(UNUSED_SECRET.into())),
            _ => value,
        }
    })?)
}

fn summary(v: &Verification) -> String {
    let head = match (&v.head_seq, &v.head_hash) {
        (Some(seq), Some(hash)) => format!("head seq {seq} hash {hash}"),
        _ => "empty chain".to_string(),
    };
    let missing = if v.missing_total == 0 {
        String::new()
    } else {
        let named: Vec<String> = v
            .missing_events
            .iter()
            .map(|m| format!("{} {}", m.kind, m.id))
            .collect();
        format!(
            "; {} changes have no event: {}",
            v.missing_total,
            named.join(", ")
        )
    };
    match v.first_invalid_seq {
        _ if v.valid => format!("audit chain valid: {} events checked, {head}", v.checked),
        None if v.missing_total > 0 => format!(
            "audit trail INCOMPLETE ({} events checked, {head}){missing}",
            v.checked
        ),
        Some(seq) => format!(
            "audit chain INVALID: first invalid seq {seq} ({} events checked){missing}",
            v.checked
        ),
        None => format!("audit chain INVALID ({} events checked)", v.checked),
    }
}
