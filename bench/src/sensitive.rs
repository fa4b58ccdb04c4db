//! The sensitive route (SPEC §5, issue 15): drafts created with
//! `"risk_level": "sensitive"` follow the seeded route — the six stages one
//! per step, `review_3` with quorum 2, then `leader` — eight sign-offs per
//! draft. Measured like plain approve, against the same pgbench twin
//! (`signoff_staged.sql` with `chain_batch.sql` beside it, simple and
//! prepared), so that the two ratios compare: the target is the sensitive
//! ratio within 10 % of plain approve's (their quotient ≥ 0.90).

use crate::api::SENSITIVE_SIGNOFFS;
use crate::load;
use crate::pgbench::Protocol;
use crate::report::{Target, number};
use crate::scenarios::{Bench, cells};
use crate::server;

/// Sensitive ratio ÷ plain approve's ratio, at the least.
const QUOTIENT_TARGET: f64 = 0.9;

impl Bench<'_> {
    /// A signer per sign-off of the sensitive route. Invariant 3: nobody
    /// signs two review or two proofread stages of one revision, and the
    /// leader signs nothing else; so the second `review_3` and `leader` are
    /// users of their own, beside the six signers of plain approve.
    async fn sensitive_signers(&mut self) -> anyhow::Result<Vec<String>> {
        if self.sensitive_signers.is_empty() {
            let admin = self.api.login("admin", server::ADMIN_PASSWORD).await?;
            let second_review_3 = self
                .api
                .user(&admin, "bench.review_3.second", &["review_3"])
                .await?;
            let leader = self.api.user(&admin, "bench.leader", &["leader"]).await?;
            let s = &self.signers;
            self.sensitive_signers = vec![
                s[0].clone(),
                s[1].clone(),
                s[2].clone(),
                s[3].clone(),
                s[4].clone(),
                second_review_3,
                s[5].clone(),
                leader,
            ];
        }
        Ok(self.sensitive_signers.clone())
    }

    /// Sign-offs/s of sensitive drafts at `c` clients, each client signing
    /// a draft's eight sign-offs in order; then the pgbench twin.
    pub async fn sensitive(&mut self, c: usize) -> anyhow::Result<()> {
        let signers = self.sensitive_signers().await?;
        // About as much signing time as plain approve at the same level:
        // eight sign-offs per draft where it has six.
        let drafts = (c * self.sizes.drafts_per_client).max(self.sizes.min_drafts * 6 / 8);
        let seeded = self.seed_drafts(drafts, Some("sensitive")).await?;
        let api = self.api.clone();
        let stats = load::over_items(
            &format!("sensitive ×{c}"),
            c,
            seeded,
            move |(id, hash): (String, String)| {
                let (api, signers) = (api.clone(), signers.clone());
                async move {
                    let signoffs: Vec<(&str, &String)> =
                        SENSITIVE_SIGNOFFS.iter().copied().zip(&signers).collect();
                    api.sign_as(&signoffs, &id, &hash).await
                }
            },
        )
        .await;
        self.errors += stats.errors;
        let batched =
            self.pgbench_beside("signoff_staged", c, Some("chain_batch"), Protocol::Simple)?;
        self.drain_pending()?;
        let prepared =
            self.pgbench_beside("signoff_staged", c, Some("chain_batch"), Protocol::Prepared)?;
        self.drain_pending()?;
        let ratios = [
            stats.per_second() / batched.tps,
            stats.per_second() / prepared.tps,
        ];
        for ((name, twin), ratio) in [
            ("sensitive (8 sign-offs/draft)", &batched),
            ("sensitive (pgbench prepared)", &prepared),
        ]
        .into_iter()
        .zip(ratios)
        {
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
        let Some(&(_, approve_rate, approve_simple, approve_prepared)) =
            self.approve_ratios.iter().find(|r| r.0 == c)
        else {
            load::note(&format!(
                "sensitive ×{c}: no plain approve at {c} clients in this run: no quotient (run --only approve,sensitive)"
            ));
            return Ok(());
        };
        // The twin's work is the same for both, but measured twice minutes
        // apart on a database that grows with each pgbench run: the quotient
        // of the sign-off rates alone leaves the twin's drift out.
        let rates = stats.per_second() / approve_rate;
        self.report.figure(
            [
                "sensitive ÷ approve, sign-offs/s (no twin)".into(),
                c.to_string(),
                format!(
                    "{} vs {} sign-offs/s",
                    number(stats.per_second()),
                    number(approve_rate)
                ),
                String::new(),
                String::new(),
                String::new(),
            ],
            format!("{rates:.2}"),
            "none (the target is on the ratios, below)",
        );
        for (name, sensitive, approve) in [
            ("sensitive ratio ÷ approve ratio", ratios[0], approve_simple),
            (
                "sensitive ratio ÷ approve ratio (pgbench prepared)",
                ratios[1],
                approve_prepared,
            ),
        ] {
            let quotient = sensitive / approve;
            self.report.result(
                [
                    name.into(),
                    c.to_string(),
                    format!(
                        "{} vs {} sign-offs/s",
                        number(stats.per_second()),
                        number(approve_rate)
                    ),
                    String::new(),
                    String::new(),
                    format!("ratios {sensitive:.2} / {approve:.2}"),
                ],
                quotient,
                format!("{quotient:.2}"),
                Target::AtLeast(QUOTIENT_TARGET),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api;

    #[test]
    fn the_route_has_eight_signoffs_review_3_twice_and_leader_last() {
        assert_eq!(SENSITIVE_SIGNOFFS.len(), 8);
        assert_eq!(
            SENSITIVE_SIGNOFFS
                .iter()
                .filter(|s| **s == "review_3")
                .count(),
            2
        );
        assert_eq!(SENSITIVE_SIGNOFFS.last(), Some(&"leader"));
        for stage in api::STAGES {
            assert!(SENSITIVE_SIGNOFFS.contains(&stage));
        }
    }
}
