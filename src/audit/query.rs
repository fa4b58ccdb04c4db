//! `GET /audit/events`: the read is itself recorded, then the page is read
//! (the query is `db::audit_events`).

use serde_json::{Map, Value};

use crate::audit::access;
use crate::auth::AuthUser;
pub use crate::db::audit_events::{EventFilter, Window, page};
use crate::db::connect;
use crate::domain::audit_chain::AuditEvent;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /audit/events`: records the read, then returns up to `limit + 1`
/// events after the cursor (the extra one only says another page exists).
pub async fn read(
    state: &AppState,
    auditor: &AuthUser,
    filter: &EventFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, ApiError> {
    let mut detail = Map::new();
    detail.insert("filters".into(), Value::Object(filter.describe()));
    detail.insert("limit".into(), limit.into());
    detail.insert("after_seq".into(), after.into());
    access::record(state, auditor, "audit_events_read", detail).await?;
    let mut conn = connect(&state.pool).await?;
    let window = Window {
        after,
        through: None,
    };
    Ok(page(&mut conn, filter, window, limit + 1).await?)
}
