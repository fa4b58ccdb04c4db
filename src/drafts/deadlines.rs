//! The deadline runner (SPEC §8): writes `step_overdue` once per (draft,
//! round, step) when an open step's deadline passes. Every instance runs
//! one; drafts are claimed with `SKIP LOCKED` and each overdue step is
//! recorded under a primary key, so however many race, each step is
//! reported once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::background::{Job, Rounds};
use crate::clock::Clock;
use crate::db::audit_log::{NewEvent, Origin, append};
use crate::db::{DbPool, connect, deadlines, drafts};
use crate::error::ApiError;

/// Drafts handled per transaction.
const BATCH: i64 = 100;
/// How often an idle runner looks anyway (deadlines set by other instances).
const IDLE: Duration = Duration::from_secs(30);

pub fn start(pool: DbPool, clock: Clock) -> Job {
    Job::start("deadline runner", IDLE, |_| Runner { pool, clock })
}

struct Runner {
    pool: DbPool,
    clock: Clock,
}

impl Rounds for Runner {
    async fn round(&mut self) -> Option<Duration> {
        match run_once(&self.pool, &self.clock).await {
            Ok((_, next)) => next.map(|at| (at - self.clock.now()).to_std().unwrap_or_default()),
            Err(e) => {
                tracing::warn!(error = %e, "deadline runner: will try again");
                None
            }
        }
    }
}

/// Records every step overdue by now; returns how many this call recorded
/// and the next deadline still to fall.
pub async fn run_once(
    pool: &DbPool,
    clock: &Clock,
) -> Result<(usize, Option<DateTime<Utc>>), ApiError> {
    let mut conn = connect(pool).await?;
    let mut total = 0;
    loop {
        let now = clock.now();
        let (claimed, fired) = conn
            .transaction::<_, ApiError, _>(async |conn| {
                let due = deadlines::claim_due(conn, now, BATCH).await?;
                let mut fired = 0;
                for d in &due {
                    let (Some(step), Some(due_at)) = (d.current_step, d.due_at) else {
                        continue;
                    };
                    if !deadlines::mark_overdue(conn, d.id, d.round, step, due_at).await? {
                        continue;
                    }
                    let hash = drafts::revision(conn, d.id, d.revision)
                        .await?
                        .map(|r| r.content_hash)
                        .unwrap_or_default();
                    let mut event = NewEvent::new("step_overdue", &Origin::default())
                        .on_draft(d.id, d.revision, &hash)
                        .with("round", d.round)
                        .with("step", step)
                        .with("current_stages", d.current_stages.clone())
                        .with("due_at", due_at.to_rfc3339());
                    event.stage = d.current_stage.clone();
                    append(conn, event).await?;
                    fired += 1;
                }
                Ok((due.len(), fired))
            })
            .await?;
        total += fired;
        if (claimed as i64) < BATCH {
            break;
        }
    }
    let next = deadlines::next_due(&mut conn).await?;
    Ok((total, next))
}
