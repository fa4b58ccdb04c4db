//! `sanshen-bench`: sanshen under load, side by side with pgbench doing the
//! same work as raw SQL on the same cluster, in the same run (issue 6).
//!
//! `cargo build --release && cargo run --release -p sanshen-bench [-- --quick]`
//!
//! It builds nothing: it starts the `sanshen` binary that sits next to it
//! (target/release/sanshen for a release run) on a private cluster in a
//! temporary directory, and removes both when done.

mod api;
mod chain;
mod check;
mod lexicon;
mod load;
mod pgbench;
mod plot;
mod report;
mod scale;
mod scale_sql;
mod scenarios;
mod sensitive;
mod server;
mod storm;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Approve,
    Read,
    Login,
    Export,
    Verify,
    /// 100 logins at once (issue 19 item 1); not in the default set.
    Storm,
    /// A year of data loaded by SQL (issue 19 item 3); not in the default set.
    Scale,
    /// Sensitive drafts: eight sign-offs on the seeded sensitive route
    /// (issue 15); with approve in the same run, the quotient of their
    /// ratios. Not in the default set.
    Sensitive,
    /// The machine check in the server (issue 16 item 5): a 100,000-term
    /// lexicon uploaded as CSV, 100 checks of 200,000 characters, the
    /// server's RSS. Not in the default set.
    Lexicon,
}

/// Benchmarks a release sanshen against pgbench on the same cluster.
#[derive(Debug, Parser)]
#[command(name = "sanshen-bench")]
struct Options {
    /// Tiny sizes: every scenario in well under a minute (a smoke run; the
    /// figures mean little).
    #[arg(long)]
    quick: bool,
    /// Seconds per timed measurement [default: 6, or 1 with --quick].
    #[arg(long)]
    seconds: Option<f64>,
    /// Audit events added for export and verify [default: 1000000, or 20000 with --quick].
    #[arg(long)]
    events: Option<u64>,
    /// Concurrent clients, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    clients: Vec<usize>,
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "approve,read,login,export,verify"
    )]
    only: Vec<Scenario>,
    /// Clients of the login storm (0 measures the reads twice alone: the
    /// run-to-run noise of their p99).
    #[arg(long, default_value_t = 8)]
    storm: usize,
    /// Only the machine check's matcher, in process (issue 16): a
    /// 100,000-term lexicon and 100 checks of a 200,000-character body.
    #[arg(long)]
    check_matcher: bool,
    /// Logins sent at once by the storm scenario.
    #[arg(long, default_value_t = 100)]
    storm_logins: usize,
    /// The server's login queue (`SANSHEN_LOGIN_QUEUE`) [default: the server's own].
    #[arg(long)]
    login_queue: Option<usize>,
    /// Drafts of the scale scenario's year [default: 200000, or 500 with --quick].
    #[arg(long)]
    scale_drafts: Option<u64>,
    /// Also draw approve's sign-offs/s against clients, sanshen beside both
    /// pgbench twins, to this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Also write the report (markdown) to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

/// How much work each scenario does.
pub struct Sizes {
    pub seconds: f64,
    pub events: u64,
    pub drafts_per_client: usize,
    /// Drafts seeded for the approve scenario at the least (six sign-offs each).
    pub min_drafts: usize,
}

impl Sizes {
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    if options.check_matcher {
        let report = check::run(100_000, 200_000, 100);
        println!("{report}");
        if let Some(path) = &options.markdown {
            std::fs::write(path, &report)?;
        }
        return Ok(());
    }
    let sizes = if options.quick {
        Sizes {
            seconds: options.seconds.unwrap_or(1.0),
            events: options.events.unwrap_or(20_000),
            drafts_per_client: 1,
            min_drafts: 8,
        }
    } else {
        let seconds = options.seconds.unwrap_or(6.0);
        Sizes {
            seconds,
            events: options.events.unwrap_or(1_000_000),
            drafts_per_client: 4,
            // About half the measuring time at ~600 sign-offs/s.
            min_drafts: (seconds * 50.0) as usize,
        }
    };
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pgbench");
    let started = Instant::now();
    load::note("starting the cluster and sanshen …");
    let env = server::Environment::start(&scripts, options.login_queue).await?;
    load::note(&format!(
        "sanshen is pid {} at {}",
        env.server_pid(),
        env.base
    ));
    let mut bench = scenarios::Bench::setup(&env, &sizes, scripts).await?;
    run(&options, &mut bench).await?;
    let mut out = format!("\n{}\n", machine(&env));
    out.push_str(&bench.report.render());
    println!("{out}");
    if let Some(path) = &options.markdown {
        std::fs::write(path, &out)?;
    }
    if let Some(path) = &options.plot {
        let rates = &bench.report.approve_rates;
        let curve = |name, colour, pick: fn(&(usize, f64, f64, f64)) -> f64| plot::Curve {
            name,
            colour,
            points: rates.iter().map(|r| (r.0, pick(r))).collect(),
        };
        let drawn = plot::svg(
            "approve: sign-offs/s against clients",
            &[
                curve("sanshen (HTTP)", "#c0392b", |r| r.1),
                curve("pgbench twin", "#2471a3", |r| r.2),
                curve("twin, -M prepared", "#7d3c98", |r| r.3),
            ],
        );
        match drawn {
            Some(svg) => std::fs::write(path, svg)?,
            None => load::note("--plot: approve did not run, nothing drawn"),
        }
    }
    load::note(&format!("done in {:.0} s", started.elapsed().as_secs_f64()));
    anyhow::ensure!(
        bench.errors == 0,
        "{} requests failed: the figures above are not a result",
        bench.errors
    );
    Ok(())
}

async fn run(options: &Options, bench: &mut scenarios::Bench<'_>) -> anyhow::Result<()> {
    let wants = |s: Scenario| options.only.contains(&s);
    // Approve and sensitive alternate by clients, so that their ratios
    // share the machine's drift.
    for &c in &options.clients {
        if wants(Scenario::Approve) {
            bench.approve(c).await?;
        }
        if wants(Scenario::Sensitive) {
            bench.sensitive(c).await?;
        }
    }
    if wants(Scenario::Read) {
        for &c in &options.clients {
            bench.read(c).await?;
        }
    }
    if wants(Scenario::Login) {
        bench.login_isolation(options.storm).await?;
    }
    if wants(Scenario::Storm) {
        let queue = options
            .login_queue
            .map_or_else(|| "default".to_string(), |q| q.to_string());
        bench.storm(options.storm_logins, &queue).await?;
    }
    if wants(Scenario::Scale) {
        let drafts = options
            .scale_drafts
            .unwrap_or(if options.quick { 500 } else { 200_000 });
        bench.scale(drafts).await?;
    }
    if wants(Scenario::Export) || wants(Scenario::Verify) {
        bench.grow_trail().await?;
    }
    if wants(Scenario::Export) {
        bench.export().await?;
    }
    if wants(Scenario::Verify) {
        bench.verify().await?;
    }
    // Last: its lexicon applies to every channel, so drafts submitted
    // after it would be checked against 100,000 terms.
    if wants(Scenario::Lexicon) {
        let sizes = if options.quick {
            lexicon::LexiconSizes {
                terms: 10_000,
                body_chars: 20_000,
                checks: 10,
            }
        } else {
            lexicon::LexiconSizes {
                terms: 100_000,
                body_chars: 200_000,
                checks: 100,
            }
        };
        bench.lexicon(&sizes).await?;
    }
    Ok(())
}

/// One line on where the figures come from.
fn machine(env: &server::Environment) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
        })
        .map_or(0.0, |kib| kib / 1_048_576.0);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let postgres = env
        .psql("postgres", &["-c", "SHOW server_version"])
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    format!(
        "Machine: {cores} cores ({cpu}), {memory_gib:.0} GiB; PostgreSQL {postgres}; sanshen pool 64."
    )
}
