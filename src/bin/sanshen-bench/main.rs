//! `sanshen-bench`: sanshen under load, side by side with pgbench doing the
//! same work as raw SQL on the same cluster, in the same run (issue 6).
//!
//! `cargo build --release && cargo run --release --bin sanshen-bench [-- --quick]`

mod api;
mod load;
mod pgbench;
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use api::{Api, PASSWORD};
use futures_util::StreamExt;
use load::Stats;

const LEVELS: [usize; 4] = [1, 4, 16, 64];

struct Sizes {
    drafts_per_worker: usize,
    seconds: u64,
    events: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes = if quick {
        Sizes {
            drafts_per_worker: 1,
            seconds: 1,
            events: 20_000,
        }
    } else {
        Sizes {
            drafts_per_worker: 4,
            seconds: 6,
            events: 1_000_000,
        }
    };
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/pgbench");
    eprintln!("starting the cluster and a release sanshen …");
    let env = server::Environment::start(&scripts).await?;
    let result = run(&env, &sizes, &scripts).await;
    env.stop();
    result
}

async fn run(
    env: &server::Environment,
    sizes: &Sizes,
    scripts: &std::path::Path,
) -> anyhow::Result<()> {
    let api = Api::new(env.base.clone());
    let admin = api.login("admin", server::ADMIN_PASSWORD).await?;
    let editor = api.user(&admin, "bench.editor", &["editor"]).await?;
    let mut signers = Vec::new();
    for stage in api::STAGES {
        signers.push(
            api.user(&admin, &format!("bench.{stage}"), &[stage])
                .await?,
        );
    }
    let auditor = api.user(&admin, "bench.auditor", &["auditor"]).await?;

    println!("\n| scenario | clients | sanshen /s | p50 ms | p99 ms | pgbench tps | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for &c in &LEVELS {
        let drafts = seed_drafts(&api, &editor, (c * sizes.drafts_per_worker).max(4)).await?;
        let (api2, signers2) = (api.clone(), signers.clone());
        let stats = load::over_items(
            &format!("approve ×{c}"),
            c,
            drafts,
            move |(id, hash): (String, String)| {
                let (api, signers) = (api2.clone(), signers2.clone());
                async move { api.sign_all(&signers, &id, &hash).await }
            },
        )
        .await;
        let chain = env
            .pgbench
            .run(&scripts.join("signoff_chain.sql"), c, sizes.seconds)?;
        let plain = env
            .pgbench
            .run(&scripts.join("signoff_nochain.sql"), c, sizes.seconds)?;
        row("approve", c, &stats, chain.tps);
        println!(
            "| pgbench sign-off without the chain | {c} | | | | {:.0} | chain costs {:.0}% |",
            plain.tps,
            100.0 * (1.0 - chain.tps / plain.tps)
        );
    }
    let (read_id, _) = api.submitted_draft(&editor).await?;
    for &c in &LEVELS {
        let stats = reads(&api, &auditor, &read_id, c, sizes.seconds, None).await;
        let pg = env
            .pgbench
            .run(&scripts.join("read.sql"), c, sizes.seconds)?;
        row("read", c, &stats, pg.tps);
    }
    login_isolation(&api, &auditor, &read_id, sizes.seconds).await;
    export_and_verify(env, &api, &auditor, sizes.events).await?;
    Ok(())
}

fn row(name: &str, c: usize, s: &Stats, pg_tps: f64) {
    println!(
        "| {name} | {c} | {:.0} | {:.1} | {:.1} | {:.0} | {:.2} |{}",
        s.per_second(),
        s.p50_ms,
        s.p99_ms,
        pg_tps,
        s.per_second() / pg_tps,
        if s.errors > 0 {
            format!(" {} errors", s.errors)
        } else {
            String::new()
        }
    );
}

async fn seed_drafts(api: &Api, editor: &str, n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let results = futures_util::stream::iter(0..n)
        .map(|_| api.submitted_draft(editor))
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    results.into_iter().collect()
}

async fn reads(
    api: &Api,
    token: &str,
    id: &str,
    c: usize,
    seconds: u64,
    label: Option<&str>,
) -> Stats {
    let (api, token, path) = (api.clone(), token.to_string(), format!("/drafts/{id}"));
    let label = label.map_or_else(|| format!("read ×{c}"), String::from);
    load::for_duration(&label, c, Duration::from_secs(seconds), move || {
        let (api, token, path) = (api.clone(), token.clone(), path.clone());
        async move { api.get_ok(&token, &path).await }
    })
    .await
}

/// p99 of reads alone, then with eight clients logging in as fast as they can.
async fn login_isolation(api: &Api, token: &str, id: &str, seconds: u64) {
    let alone = reads(api, token, id, 4, seconds, Some("reads alone")).await;
    let storm_api = api.clone();
    let storm = tokio::spawn(async move {
        load::for_duration("login storm", 8, Duration::from_secs(seconds), move || {
            let api = storm_api.clone();
            async move { api.login("bench.editor", PASSWORD).await.is_ok() }
        })
        .await
    });
    let during = reads(api, token, id, 4, seconds, Some("reads in a login storm")).await;
    let logins = storm.await.map(|s| s.per_second()).unwrap_or(0.0);
    println!(
        "| login isolation: read p99 alone → in a storm of {logins:.0} logins/s | 4 | {:.1} ms → {:.1} ms | | | | {:.2} |",
        alone.p99_ms,
        during.p99_ms,
        during.p99_ms / alone.p99_ms
    );
}

async fn export_and_verify(
    env: &server::Environment,
    api: &Api,
    auditor: &str,
    events: u64,
) -> anyhow::Result<()> {
    eprintln!("  inserting {events} audit events …");
    env.insert_events(events)?;
    let rss_before = env.rss_kib("VmRSS");
    let sampler = env.rss_sampler();
    let t = Instant::now();
    let res = api
        .client
        .get(format!("{}/api/v1/audit/export?format=ndjson", api.base))
        .bearer_auth(auditor)
        .send()
        .await?;
    let mut lines = 0u64;
    let mut bytes = 0u64;
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let export_time = t.elapsed();
    let peak = sampler.stop();
    println!(
        "| export NDJSON | 1 | {:.0} events/s | {lines} events, {:.0} MiB in {:.1} s | RSS {:.1} → peak {:.1} MiB | | |",
        lines as f64 / export_time.as_secs_f64(),
        bytes as f64 / 1048576.0,
        export_time.as_secs_f64(),
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    let t = Instant::now();
    let v = api
        .client
        .get(format!("{}/api/v1/audit/verify", api.base))
        .bearer_auth(auditor)
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    let checked = v["checked"].as_f64().unwrap_or(0.0);
    println!(
        "| verify | 1 | {:.0} events/s | {checked} events in {:.1} s (valid: {}) | | | |",
        checked / t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64(),
        v["valid"]
    );
    Ok(())
}
