//! Scale in data (issue 19 item 3): the list and trail reads an office
//! makes all day, at 4 clients, on the benchmark's nearly empty database
//! (the lists list nothing), again after an office that fills one page of
//! each (`scale_sql::one_page`), and again after a year of a large office
//! is loaded by SQL (`scale_sql::year`): p99 of the year over p99 of each
//! of the two, each ≤ 2. The second ratio is growth with data alone; the
//! first also holds the cost of a full page against an empty one.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use crate::load::{self, Stats, Until};
use crate::report::{Target, number};
use crate::scale_sql;
use crate::scenarios::{Bench, READERS};

/// How long each call runs unmeasured first. The load ends in `ANALYZE`,
/// which invalidates every plan the server's connections hold: the first
/// call measured after it paid for planning all of its statements anew on
/// each connection, and its p99 was that (round eleven), not the steady
/// state the other calls were measured in.
const WARM_UP: std::time::Duration = std::time::Duration::from_secs(1);

/// One call of the scenario: a GET path, or a POST path with its body.
#[derive(Clone)]
struct Call {
    name: &'static str,
    path: String,
    body: Option<Value>,
    /// Made as a signer (for `/tasks` and the visibility rule), else as the auditor.
    as_signer: bool,
}

/// The ids the calls name: on the empty database the bench's own, on the
/// loaded one the year's (its oldest draft, one of its authors …).
struct Subjects {
    draft_id: String,
    author_id: String,
    signer_id: String,
    content_hash: String,
    channel: String,
    since: String,
    until: String,
}

fn calls(s: &Subjects) -> Vec<Call> {
    let get = |name, path: String| Call {
        name,
        path,
        body: None,
        as_signer: false,
    };
    vec![
        Call {
            as_signer: true,
            ..get("GET /tasks (review_3)", "/tasks".into())
        },
        get("GET /drafts", "/drafts".into()),
        Call {
            as_signer: true,
            ..get(
                "GET /drafts as a signer (visibility rule)",
                "/drafts".into(),
            )
        },
        get(
            "GET /drafts?status=in_review",
            "/drafts?status=in_review".into(),
        ),
        get(
            "GET /drafts?channel=…",
            format!("/drafts?channel={}", s.channel),
        ),
        get(
            "GET /drafts?author_id=…",
            format!("/drafts?author_id={}", s.author_id),
        ),
        get(
            "GET /drafts?stage=review_2",
            "/drafts?stage=review_2".into(),
        ),
        get(
            "GET /drafts?risk_level=sensitive",
            "/drafts?risk_level=sensitive".into(),
        ),
        get(
            "GET /drafts/{id}/trail (an old draft)",
            format!("/drafts/{}/trail", s.draft_id),
        ),
        get("GET /audit/events", "/audit/events".into()),
        get(
            "GET /audit/events?draft_id=…",
            format!("/audit/events?draft_id={}", s.draft_id),
        ),
        get(
            "GET /audit/events?actor_id=…",
            format!("/audit/events?actor_id={}", s.signer_id),
        ),
        get(
            "GET /audit/events?action=stage_returned",
            "/audit/events?action=stage_returned".into(),
        ),
        get(
            "GET /audit/events?since=…&until=… (a week)",
            format!("/audit/events?since={}&until={}", s.since, s.until),
        ),
        Call {
            name: "POST /audit/lookup (an old revision)",
            path: "/audit/lookup".into(),
            body: Some(json!({"content_hash": s.content_hash})),
            as_signer: false,
        },
    ]
}

impl Bench<'_> {
    /// `/audit/verify`'s reconciliation at this scale: its plan with the
    /// time of each node, written to `reconcile-plan.txt` in the working
    /// directory (it is long) and its total time noted.
    fn explain_reconciliation(&self) -> anyhow::Result<()> {
        let sql = sanshen::db::reconcile::missing_events_sql();
        let started = Instant::now();
        let plan = self.env.psql(
            "sanshen",
            &[
                "-c",
                "SET statement_timeout = '600s'",
                "-c",
                &format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"),
            ],
        );
        let plan = plan.unwrap_or_else(|e| format!("EXPLAIN failed: {e}"));
        std::fs::write("reconcile-plan.txt", &plan)?;
        load::note(&format!(
            "reconciliation EXPLAIN ANALYZE took {:.1} s (plan in reconcile-plan.txt)",
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    fn scalar(&self, sql: &str) -> anyhow::Result<String> {
        Ok(self.env.psql("sanshen", &["-c", sql])?.trim().to_string())
    }

    /// The ids the calls name in the office loaded with `prefix`, or on
    /// the bench's own database.
    fn subjects(&self, prefix: Option<&str>) -> anyhow::Result<Subjects> {
        let q = |sql: &str| self.scalar(sql);
        let own = prefix.map_or(String::new(), |p| format!("WHERE actor LIKE '{p}.%'"));
        let (draft, author) = match prefix {
            Some(p) => (
                format!(
                    "(SELECT id FROM drafts d WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = d.author_id \
                      AND u.username LIKE '{p}.%') ORDER BY created_at LIMIT 1)"
                ),
                format!("(SELECT id FROM users WHERE username = '{p}.author7')"),
            ),
            None => (
                "(SELECT id FROM drafts ORDER BY created_at LIMIT 1)".to_string(),
                "(SELECT id FROM users WHERE username = 'bench.editor')".to_string(),
            ),
        };
        Ok(Subjects {
            draft_id: q(&format!("SELECT {draft}"))?,
            author_id: q(&format!("SELECT {author}"))?,
            signer_id: q("SELECT id FROM users WHERE username = 'bench.review_2'")?,
            content_hash: q(&format!(
                "SELECT content_hash FROM revisions WHERE draft_id = {draft} AND number = 1"
            ))?,
            channel: q(&format!("SELECT channel FROM drafts WHERE id = {draft}"))?,
            // A week in the middle of the office's own events (on the bench's
            // database, of all): the bench's own events, recorded today, lie
            // in the chain before a loaded office's, which are dated in the
            // past, and a window at an office's edge would pass over them.
            since: q(&format!(
                "SELECT to_char((min(occurred_at) + (max(occurred_at) - min(occurred_at)) / 2) \
                      AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM audit_events {own}"
            ))?,
            until: q(&format!(
                "SELECT to_char((min(occurred_at) + (max(occurred_at) - min(occurred_at)) / 2 \
                      + interval '7 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
                      FROM audit_events {own}"
            ))?,
        })
    }

    async fn measure_calls(&mut self, subjects: &Subjects, when: &str) -> Vec<Stats> {
        let mut out = Vec::new();
        for call in calls(subjects) {
            let token: Arc<str> = if call.as_signer {
                // bench.review_3's tasks, and what a signer may see.
                self.signers[4].clone().into()
            } else {
                self.auditor.clone().into()
            };
            let (api, what) = (self.api.clone(), call.clone());
            let op = move || {
                let (api, token, call) = (api.clone(), token.clone(), what.clone());
                async move {
                    match &call.body {
                        None => api.get_ok(&token, &call.path).await,
                        Some(body) => api.post_ok(&token, &call.path, body).await,
                    }
                }
            };
            let warm = load::repeat(
                &format!("{} ({when}, warming up)", call.name),
                READERS,
                Until::Elapsed(WARM_UP.min(self.sizes.duration())),
                op.clone(),
            )
            .await;
            let stats = load::repeat(
                &format!("{} ({when})", call.name),
                READERS,
                Until::Elapsed(self.sizes.duration()),
                op,
            )
            .await;
            self.errors += warm.errors + stats.errors;
            out.push(stats);
        }
        out
    }

    fn load(&self, office: &scale_sql::Office) -> anyhow::Result<String> {
        load::note(&format!(
            "loading {} drafts ({}) …",
            office.drafts, office.prefix
        ));
        let started = Instant::now();
        let mut child = self.env.psql_stdin("sanshen")?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(scale_sql::loader(office).as_bytes())?;
        }
        let out = child.wait_with_output()?;
        anyhow::ensure!(
            out.status.success(),
            "the scale loader failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let counts = self.scalar(
            "SELECT (SELECT count(*) FROM drafts) || ' drafts, ' || (SELECT count(*) FROM signoffs) \
             || ' sign-offs, ' || (SELECT count(*) FROM audit_events) || ' audit events'",
        )?;
        load::note(&format!(
            "loaded in {:.0} s: {counts}",
            started.elapsed().as_secs_f64()
        ));
        self.env.psql("sanshen", &["-c", "CHECKPOINT"])?;
        Ok(counts)
    }

    /// Every call on the bench's nearly empty database (where the lists
    /// list nothing), again after an office that fills one page of each
    /// (`scale_sql::one_page`), and again after `drafts` drafts of a year
    /// are loaded by SQL: the year against each of the two.
    pub async fn scale(&mut self, drafts: u64) -> anyhow::Result<()> {
        let empty_subjects = self.subjects(None)?;
        let empty = self.measure_calls(&empty_subjects, "empty").await;
        self.load(&scale_sql::one_page())?;
        let page_subjects = self.subjects(Some("page"))?;
        let page = self.measure_calls(&page_subjects, "one page").await;
        let counts = self.load(&scale_sql::year(drafts))?;
        self.explain_reconciliation()?;
        let loaded_subjects = self.subjects(Some("scale"))?;
        let loaded = self.measure_calls(&loaded_subjects, "loaded").await;
        for (base_name, base) in [("empty", &empty), ("one page", &page)] {
            for ((call, e), l) in calls(&empty_subjects).iter().zip(base).zip(&loaded) {
                let ratio = l.p99_ms / e.p99_ms;
                self.report.result(
                    [
                        format!("scale: {} — {base_name} → {counts}", call.name),
                        READERS.to_string(),
                        format!(
                            "{} → {} req/s",
                            number(e.per_second()),
                            number(l.per_second())
                        ),
                        format!("{:.1} → {:.1}", e.p50_ms, l.p50_ms),
                        format!("{:.1} → {:.1}", e.p99_ms, l.p99_ms),
                        String::new(),
                    ],
                    ratio,
                    format!("{ratio:.2}"),
                    Target::AtMost(2.0),
                );
            }
        }
        Ok(())
    }
}
