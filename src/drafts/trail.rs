//! The approval sheet (审核签发单) and the events of one draft.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::chain::{AuditEvent, format_occurred_at};
use crate::db::schema::audit_events;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct EventRow {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor: Option<String>,
    pub action: String,
    pub draft_id: Option<Uuid>,
    pub revision: Option<i32>,
    pub content_hash: Option<String>,
    pub stage: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> Self {
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

/// Every event of one draft, in chain order (at most `cap`).
pub async fn events_of(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    cap: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let rows: Vec<EventRow> = audit_events::table
        .filter(audit_events::draft_id.eq(draft_id))
        .order(audit_events::seq.asc())
        .select(EventRow::as_select())
        .limit(cap)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}
