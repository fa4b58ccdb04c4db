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
use crate::db::schema::{audit_head, audit_pending};
use crate::db::{DbError, DbPool, connect};
use crate::domain::audit_chain::{AuditEvent, event_hash, format_occurred_at};

/// Events linked in one transaction: one commit, one WAL flush for all.
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

/// One batch as arrays, a column each: `unnest` makes them rows, so the
/// statement's text is the same for every batch size and stays prepared on
/// the connection (a `VALUES` list of n rows was a new statement, parsed
/// and planned, for every n).
const LINK: &str = "INSERT INTO audit_events (seq, occurred_at, actor_id, actor, action, \
     draft_id, revision, content_hash, stage, from_status, to_status, detail, ip, request_id, \
     prev_hash, hash) \
     SELECT * FROM unnest($1::int8[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], \
     $6::uuid[], $7::int4[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], \
     $13::text[], $14::text[], $15::text[], $16::text[])";

/// Inserts `linked` (in chain order) in one statement.
async fn insert_linked(
    conn: &mut AsyncPgConnection,
    linked: &[(i64, DateTime<Utc>, AuditEvent)],
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Int4, Jsonb, Nullable, Text, Timestamptz};
    type Uid = diesel::sql_types::Uuid;
    let events = || linked.iter().map(|(_, _, e)| e);
    let texts = |f: fn(&AuditEvent) -> Option<&str>| events().map(f).collect::<Vec<_>>();
    FixedText(
        diesel::sql_query(LINK)
            .bind::<Array<BigInt>, _>(events().map(|e| e.seq).collect::<Vec<_>>())
            .bind::<Array<Timestamptz>, _>(linked.iter().map(|(_, at, _)| *at).collect::<Vec<_>>())
            .bind::<Array<Nullable<Uid>>, _>(events().map(|e| e.actor_id).collect::<Vec<_>>())
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.actor.as_deref()))
            .bind::<Array<Text>, _>(events().map(|e| e.action.as_str()).collect::<Vec<_>>())
            .bind::<Array<Nullable<Uid>>, _>(events().map(|e| e.draft_id).collect::<Vec<_>>())
            .bind::<Array<Nullable<Int4>>, _>(events().map(|e| e.revision).collect::<Vec<_>>())
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.content_hash.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.stage.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.from_status.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.to_status.as_deref()))
            .bind::<Array<Jsonb>, _>(events().map(|e| &e.detail).collect::<Vec<_>>())
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.ip.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(texts(|e| e.request_id.as_deref()))
            .bind::<Array<Text>, _>(events().map(|e| e.prev_hash.as_str()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(events().map(|e| e.hash.as_str()).collect::<Vec<_>>()),
    )
    .execute(conn)
    .await
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
    insert_linked(conn, &linked).await?;
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
