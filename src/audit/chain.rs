// TEMPORARY STUB until the helper delivers the real chain.
use serde::Serialize;
use uuid::Uuid;
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub occurred_at: String,
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
pub fn event_hash(_e: &AuditEvent) -> String {
    "0".repeat(64)
}
pub fn format_occurred_at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
