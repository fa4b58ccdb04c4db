//! The stored trail read back: the filters of `/audit/events` and keyset
//! pages by `seq` (the query itself is `event_lists`, where tests EXPLAIN it).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::event_lists::{self, Selection};
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
    let selection = Selection {
        after: window.after,
        through: window.through,
        draft_id: filter.draft_id,
        actor_id: filter.actor_id,
        action: filter.action.clone(),
        since: filter.since,
        until: filter.until,
    };
    event_lists::page(conn, &selection, limit).await
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
