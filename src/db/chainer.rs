//! The one serialization point of the trail: links committed events into
//! the chain, in batches.
//!
//! Whoever holds the `audit_head` row lock is the chainer; every process
//! runs one in the background and audit reads run one before they read, so
//! the lock is taken once a batch instead of once a change, and seq stays
//! gapless and the chain unforked whichever process chains. An event is
//! chained in the order its change committed (as far as the chainer can
//! see: rows of one draft are chained in the order their row locks let them
//! commit), never before its change committed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::db::fixed_text::FixedText;
use crate::db::schema::{audit_events, audit_head, audit_pending};
use crate::db::{DbError, DbPool, connect};
use crate::domain::audit_chain::{AuditEvent, event_hash, format_occurred_at};

/// Events linked in one transaction: one commit, one WAL flush for all.
/// 16 columns a row stay well under PostgreSQL's 65 535 bind parameters.
pub const BATCH: i64 = 1000;

/// How long a woken chainer lets a batch gather. Nobody waits on it (audit
/// reads chain for themselves), so a few milliseconds buy larger batches.
const GATHER: Duration = Duration::from_millis(5);

/// How often an idle chainer looks anyway: for events another process
/// committed, or a change that committed after its wake-up was spent.
const IDLE: Duration = Duration::from_secs(1);

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_pending)]
struct Pending {
    id: i64,
    occurred_at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor: Option<String>,
    action: String,
    draft_id: Option<Uuid>,
    revision: Option<i32>,
    content_hash: Option<String>,
    stage: Option<String>,
    from_status: Option<String>,
    to_status: Option<String>,
    detail: serde_json::Value,
    ip: Option<String>,
    request_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct Linked<'a> {
    seq: i64,
    occurred_at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor: Option<&'a str>,
    action: &'a str,
    draft_id: Option<Uuid>,
    revision: Option<i32>,
    content_hash: Option<&'a str>,
    stage: Option<&'a str>,
    from_status: Option<&'a str>,
    to_status: Option<&'a str>,
    detail: &'a serde_json::Value,
    ip: Option<&'a str>,
    request_id: Option<&'a str>,
    prev_hash: &'a str,
    hash: &'a str,
}

impl<'a> Linked<'a> {
    fn of(event: &'a AuditEvent, occurred_at: DateTime<Utc>) -> Linked<'a> {
        Linked {
            seq: event.seq,
            occurred_at,
            actor_id: event.actor_id,
            actor: event.actor.as_deref(),
            action: &event.action,
            draft_id: event.draft_id,
            revision: event.revision,
            content_hash: event.content_hash.as_deref(),
            stage: event.stage.as_deref(),
            from_status: event.from_status.as_deref(),
            to_status: event.to_status.as_deref(),
            detail: &event.detail,
            ip: event.ip.as_deref(),
            request_id: event.request_id.as_deref(),
            prev_hash: &event.prev_hash,
            hash: &event.hash,
        }
    }
}

/// Inside a transaction: takes the head's lock, then links up to `BATCH`
/// waiting events visible to this transaction (those committed, and the
/// transaction's own). Returns each with its queue id, in chain order.
pub async fn chain_batch(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(i64, AuditEvent)>> {
    let (mut seq, mut prev): (i64, String) = audit_head::table
        .select((audit_head::seq, audit_head::hash))
        .for_update()
        .first(conn)
        .await?;
    // Taken after the lock: no other chainer can hold any of these rows.
    let oldest: Vec<i64> = audit_pending::table
        .select(audit_pending::id)
        .order(audit_pending::id)
        .limit(BATCH)
        .load(conn)
        .await?;
    if oldest.is_empty() {
        return Ok(Vec::new());
    }
    // The queue refuses every other DELETE (migration audit_pending_guard).
    FixedText(diesel::sql_query(
        "SELECT set_config('sanshen.chaining', 'on', true)",
    ))
    .execute(conn)
    .await?;
    let mut waiting: Vec<Pending> =
        diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(&oldest)))
            .returning(Pending::as_returning())
            .get_results(conn)
            .await?;
    waiting.sort_by_key(|p| p.id);
    let mut linked = Vec::with_capacity(waiting.len());
    for p in waiting {
        seq += 1;
        let mut event = AuditEvent {
            seq,
            occurred_at: format_occurred_at(p.occurred_at),
            actor_id: p.actor_id,
            actor: p.actor,
            action: p.action,
            draft_id: p.draft_id,
            revision: p.revision,
            content_hash: p.content_hash,
            stage: p.stage,
            from_status: p.from_status,
            to_status: p.to_status,
            detail: p.detail,
            ip: p.ip,
            request_id: p.request_id,
            prev_hash: prev,
            hash: String::new(),
        };
        event.hash = event_hash(&event);
        prev = event.hash.clone();
        linked.push((p.id, p.occurred_at, event));
    }
    let rows: Vec<Linked> = linked.iter().map(|(_, at, e)| Linked::of(e, *at)).collect();
    diesel::insert_into(audit_events::table)
        .values(&rows)
        .execute(conn)
        .await?;
    FixedText(
        diesel::update(audit_head::table)
            .set((audit_head::seq.eq(seq), audit_head::hash.eq(&prev))),
    )
    .execute(conn)
    .await?;
    Ok(linked.into_iter().map(|(id, _, e)| (id, e)).collect())
}

/// Links every event committed before the call, a batch a transaction.
/// Returns how many it linked (others' chainers may have linked some).
pub async fn chain_committed(conn: &mut AsyncPgConnection) -> QueryResult<u64> {
    let mut total = 0;
    loop {
        let n = conn
            .transaction(async |conn| chain_batch(conn).await.map(|b| b.len()))
            .await?;
        total += n as u64;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// [`chain_committed`] on a pooled connection.
pub async fn flush(pool: &DbPool) -> Result<u64, DbError> {
    let mut conn = connect(pool).await?;
    Ok(chain_committed(&mut conn).await?)
}

/// The background chainer's doorbell: ring it after a change commits.
#[derive(Clone)]
pub struct Chainer {
    bell: Arc<Notify>,
    /// Rung once, at shutdown: link what is queued, then stop.
    last_call: Arc<Notify>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Chainer {
    /// Starts this process's chainer on the current runtime. Whatever it
    /// has not linked when it stops waits in the database for the next
    /// chainer, in this process or another.
    pub fn start(pool: DbPool) -> Chainer {
        let bell = Arc::new(Notify::new());
        let last_call = Arc::new(Notify::new());
        let task = tokio::spawn(run(pool, bell.clone(), last_call.clone()));
        Chainer {
            bell,
            last_call,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// Links what is queued, then stops; returns when it has. Called before
    /// the database goes away (the embedded cluster stops after it), so the
    /// last events are linked now and no round fails on a closing database.
    pub async fn stop(&self) {
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            self.last_call.notify_one();
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the audit chainer ended abnormally");
            }
        }
    }
}

async fn run(pool: DbPool, bell: Arc<Notify>, last_call: Arc<Notify>) {
    // First whatever an earlier run left waiting, then as the bell rings.
    loop {
        if let Err(e) = flush(&pool).await {
            // The events stay queued in the database; the next round retries.
            tracing::warn!(error = %e, "chaining audit events failed");
        }
        tokio::select! {
            () = bell.notified() => tokio::time::sleep(GATHER).await,
            () = tokio::time::sleep(IDLE) => {}
            () = last_call.notified() => break,
        }
    }
    if let Err(e) = flush(&pool).await {
        tracing::warn!(error = %e, "linking the last audit events failed; they wait in the database");
    }
}
