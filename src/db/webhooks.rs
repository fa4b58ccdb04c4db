//! Webhook subscriptions and their outbox (SPEC §8): the rows written in a
//! change's transaction, claimed by the senders with `SKIP LOCKED`, and
//! read back as the delivery log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Int4, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::audit_log::NewEvent;
use crate::db::fixed_text::FixedText;
use crate::db::partial;
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::domain::webhook_format::Announcement;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub format: String,
    pub secret: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub seq: i64,
    pub id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &WebhookRow) -> QueryResult<()> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Oldest first, after the keyset position `after`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<WebhookRow>> {
    let mut query = webhooks::table
        .select(WebhookRow::as_select())
        .order((webhooks::created_at, webhooks::id))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            webhooks::created_at
                .gt(at)
                .or(webhooks::created_at.eq(at).and(webhooks::id.gt(id))),
        );
    }
    query.load(conn).await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Deletes the subscription and, with it, its undelivered and delivered rows.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<WebhookRow>> {
    diesel::delete(webhooks::table.find(id))
        .returning(WebhookRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// The delivery log of one subscription, oldest first, after `after_seq`.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    webhook_id: Uuid,
    after_seq: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::seq.gt(after_seq.unwrap_or(0)))
        .order(webhook_deliveries::seq)
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
        .await
}

/// The outbox rows of one announcement: `webhook_enqueue` (migration
/// webhook_enqueue, which says who is named an eligible signer), whose
/// plans the database keeps for the session.
const ENQUEUE: &str = "SELECT webhook_enqueue($1, $2, $3, $4, $5, $6, $7) AS written";

#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = Int4)]
    written: i32,
}

tokio::task_local! {
    /// Whether the request being served wrote outbox rows (see [`noting_writes`]).
    static WROTE: std::cell::Cell<bool>;
}

/// Runs `work` (a request), and says whether it wrote outbox rows: the
/// sender is rung after those only. Ringing it after every change made it
/// claim from an empty outbox once a sign-off, a statement parsed and
/// planned each time (a tenth of the machine under four signing clients).
pub async fn noting_writes<F: std::future::Future>(work: F) -> (F::Output, bool) {
    WROTE
        .scope(std::cell::Cell::new(false), async {
            let out = work.await;
            (out, WROTE.with(std::cell::Cell::get))
        })
        .await
}

/// Writes the outbox rows of `announcements` (what `announced` makes of
/// `event`), inside the caller's transaction (called by
/// `audit_log::append`). Most actions announce nothing and cost no query.
pub async fn enqueue(
    mut conn: &AsyncPgConnection,
    event: &NewEvent,
    announcements: Vec<Announcement>,
) -> QueryResult<usize> {
    let (Some(draft_id), Some(revision)) = (event.draft_id, event.revision) else {
        return Ok(0);
    };
    let mut written = 0;
    for a in announcements {
        // Sent with every sign-off: prepared once per connection.
        let rows: Written = FixedText(
            diesel::sql_query(ENQUEUE)
                .bind::<Text, _>(a.event.as_str())
                .bind::<Array<Text>, _>(&a.stages)
                .bind::<Nullable<SqlUuid>, _>(event.actor_id)
                .bind::<Nullable<Text>, _>(event.actor.as_deref())
                .bind::<SqlUuid, _>(draft_id)
                .bind::<Nullable<Text>, _>(event.to_status.as_deref())
                .bind::<Int4, _>(revision),
        )
        .get_result(&mut conn)
        .await?;
        written += usize::try_from(rows.written).unwrap_or_default();
    }
    if written > 0 {
        // Outside a request (a background job) nobody is listening: the
        // sender's idle look finds the rows.
        let _ = WROTE.try_with(|w| w.set(true));
    }
    Ok(written)
}

/// A delivery a sender has claimed, with where and how to send it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub format: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub secret: Option<String>,
}

/// Claims up to `limit` due deliveries for `lease`: `SKIP LOCKED` lets
/// senders of several processes claim side by side without waiting on or
/// taking each other's rows; the lease (the next try's time pushed past the
/// request timeout) keeps them from taking a row being delivered, and gives
/// it back if its sender dies.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<Claimed>> {
    // Prepared once per connection: an idle sender claims once a second.
    FixedText(
        diesel::sql_query(
            "UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, last_attempt_at = now(),
                next_attempt_at = now() + make_interval(secs => $2)
           FROM webhooks w
          WHERE w.id = d.webhook_id AND d.seq IN (
                SELECT seq FROM webhook_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $1
                   FOR UPDATE SKIP LOCKED)
      RETURNING d.seq, d.id, d.payload, d.attempts, w.url, w.format, w.secret",
        )
        .bind::<BigInt, _>(limit)
        .bind::<Double, _>(lease.as_secs_f64()),
    )
    .load(conn)
    .await
}

/// How a try ended.
pub enum Outcome<'a> {
    Delivered {
        status: i32,
    },
    /// Tried again at `retry_at`, or `failed` for good when it is `None`.
    Failed {
        status: Option<i32>,
        error: &'a str,
        retry_at: Option<DateTime<Utc>>,
    },
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    seq: i64,
    outcome: Outcome<'_>,
) -> QueryResult<()> {
    let target = webhook_deliveries::table
        .filter(webhook_deliveries::seq.eq(seq))
        .filter(webhook_deliveries::status.eq("pending"));
    let now = Utc::now();
    match outcome {
        Outcome::Delivered { status } => {
            diesel::update(target)
                .set((
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::last_status.eq(Some(status)),
                    webhook_deliveries::last_error.eq(None::<String>),
                    webhook_deliveries::delivered_at.eq(Some(now)),
                ))
                .execute(conn)
                .await?
        }
        Outcome::Failed {
            status,
            error,
            retry_at,
        } => {
            diesel::update(target)
                .set((
                    webhook_deliveries::status.eq(if retry_at.is_some() {
                        "pending"
                    } else {
                        "failed"
                    }),
                    webhook_deliveries::last_status.eq(status),
                    webhook_deliveries::last_error.eq(Some(error)),
                    webhook_deliveries::next_attempt_at.eq(retry_at.unwrap_or(now)),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// When the next pending delivery falls due, if any is pending.
pub async fn next_due(conn: &mut AsyncPgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    webhook_deliveries::table
        .filter(partial::pending())
        .select(diesel::dsl::min(webhook_deliveries::next_attempt_at))
        .first(conn)
        .await
}
