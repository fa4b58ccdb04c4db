//! The scenarios of issue 6, each measured against its pgbench twin where
//! it has one, each adding its rows to the report.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::api::{self, Api, PASSWORD};
use crate::load::{self, Stats, Until};
use crate::pgbench::{Figures, Protocol};
use crate::report::{Report, Target, number};
use crate::server::{self, Environment};
use crate::{Sizes, chain};

/// Readers of the isolation scenario.
pub(crate) const READERS: usize = 4;
/// Alternating rounds of the login isolation scenario; the median counts.
const ISOLATION_ROUNDS: usize = 3;

pub struct Bench<'a> {
    pub(crate) env: &'a Environment,
    pub(crate) sizes: &'a Sizes,
    scripts: PathBuf,
    pub(crate) api: Api,
    pub(crate) editor: String,
    pub(crate) signers: Vec<String>,
    pub(crate) auditor: String,
    /// A draft in review with three sign-offs, as pgbench's read finds its drafts.
    pub(crate) read_id: String,
    pub report: Report,
    /// The sensitive route's signer of each sign-off (api::SENSITIVE_SIGNOFFS),
    /// made by the first sensitive run.
    pub(crate) sensitive_signers: Vec<String>,
    /// Plain approve's figures by clients: (clients, sign-offs/s, ratio to
    /// the simple twin, to the prepared twin), for the sensitive scenario.
    pub(crate) approve_ratios: Vec<(usize, f64, f64, f64)>,
    /// Requests that failed in any scenario: a run with errors is no result.
    pub errors: u64,
}

pub(crate) fn cells(name: &str, c: usize, s: &Stats, unit: &str, pg: String) -> [String; 6] {
    [
        name.to_string(),
        c.to_string(),
        format!("{} {unit}", number(s.per_second())),
        format!("{:.1}", s.p50_ms),
        format!("{:.1}", s.p99_ms),
        pg,
    ]
}

impl<'a> Bench<'a> {
    /// Users with their grants, through the API as an admin would.
    pub async fn setup(
        env: &'a Environment,
        sizes: &'a Sizes,
        scripts: PathBuf,
    ) -> anyhow::Result<Bench<'a>> {
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
        let (read_id, hash) = api.submitted_draft(&editor).await?;
        let (_, failed) = api.sign(&signers[..3], &read_id, &hash).await;
        anyhow::ensure!(failed == 0, "could not sign the read draft");
        Ok(Bench {
            env,
            sizes,
            scripts,
            api,
            editor,
            signers,
            auditor,
            read_id,
            report: Report::new(),
            sensitive_signers: Vec::new(),
            approve_ratios: Vec::new(),
            errors: 0,
        })
    }

    fn pgbench(&self, script: &str, c: usize, protocol: Protocol) -> anyhow::Result<Figures> {
        self.pgbench_beside(script, c, None, protocol)
    }

    pub(crate) fn pgbench_beside(
        &self,
        script: &str,
        c: usize,
        beside: Option<&str>,
        protocol: Protocol,
    ) -> anyhow::Result<Figures> {
        let bar = load::bar(&format!("pgbench {script} ×{c} ({protocol:?})"));
        let seconds = self.sizes.seconds.round().max(1.0) as u64;
        let path = |name: &str| self.scripts.join(format!("{name}.sql"));
        let figures = match beside {
            None => self.env.pgbench.run(&path(script), c, seconds, protocol)?,
            Some(other) => {
                self.env
                    .pgbench
                    .run_beside(&path(script), c, seconds, &path(other), protocol)?
            }
        };
        bar.finish_with_message(format!(
            "{:.0} tx/s, mean {:.1} ms",
            figures.tps, figures.latency_ms
        ));
        Ok(figures)
    }

    /// Events the batched design's writer had not chained when its run
    /// ended; then chains them, so that every run starts from none.
    pub(crate) fn drain_pending(&self) -> anyhow::Result<u64> {
        let left = self
            .env
            .psql("bench", &["-c", "SELECT count(*) FROM audit_pending"])?;
        self.env
            .psql("bench", &["-c", "SELECT bench_chain_batch(100000000)"])?;
        Ok(left.trim().parse()?)
    }

    /// Sign-offs/s: every client takes a submitted draft and signs its six
    /// stages, one signer per stage; then pgbench's sign-off with the
    /// chain appended in each transaction, without it, and with the batched
    /// chain sanshen uses.
    pub async fn approve(&mut self, c: usize) -> anyhow::Result<()> {
        // Enough drafts for about a second and a half of work per level
        // at the rates seen here, and at least a few per client.
        let drafts = (c * self.sizes.drafts_per_client).max(self.sizes.min_drafts);
        let seeded = self.seed_drafts(drafts, None).await?;
        let (api, signers) = (self.api.clone(), self.signers.clone());
        let stats = load::over_items(
            &format!("approve ×{c}"),
            c,
            seeded,
            move |(id, hash): (String, String)| {
                let (api, signers) = (api.clone(), signers.clone());
                async move { api.sign(&signers, &id, &hash).await }
            },
        )
        .await;
        self.errors += stats.errors;
        let with = self.pgbench("signoff_chain", c, Protocol::Simple)?;
        let without = self.pgbench("signoff_nochain", c, Protocol::Simple)?;
        let batched =
            self.pgbench_beside("signoff_staged", c, Some("chain_batch"), Protocol::Simple)?;
        let backlog = self.drain_pending()?;
        let prepared =
            self.pgbench_beside("signoff_staged", c, Some("chain_batch"), Protocol::Prepared)?;
        self.drain_pending()?;
        // sanshen queues its event and chains in batches (src/audit/chainer.rs):
        // its twin is the staged transaction with the batch writer beside it.
        self.approve_ratios.push((
            c,
            stats.per_second(),
            stats.per_second() / batched.tps,
            stats.per_second() / prepared.tps,
        ));
        for (name, twin) in [
            ("approve", &batched),
            ("approve (pgbench prepared)", &prepared),
        ] {
            let ratio = stats.per_second() / twin.tps;
            self.report.result(
                cells(
                    name,
                    c,
                    &stats,
                    "sign-offs/s",
                    format!("{} tx/s", number(twin.tps)),
                ),
                ratio,
                format!("{ratio:.2}"),
                Target::AtLeast(0.5),
            );
        }
        self.report
            .approve_rates
            .push((c, stats.per_second(), batched.tps, prepared.tps));
        self.report.chain.push(vec![
            c.to_string(),
            number(with.tps),
            number(without.tps),
            format!("{:.0} %", 100.0 * (1.0 - with.tps / without.tps)),
            number(batched.tps),
            format!("{:.0} %", 100.0 * (1.0 - batched.tps / without.tps)),
            number(backlog as f64),
            format!(
                "{:.1} / {:.1} / {:.1}",
                with.latency_ms, without.latency_ms, batched.latency_ms
            ),
        ]);
        Ok(())
    }

    /// `n` submitted drafts of `risk_level` (`None`: the server's default).
    pub(crate) async fn seed_drafts(
        &self,
        n: usize,
        risk_level: Option<&str>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let bar = load::bar(&format!("seeding {n} drafts"));
        let results = futures_util::stream::iter(0..n)
            .map(|_| async {
                let made = self.api.submitted_draft_at(&self.editor, risk_level).await;
                bar.inc(1);
                made
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>()
            .await;
        bar.finish_and_clear();
        results.into_iter().collect()
    }

    pub(crate) async fn reads(&self, label: &str, c: usize, until: Until) -> Stats {
        let (api, token) = (self.api.clone(), self.auditor.clone());
        let path: Arc<str> = format!("/drafts/{}", self.read_id).into();
        load::repeat(label, c, until, move || {
            let (api, token, path) = (api.clone(), token.clone(), path.clone());
            async move { api.get_ok(&token, &path).await }
        })
        .await
    }

    /// `GET /drafts/{id}` as an auditor (who sees every draft) against
    /// pgbench's point read of a draft, its revision and its sign-offs.
    pub async fn read(&mut self, c: usize) -> anyhow::Result<()> {
        let stats = self
            .reads(
                &format!("read ×{c}"),
                c,
                Until::Elapsed(self.sizes.duration()),
            )
            .await;
        self.errors += stats.errors;
        let simple = self.pgbench("read", c, Protocol::Simple)?;
        let prepared = self.pgbench("read", c, Protocol::Prepared)?;
        for (name, twin) in [("read", &simple), ("read (pgbench prepared)", &prepared)] {
            let ratio = stats.per_second() / twin.tps;
            self.report.result(
                cells(
                    name,
                    c,
                    &stats,
                    "req/s",
                    format!("{} tx/s", number(twin.tps)),
                ),
                ratio,
                format!("{ratio:.2}"),
                Target::AtLeast(0.5),
            );
        }
        Ok(())
    }

    /// p99 of reads by four clients alone, then while eight clients log in
    /// as fast as the server lets them (with the right password: five wrong
    /// ones would lock the account out), each client as a user of its own:
    /// the server admits at most five logins in flight per user and address
    /// and answers the rest 429, so eight on one user measured refusals.
    pub async fn login_isolation(&mut self, storm_clients: usize) -> anyhow::Result<()> {
        let admin = self.api.login("admin", server::ADMIN_PASSWORD).await?;
        let mut stormers = VecDeque::new();
        for i in 0..storm_clients {
            let name = format!("bench.storm{i}");
            self.api.user(&admin, &name, &[]).await?;
            stormers.push_back(name);
        }
        let stormers = Arc::new(Mutex::new(stormers));
        // Earlier scenarios leave dirty pages: a checkpoint landing in one
        // window and not the other would be measured as argon2's doing.
        self.env.psql("sanshen", &["-c", "CHECKPOINT"])?;
        let mut rounds = Vec::new();
        for round in 1..=ISOLATION_ROUNDS {
            rounds.push(
                self.isolation_round(round, storm_clients, &stormers)
                    .await?,
            );
        }
        let mut ratios: Vec<f64> = rounds
            .iter()
            .map(|(alone, during, _)| during.p99_ms / alone.p99_ms)
            .collect();
        let each = ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        let mean = |f: &dyn Fn(&(Stats, Stats, Stats)) -> f64| {
            rounds.iter().map(f).sum::<f64>() / rounds.len() as f64
        };
        self.report.result(
            [
                format!(
                    "login isolation: reads alone → in a storm of {:.0} logins/s ({storm_clients} clients); median of {} rounds ({each})",
                    mean(&|r| r.2.per_second()),
                    rounds.len()
                ),
                READERS.to_string(),
                format!(
                    "{} → {} req/s",
                    number(mean(&|r| r.0.per_second())),
                    number(mean(&|r| r.1.per_second()))
                ),
                format!(
                    "{:.1} → {:.1}",
                    mean(&|r| r.0.p50_ms),
                    mean(&|r| r.1.p50_ms)
                ),
                format!(
                    "{:.1} → {:.1}",
                    mean(&|r| r.0.p99_ms),
                    mean(&|r| r.1.p99_ms)
                ),
                String::new(),
            ],
            ratio,
            format!("{ratio:.2}"),
            Target::AtMost(2.0),
        );
        Ok(())
    }

    /// The reads alone, then the same reads in a login storm: alternating
    /// rounds, so that drift in the machine falls on both sides alike.
    async fn isolation_round(
        &mut self,
        round: usize,
        storm_clients: usize,
        stormers: &Arc<Mutex<VecDeque<String>>>,
    ) -> anyhow::Result<(Stats, Stats, Stats)> {
        let alone = self
            .reads(
                &format!("reads alone ({round})"),
                READERS,
                Until::Elapsed(self.sizes.duration()),
            )
            .await;
        let stop = Arc::new(AtomicBool::new(false));
        let (api, stormers) = (self.api.clone(), stormers.clone());
        let storm = tokio::spawn(load::repeat(
            "login storm",
            storm_clients,
            Until::Stopped(stop.clone()),
            move || {
                let (api, stormers) = (api.clone(), stormers.clone());
                async move {
                    // As many users as clients: each login holds one alone.
                    let Some(name) = take(&stormers).pop_front() else {
                        return false;
                    };
                    let login = api.login(&name, PASSWORD).await;
                    take(&stormers).push_back(name);
                    if let Err(e) = &login {
                        api::failed("login", e);
                    }
                    login.is_ok()
                }
            },
        ));
        // Let the storm fill argon2's queue before measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let during = self
            .reads(
                &format!("reads in a login storm ({round})"),
                READERS,
                Until::Elapsed(self.sizes.duration()),
            )
            .await;
        stop.store(true, Ordering::Relaxed);
        let storm = storm.await?;
        self.errors += alone.errors + during.errors + storm.errors;
        Ok((alone, during, storm))
    }

    /// Makes the trail `events` events longer, validly chained.
    pub async fn grow_trail(&self) -> anyhow::Result<()> {
        let n = self.sizes.events;
        let bar = load::bar(&format!("COPY {} audit events", number(n as f64)));
        let env = self.env;
        let t = Instant::now();
        // The COPY feeds psql from this thread; nothing else runs meanwhile.
        tokio::task::block_in_place(|| chain::append_events(env, n, &bar))?;
        bar.finish_with_message(format!("in {:.1} s", t.elapsed().as_secs_f64()));
        Ok(())
    }

    /// `/audit/export?format=ndjson` of the whole trail: events/s and the
    /// server's peak resident memory while it streams.
    pub async fn export(&mut self) -> anyhow::Result<()> {
        let before = self.env.memory_kib("VmRSS");
        let hwm_reset = self.env.reset_peak();
        let sampler = self.env.rss_sampler();
        let bar = load::bar("export NDJSON");
        let t = Instant::now();
        let res = self
            .api
            .client
            .get(format!(
                "{}/api/v1/audit/export?format=ndjson",
                self.api.base
            ))
            .bearer_auth(&self.auditor)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "export: {}", res.status());
        let (mut lines, mut bytes) = (0u64, 0u64);
        let mut stream = res.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            let n = chunk.iter().filter(|b| **b == b'\n').count() as u64;
            lines += n;
            bar.inc(n);
        }
        let elapsed = t.elapsed().as_secs_f64();
        let sampled = sampler.stop();
        let hwm = if hwm_reset {
            self.env.memory_kib("VmHWM")
        } else {
            0
        };
        let peak_mib = hwm.max(sampled) as f64 / 1024.0;
        let rate = lines as f64 / elapsed;
        bar.finish_with_message(format!("{} events/s", number(rate)));
        anyhow::ensure!(
            lines >= self.sizes.events,
            "the export ended after {lines} events"
        );
        let figures = format!(
            "{} events, {:.0} MiB in {elapsed:.1} s",
            number(lines as f64),
            bytes as f64 / 1_048_576.0
        );
        self.report.result(
            [
                "export NDJSON: events/s".into(),
                "1".into(),
                format!("{} events/s", number(rate)),
                String::new(),
                String::new(),
                figures.clone(),
            ],
            rate,
            number(rate),
            Target::AtLeast(100_000.0),
        );
        let how = if hwm_reset {
            "VmHWM, reset before"
        } else {
            "sampled VmRSS"
        };
        self.report.result(
            [
                "export NDJSON: server peak RSS (MiB)".into(),
                "1".into(),
                format!(
                    "{:.1} before → {peak_mib:.1} peak ({how})",
                    before as f64 / 1024.0
                ),
                String::new(),
                String::new(),
                figures,
            ],
            peak_mib,
            format!("{peak_mib:.1}"),
            Target::Below(100.0),
        );
        Ok(())
    }

    /// `/audit/verify`: the server reads and rehashes the whole chain.
    pub async fn verify(&mut self) -> anyhow::Result<()> {
        let bar = load::bar("verify");
        let t = Instant::now();
        let res = self
            .api
            .client
            .get(format!("{}/api/v1/audit/verify", self.api.base))
            .bearer_auth(&self.auditor)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "verify: {}", res.status());
        let v = res.json::<serde_json::Value>().await?;
        let elapsed = t.elapsed().as_secs_f64();
        let checked = v["checked"].as_f64().unwrap_or(0.0);
        let rate = checked / elapsed;
        bar.set_position(checked as u64);
        bar.finish_with_message(format!("{} events/s, valid: {}", number(rate), v["valid"]));
        if v["valid"] != serde_json::Value::Bool(true) {
            self.errors += 1;
        }
        self.report.result(
            [
                "verify: events/s".into(),
                "1".into(),
                format!("{} events/s", number(rate)),
                String::new(),
                String::new(),
                format!(
                    "{} events in {elapsed:.1} s, valid: {}",
                    number(checked),
                    v["valid"]
                ),
            ],
            rate,
            number(rate),
            Target::AtLeast(100_000.0),
        );
        Ok(())
    }
}

/// The storm's users; a panic elsewhere leaves the queue itself intact.
fn take(stormers: &Mutex<VecDeque<String>>) -> MutexGuard<'_, VecDeque<String>> {
    stormers.lock().unwrap_or_else(|e| e.into_inner())
}
