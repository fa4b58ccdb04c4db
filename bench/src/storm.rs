//! The login storm (issue 19 item 1): `n` users log in at the same instant,
//! each once, while four clients read a draft. Measured: the time until the
//! last login is answered (200, or 503 from a full argon2 queue), how many
//! were served and how many turned away, and the p99 of the reads during
//! the storm against the same reads alone just before it.
//!
//! The queue's capacity is the server's `SANSHEN_LOGIN_QUEUE` (the bench's
//! `--login-queue`); run the scenario once per capacity to see the trade-off.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use futures_util::StreamExt;

use crate::api::{self, PASSWORD};
use crate::load::{self, Until};
use crate::report::{Target, number};
use crate::scenarios::{Bench, READERS};
use crate::server;

/// What the storm's logins were answered.
#[derive(Debug, Default)]
struct Answers {
    served: usize,
    turned_away: usize,
    other: usize,
    last_answer_s: f64,
    retry_after_max: u64,
}

impl Bench<'_> {
    pub async fn storm(&mut self, n: usize, queue: &str) -> anyhow::Result<()> {
        let admin = self.api.login("admin", server::ADMIN_PASSWORD).await?;
        let bar = load::bar(&format!("creating {n} users for the storm"));
        let names: Vec<String> = (0..n).map(|i| format!("bench.morning{i}")).collect();
        // Two at a time: each creation hashes a password and logs in, and
        // must not itself meet a full queue.
        let made = futures_util::stream::iter(names.clone())
            .map(|name| {
                let (api, admin, bar) = (self.api.clone(), admin.clone(), bar.clone());
                async move {
                    let made = api.user(&admin, &name, &[]).await;
                    bar.inc(1);
                    made
                }
            })
            .buffer_unordered(2)
            .collect::<Vec<_>>()
            .await;
        bar.finish_and_clear();
        for m in made {
            m?;
        }
        self.env.psql("sanshen", &["-c", "CHECKPOINT"])?;
        let alone = self
            .reads(
                "reads before the storm",
                READERS,
                Until::Elapsed(self.sizes.duration()),
            )
            .await;
        let stop = Arc::new(AtomicBool::new(false));
        let readers = {
            let bench_reads = self.reads(
                "reads during the storm",
                READERS,
                Until::Stopped(stop.clone()),
            );
            // The readers run while every login is sent at once.
            let started = Instant::now();
            let logins = futures_util::future::join_all(names.iter().map(|name| {
                let api = self.api.clone();
                async move {
                    let answer = api.login_status(name, PASSWORD).await;
                    (answer, started.elapsed())
                }
            }));
            let stop = stop.clone();
            let logins = async move {
                let answers = logins.await;
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                answers
            };
            futures_util::future::join(bench_reads, logins).await
        };
        let (during, answers) = readers;
        let mut a = Answers::default();
        for (answer, at) in answers {
            a.last_answer_s = a.last_answer_s.max(at.as_secs_f64());
            match answer {
                Ok((200, _)) => a.served += 1,
                Ok((503, retry)) => {
                    a.turned_away += 1;
                    a.retry_after_max = a.retry_after_max.max(retry.unwrap_or(0));
                }
                Ok((status, _)) => {
                    api::failed("storm login", &status);
                    a.other += 1;
                }
                Err(e) => {
                    api::failed("storm login", &e);
                    a.other += 1;
                }
            }
        }
        self.errors += alone.errors + during.errors + a.other as u64;
        let label = format!(
            "login storm: {n} at once, queue {queue}: {} served, {} told 503 (Retry-After ≤ {} s), {} other",
            a.served, a.turned_away, a.retry_after_max, a.other
        );
        self.report.result(
            [
                format!("{label}; last answer (s)"),
                n.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
            a.last_answer_s,
            format!("{:.2}", a.last_answer_s),
            Target::AtMost(5.0),
        );
        let ratio = during.p99_ms / alone.p99_ms;
        self.report.result(
            [
                format!("{label}; reads alone → during the storm"),
                READERS.to_string(),
                format!(
                    "{} → {} req/s",
                    number(alone.per_second()),
                    number(during.per_second())
                ),
                format!("{:.1} → {:.1}", alone.p50_ms, during.p50_ms),
                format!("{:.1} → {:.1}", alone.p99_ms, during.p99_ms),
                String::new(),
            ],
            ratio,
            format!("{ratio:.2}"),
            Target::AtMost(2.0),
        );
        Ok(())
    }
}
