//! The `sanshen` command: serve (the default), migrate, audit verify.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sanshen::config::Settings;
use sanshen::startup;

#[derive(Parser)]
#[command(
    name = "sanshen",
    version,
    about = "Enforces 三审三校 before anything is published"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain in the database, or in an NDJSON export with --file.
    Verify {
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

/// glibc's malloc raises its mmap threshold each time a large block is
/// freed, after which large blocks (a 600 KiB check request, its folded
/// copy, a lexicon upload) come from the heap and are kept by it: with a
/// 100,000-term lexicon, 100 checks left the server at 192 MiB resident
/// instead of 150 (issue 16). A fixed threshold keeps large blocks mapped
/// on their own and returned when freed, and a fixed trim threshold hands
/// the heap's free top back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters (under glibc's own
    // lock), first thing in main, with values glibc documents.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

#[tokio::main]
async fn main() -> ExitCode {
    return_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::Audit {
            command: AuditCommand::Verify { file },
        } => sanshen::cli::verify(file).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sanshen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How long shutdown waits for the chainer's last round.
const CHAINER_STOP: std::time::Duration = std::time::Duration::from_secs(15);

async fn serve() -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    let database = startup::open_database(&settings).await?;
    let served = async {
        let state = startup::build_state(&settings, &database.url).await?;
        if let Some(password) = startup::bootstrap_admin(&state, settings.admin_password.as_deref()).await? {
            // Printed once, to the terminal only: never logged.
            println!("sanshen: created user \"admin\" with password {password}  (shown once; change it with POST /api/v1/me/password)");
        }
        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("SANSHEN_BIND: cannot listen on {}: {e}", settings.bind))?;
        tracing::info!(address = %settings.bind, "sanshen listening");
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let chainer = state.chainer.clone();
        let webhooks = state.webhooks.clone();
        let deadlines = state.deadlines.clone();
        let stopped = sanshen::http::server::build_server(state, listener, workers)?.await;
        // The server has stopped (SIGTERM, Ctrl-C): no request can queue an
        // event any more. Link the queued ones while the database is still
        // there, before the embedded cluster below stops. Bounded, so a
        // database that hangs cannot keep the process from exiting; what is
        // not linked waits in the database for the next start.
        if tokio::time::timeout(CHAINER_STOP, chainer.stop()).await.is_err() {
            tracing::warn!("the audit chainer did not stop in time; queued events wait in the database");
        }
        // In-flight webhook deliveries end within their request timeout;
        // what is cut off is retried by the next sender (at-least-once).
        if tokio::time::timeout(CHAINER_STOP, webhooks.stop()).await.is_err() {
            tracing::warn!("the webhook sender did not stop in time; its deliveries are retried later");
        }
        if tokio::time::timeout(CHAINER_STOP, deadlines.stop()).await.is_err() {
            tracing::warn!("the deadline runner did not stop in time; another run finishes its work");
        }
        stopped?;
        anyhow::Ok(())
    }
    .await;
    if let Some(cluster) = &database.cluster {
        tracing::info!("stopping the embedded PostgreSQL cluster");
        if let Err(e) = cluster.stop() {
            eprintln!("sanshen: could not stop the embedded cluster: {e}");
        }
    }
    served.map(|()| ExitCode::SUCCESS)
}

async fn migrate() -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    let database = startup::open_database(&settings).await?;
    println!("sanshen: migrations are up to date");
    if let Some(cluster) = &database.cluster {
        cluster.stop()?;
    }
    Ok(ExitCode::SUCCESS)
}
