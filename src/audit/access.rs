//! Auditors are audited too: every `/audit/*` call records who pulled what.
//!
//! The record commits in its own transaction before any data leaves the
//! server, so a read that returned something always left its trace, even if
//! the client disconnects halfway through an export.

use diesel_async::AsyncConnection;

use crate::audit::chain::AuditEvent;
use crate::audit::{NewEvent, append};
use crate::auth::AuthUser;
use crate::db::connect;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Appends `action` by `auditor` with `detail` and commits it.
pub async fn record(
    state: &AppState,
    auditor: &AuthUser,
    action: &'static str,
    detail: serde_json::Map<String, serde_json::Value>,
) -> Result<AuditEvent, ApiError> {
    let mut event = NewEvent::new(action, &auditor.origin).by(auditor.user_id, &auditor.username);
    event.detail = detail;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| Ok(append(conn, event).await?))
        .await
}
