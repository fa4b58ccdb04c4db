//! The stored trail read back: filters, keyset pages by `seq`, and rows
//! turned into events in exactly the form that was hashed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::schema::audit_events;
use crate::domain::audit_chain::{AuditEvent, format_occurred_at};

/// Which events to read. `since` is inclusive and `until` exclusive, so
/// consecutive windows neither overlap nor miss an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub draft_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl EventFilter {
    /// The filter as the auditor's own audit event records it: only what was set.
    pub fn describe(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                out.insert(key.into(), Value::String(v));
            }
        };
        put("draft_id", self.draft_id.map(|id| id.to_string()));
        put("actor_id", self.actor_id.map(|id| id.to_string()));
        put("action", self.action.clone());
        put("since", self.since.map(format_occurred_at));
        put("until", self.until.map(format_occurred_at));
        out
    }
}

/// A stored event. `occurred_at` comes back as the timestamp that was
/// stored; formatting it the way `append` did gives back the hashed text.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct EventRecord {
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

/// Where a page starts and stops in the chain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Only events with a greater seq (the cursor).
    pub after: Option<i64>,
    /// Only events up to this seq: pins a multi-page read to what existed
    /// when it began, so it ends even while the trail keeps growing.
    pub through: Option<i64>,
}

/// Up to `limit` matching events in the window, oldest first.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &EventFilter,
    window: Window,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(EventRecord::as_select())
        .into_boxed();
    if let Some(after) = window.after {
        query = query.filter(audit_events::seq.gt(after));
    }
    if let Some(through) = window.through {
        query = query.filter(audit_events::seq.le(through));
    }
    if let Some(id) = filter.draft_id {
        query = query.filter(audit_events::draft_id.eq(id));
    }
    if let Some(id) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(id));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::occurred_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::occurred_at.lt(until));
    }
    let rows: Vec<EventRecord> = query
        .order(audit_events::seq.asc())
        .limit(limit)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// The last linked event as `audit_head` witnesses it (seq, hash).
pub async fn head(conn: &mut AsyncPgConnection) -> QueryResult<Option<(i64, String)>> {
    use crate::db::schema::audit_head;
    audit_head::table
        .select((audit_head::seq, audit_head::hash))
        .first(conn)
        .await
        .optional()
}
