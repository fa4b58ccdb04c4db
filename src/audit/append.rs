//! Appends one event to the chain inside the caller's transaction.
//!
//! The head row is locked `FOR UPDATE`, so appends from every process
//! serialize there: seq stays gapless and the chain cannot fork. Callers
//! append last, just before commit, to hold that lock as briefly as possible.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::chain::{AuditEvent, event_hash, format_occurred_at};
use crate::db::schema::{audit_events, audit_head};

/// What happened, by whom, from where; the chain fields are filled in by `append`.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub action: &'static str,
    pub actor_id: Option<Uuid>,
    pub actor: Option<String>,
    pub draft_id: Option<Uuid>,
    pub revision: Option<i32>,
    pub content_hash: Option<String>,
    pub stage: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: serde_json::Map<String, serde_json::Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// Where a request came from, as the trail records it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl NewEvent {
    pub fn new(action: &'static str, origin: &Origin) -> NewEvent {
        NewEvent {
            action,
            ip: origin.ip.clone(),
            request_id: origin.request_id.clone(),
            ..NewEvent::default()
        }
    }

    pub fn by(mut self, actor_id: Uuid, username: &str) -> NewEvent {
        self.actor_id = Some(actor_id);
        self.actor = Some(username.to_string());
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> NewEvent {
        self.detail.insert(key.to_string(), value.into());
        self
    }

    pub fn on_draft(mut self, draft_id: Uuid, revision: i32, content_hash: &str) -> NewEvent {
        self.draft_id = Some(draft_id);
        self.revision = Some(revision);
        self.content_hash = Some(content_hash.to_string());
        self
    }

    pub fn transition(mut self, from: &str, to: &str) -> NewEvent {
        self.from_status = Some(from.to_string());
        self.to_status = Some(to.to_string());
        self
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct EventRow<'a> {
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

/// Must run inside a transaction: the event commits or rolls back with the change.
pub async fn append(conn: &mut AsyncPgConnection, new: NewEvent) -> QueryResult<AuditEvent> {
    let (head_seq, head_hash): (i64, String) = audit_head::table
        .select((audit_head::seq, audit_head::hash))
        .for_update()
        .first(conn)
        .await?;
    // Microseconds are what PostgreSQL stores, so the hashed text and the
    // stored timestamp round-trip exactly.
    let at = Utc::now().trunc_subsecs(6);
    let mut event = AuditEvent {
        seq: head_seq + 1,
        occurred_at: format_occurred_at(at),
        actor_id: new.actor_id,
        actor: new.actor,
        action: new.action.to_string(),
        draft_id: new.draft_id,
        revision: new.revision,
        content_hash: new.content_hash,
        stage: new.stage,
        from_status: new.from_status,
        to_status: new.to_status,
        detail: serde_json::Value::Object(new.detail),
        ip: new.ip,
        request_id: new.request_id,
        prev_hash: head_hash,
        hash: String::new(),
    };
    event.hash = event_hash(&event);
    diesel::insert_into(audit_events::table)
        .values(EventRow {
            seq: event.seq,
            occurred_at: at,
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
        })
        .execute(conn)
        .await?;
    diesel::update(audit_head::table)
        .set((
            audit_head::seq.eq(event.seq),
            audit_head::hash.eq(&event.hash),
        ))
        .execute(conn)
        .await?;
    Ok(event)
}
