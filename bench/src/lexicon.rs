//! The machine check in the server (SPEC §6, issue 16 item 5): as admin, a
//! lexicon is created and its entries replaced with generated terms through
//! the CSV upload (`PUT /lexicons/{code}/entries`, `text/csv`), timed
//! (target < 3 s for 100,000 entries); then `POST /check` of a long body,
//! one request at a time (p50/p99 over HTTP, the first request apart: it
//! may build the matcher); and the server's resident memory after the
//! lexicon is loaded and after the checks (target < 150 MiB). The terms and
//! the body come from the in-process matcher bench's generator (check.rs),
//! so that the two compare.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::check;
use crate::load;
use crate::report::{Target, number};
use crate::scenarios::Bench;
use crate::server;

/// What a lexicon run measures.
pub struct LexiconSizes {
    pub terms: usize,
    pub body_chars: usize,
    pub checks: usize,
}

const CODE: &str = "bench";

impl Bench<'_> {
    pub async fn lexicon(&mut self, sizes: &LexiconSizes) -> anyhow::Result<()> {
        let admin = self.api.login("admin", server::ADMIN_PASSWORD).await?;
        self.api
            .post(
                Some(&admin),
                "/lexicons",
                json!({"code": CODE, "name": "基准词表"}),
            )
            .await?;
        let (terms, chars) = (sizes.terms, sizes.body_chars);
        let (entries, body) =
            tokio::task::spawn_blocking(move || check::generate(terms, chars)).await?;
        let csv = check::csv(&entries);
        drop(entries);
        let csv_mib = csv.len() as f64 / 1_048_576.0;

        let idle_kib = self.env.memory_kib("VmRSS");
        let hwm_reset = self.env.reset_peak();
        let sampler = self.env.rss_sampler();
        let bar = load::bar(&format!("PUT {} entries (CSV)", number(terms as f64)));
        let t = Instant::now();
        let (status, answer) = self
            .api
            .send_raw(
                reqwest::Method::PUT,
                &admin,
                &format!("/lexicons/{CODE}/entries"),
                "text/csv",
                csv,
            )
            .await?;
        let replace_s = t.elapsed().as_secs_f64();
        let sampled_kib = sampler.stop();
        bar.finish_with_message(format!("{status} in {replace_s:.2} s"));
        let what = format!(
            "lexicon: replace {} entries (CSV, {csv_mib:.1} MiB)",
            number(terms as f64)
        );
        if status != 200 {
            // A refusal is a finding, not something to work around here.
            self.report.result(
                [
                    what,
                    "1".into(),
                    format!("refused {status} after {replace_s:.2} s"),
                    String::new(),
                    String::new(),
                    answer.to_string(),
                ],
                f64::INFINITY,
                format!("refused {status}"),
                Target::Below(3.0),
            );
            return Ok(());
        }
        self.report.result(
            [
                what,
                "1".into(),
                format!("{replace_s:.2} s"),
                String::new(),
                String::new(),
                format!(
                    "version {}, entry_count {}",
                    answer["version"], answer["entry_count"]
                ),
            ],
            replace_s,
            format!("{replace_s:.2} s"),
            Target::Below(3.0),
        );
        let loaded = (
            self.env.memory_kib("VmRSS"),
            self.env.memory_kib("VmHWM").max(sampled_kib),
        );

        let request = serde_json::to_vec(
            &json!({"channel": "portal", "title": "标题", "body": body, "format": "text"}),
        )?;
        let body_kib = request.len() as f64 / 1024.0;
        let bar = load::bar(&format!("POST /check ×{}", sizes.checks));
        let mut times: Vec<Duration> = Vec::with_capacity(sizes.checks);
        let mut first = None;
        let mut findings = 0;
        // One request before the timed ones: the matcher may be built on
        // the first check after a replacement.
        for i in 0..=sizes.checks {
            let t = Instant::now();
            let res = self
                .api
                .client
                .post(format!("{}/api/v1/check", self.api.base))
                .bearer_auth(&self.editor)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.clone())
                .send()
                .await?;
            let status = res.status().as_u16();
            let answer = res.bytes().await?;
            let took = t.elapsed();
            if status != 200 {
                bar.finish_with_message(format!("refused {status}"));
                self.report.figure(
                    [
                        format!(
                            "lexicon: POST /check, {} characters ({body_kib:.0} KiB of JSON)",
                            number(chars as f64)
                        ),
                        "1".into(),
                        format!("refused {status}"),
                        String::new(),
                        String::new(),
                        String::from_utf8_lossy(&answer).chars().take(300).collect(),
                    ],
                    format!("refused {status}"),
                    "—",
                );
                self.report
                    .missed
                    .push(format!("lexicon: POST /check refused {status}"));
                return Ok(());
            }
            if i == 0 {
                first = Some(took);
                let report: serde_json::Value = serde_json::from_slice(&answer)?;
                findings = report["findings"].as_array().map_or(0, Vec::len);
            } else {
                times.push(took);
                bar.inc(1);
            }
        }
        let total: Duration = times.iter().sum();
        times.sort();
        let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        bar.finish_with_message(format!("p50 {:.1} ms", ms(p(0.5))));
        let after = (self.env.memory_kib("VmRSS"), self.env.memory_kib("VmHWM"));
        self.report.figure(
            [
                format!(
                    "lexicon: POST /check, {} characters ({body_kib:.0} KiB of JSON), over HTTP",
                    number(chars as f64)
                ),
                "1".into(),
                format!(
                    "{:.1} req/s",
                    times.len() as f64 / total.as_secs_f64().max(1e-9)
                ),
                format!("{:.1}", ms(p(0.5))),
                format!("{:.1}", ms(p(0.99))),
                format!(
                    "{} checks; the first apart: {:.1} ms; {findings} findings",
                    times.len(),
                    ms(first.unwrap_or_default())
                ),
            ],
            format!("p50 {:.1} ms", ms(p(0.5))),
            "none over HTTP (< 20 ms p50 is the matcher's, in process: --check-matcher)",
        );
        let how = if hwm_reset {
            "VmHWM reset before the upload"
        } else {
            "VmHWM since start, or sampled VmRSS"
        };
        let mib = |kib: u64| kib as f64 / 1024.0;
        // The target is the most the server held: its peak (VmHWM) from
        // the upload on, which covers the resident memory after the
        // upload and after the checks (when the matcher is built too).
        for (label, (rss, hwm)) in [
            ("after the lexicon is loaded", loaded),
            ("after the checks (matcher built)", after),
        ] {
            let most = rss.max(hwm);
            self.report.result(
                [
                    format!("lexicon: server memory {label} (MiB)"),
                    "1".into(),
                    format!("VmRSS {:.1} (idle before: {:.1})", mib(rss), mib(idle_kib)),
                    String::new(),
                    String::new(),
                    format!("peak VmHWM {:.1} ({how})", mib(hwm)),
                ],
                mib(most),
                format!("peak {:.1}", mib(most)),
                Target::Below(150.0),
            );
        }
        Ok(())
    }
}
