//! Pages of the audit trail, oldest first, under the filters of
//! `GET /audit/events`, the trail, the lookup, the export and the
//! verification. The query is built apart from running it, so that a test
//! can EXPLAIN exactly what the server sends (tests/api/plans.rs).

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::page_limit::{Limited, limited};
use crate::db::schema::audit_events;
use crate::domain::audit_chain::{AuditEvent, format_occurred_at};

/// Which events: a window of `seq` and the filters. `since` is inclusive,
/// `until` exclusive.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub after: Option<i64>,
    pub through: Option<i64>,
    pub draft_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// A stored event. `occurred_at` comes back as the timestamp that was
/// stored; formatting it the way `append` did gives back the hashed text.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct EventRecord {
    seq: i64,
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
    detail: Value,
    ip: Option<String>,
    request_id: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<EventRecord> for AuditEvent {
    fn from(r: EventRecord) -> Self {
        AuditEvent {
            seq: r.seq,
            occurred_at: format_occurred_at(r.occurred_at),
            actor_id: r.actor_id,
            actor: r.actor,
            action: r.action,
            draft_id: r.draft_id,
            revision: r.revision,
            content_hash: r.content_hash,
            stage: r.stage,
            from_status: r.from_status,
            to_status: r.to_status,
            detail: r.detail,
            ip: r.ip,
            request_id: r.request_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

pub type BoxedEvents<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<audit_events::table, diesel::dsl::AsSelect<EventRecord, Pg>>,
    Pg,
>;

/// The query for up to `limit` selected events, oldest first.
pub fn page_query(s: &Selection, limit: i64) -> Limited<BoxedEvents<'static>> {
    let mut query = audit_events::table
        .select(EventRecord::as_select())
        .into_boxed();
    if let Some(after) = s.after {
        query = query.filter(audit_events::seq.gt(after));
    }
    if let Some(through) = s.through {
        query = query.filter(audit_events::seq.le(through));
    }
    if let Some(id) = s.draft_id {
        query = query.filter(audit_events::draft_id.eq(id));
    }
    if let Some(id) = s.actor_id {
        query = query.filter(audit_events::actor_id.eq(id));
    }
    if let Some(action) = &s.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(since) = s.since {
        query = query.filter(audit_events::occurred_at.ge(since));
    }
    if let Some(until) = s.until {
        query = query.filter(audit_events::occurred_at.lt(until));
    }
    limited(query.order(audit_events::seq.asc()), limit)
}

/// Bounds on `seq` that hold the time window, from two probes of the time
/// index and the head's `max_lag` (migration audit_time_window): an event
/// recorded more than `max_lag` before `since` was chained before every
/// event recorded at or after it, and one recorded `max_lag` or more after
/// `until` after every event recorded before it.
#[derive(QueryableByName)]
struct SeqBounds {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    below: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    above: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    head: i64,
}

const SEQ_BOUNDS: &str = "
SELECT (SELECT seq FROM audit_events
         WHERE $1::timestamptz IS NOT NULL AND occurred_at < $1 - h.max_lag
         ORDER BY occurred_at DESC LIMIT 1) AS below,
       (SELECT seq FROM audit_events
         WHERE $2::timestamptz IS NOT NULL AND occurred_at >= $2 + h.max_lag
         ORDER BY occurred_at LIMIT 1) AS above,
       h.seq AS head
  FROM audit_head h";

/// A time window as the seq range that holds it: `after` and `through`
/// narrowed to it (never widened), `through` at most the head.
pub async fn narrow(conn: &mut AsyncPgConnection, s: &Selection) -> QueryResult<Selection> {
    use diesel::sql_types::{Nullable, Timestamptz};
    let bounds: SeqBounds = diesel::sql_query(SEQ_BOUNDS)
        .bind::<Nullable<Timestamptz>, _>(s.since)
        .bind::<Nullable<Timestamptz>, _>(s.until)
        .get_result(conn)
        .await?;
    let mut out = s.clone();
    if let Some(below) = bounds.below {
        out.after = Some(out.after.map_or(below, |a| a.max(below)));
    }
    let last = bounds.above.map_or(bounds.head, |above| above - 1);
    out.through = Some(out.through.map_or(last, |t| t.min(last)));
    Ok(out)
}

/// Up to `limit` selected events, oldest first. A time window is read
/// along its seq range in growing spans (4 pages' worth of seq first, then
/// twice as many each time), each its own query: the planner, which
/// cannot know that seq and time rise together, otherwise read a whole
/// week by time and sorted it (96,000 events at a large office's scale)
/// for a page of 50.
pub async fn page(
    conn: &mut AsyncPgConnection,
    s: &Selection,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    if s.since.is_none() && s.until.is_none() {
        let query = page_query(s, limit);
        let wanted = query.wanted();
        let mut rows: Vec<EventRecord> = query.load(conn).await?;
        rows.truncate(wanted);
        return Ok(rows.into_iter().map(AuditEvent::from).collect());
    }
    let range = narrow(conn, s).await?;
    let end = range.through.unwrap_or(i64::MAX);
    let mut from = range.after.unwrap_or(0);
    let mut span = limit.saturating_mul(4).max(64);
    let mut out = Vec::new();
    while from < end && (out.len() as i64) < limit {
        let to = from.saturating_add(span).min(end);
        let part = Selection {
            after: Some(from),
            through: Some(to),
            ..range.clone()
        };
        let query = page_query(&part, limit - out.len() as i64);
        let wanted = query.wanted();
        let mut rows: Vec<EventRecord> = query.load(conn).await?;
        rows.truncate(wanted);
        out.extend(rows.into_iter().map(AuditEvent::from));
        from = to;
        span = span.saturating_mul(2);
    }
    Ok(out)
}
