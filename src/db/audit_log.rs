//! Records one event inside the caller's transaction, unchained: no global
//! lock is taken here, so changes to different drafts do not queue behind
//! each other. `chainer` gives it its seq and hash once it has committed.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::fixed_text::prebuilt;
use crate::db::schema::audit_pending;
use crate::db::webhooks;
use crate::domain::webhook_format::announced;

/// What happened, by whom, from where; the chain fields are filled in by the chainer.
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
#[diesel(table_name = audit_pending)]
// None is NULL, not DEFAULT: a fixed statement text, prepared once per
// connection (diesel caches no statement holding DEFAULT).
#[diesel(treat_none_as_default_value = false)]
struct PendingRow<'a> {
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
}

/// Must run inside a transaction: the event commits or rolls back with the
/// change. It waits in `audit_pending` until the chainer links it (usually
/// within milliseconds of the commit; audit reads chain first, so they
/// never miss a committed event). Returns its place in the queue.
///
/// The webhook outbox rows the event announces (SPEC §8) are written here
/// too, so they commit or roll back with the change like the event.
pub async fn append(conn: &AsyncPgConnection, mut new: NewEvent) -> QueryResult<i64> {
    // Microseconds are what PostgreSQL stores, so the hashed text and the
    // stored timestamp round-trip exactly.
    let at = Utc::now().trunc_subsecs(6);
    let announcements = announced(new.action, new.stage.as_deref(), &new.detail);
    let detail = serde_json::Value::Object(std::mem::take(&mut new.detail));
    // The outbox rows and the event are independent: sent together, one
    // round trip.
    let queued = async {
        let mut conn = conn;
        let row = PendingRow {
            occurred_at: at,
            actor_id: new.actor_id,
            actor: new.actor.as_deref(),
            action: new.action,
            draft_id: new.draft_id,
            revision: new.revision,
            content_hash: new.content_hash.as_deref(),
            stage: new.stage.as_deref(),
            from_status: new.from_status.as_deref(),
            to_status: new.to_status.as_deref(),
            detail: &detail,
            ip: new.ip.as_deref(),
            request_id: new.request_id.as_deref(),
        };
        prebuilt!(
            diesel::insert_into(audit_pending::table)
                .values(row)
                .returning(audit_pending::id)
        )
        .get_result(&mut conn)
        .await
    };
    let (_, id) = futures_util::try_join!(webhooks::enqueue(conn, &new, announcements), queued)?;
    Ok(id)
}
