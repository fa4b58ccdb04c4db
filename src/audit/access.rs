//! Auditors are audited too: every `/audit/*` call records who pulled what.
//!
//! The record commits in its own transaction before any data leaves the
//! server, so a read that returned something always left its trace, even if
//! the client disconnects halfway through an export.

use diesel_async::AsyncConnection;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::chainer::{BATCH, chain_batch};
use crate::db::connect;
use crate::domain::audit_chain::AuditEvent;
use crate::error::ApiError;
use crate::state::AppState;

/// Appends `action` by `auditor` with `detail`, chains it together with
/// everything committed before it, and commits: what the caller reads next
/// includes every committed change and this record, which it returns.
pub async fn record(
    state: &AppState,
    auditor: &AuthUser,
    action: &'static str,
    detail: serde_json::Map<String, serde_json::Value>,
) -> Result<AuditEvent, ApiError> {
    let mut event = NewEvent::new(action, &auditor.origin).by(auditor.user_id, &auditor.username);
    event.detail = detail;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let mine = append(conn, event).await?;
        let mut found = None;
        loop {
            let batch = chain_batch(conn).await?;
            let full = batch.len() as i64 == BATCH;
            found = found.or_else(|| batch.into_iter().find(|(id, _)| *id == mine));
            if !full {
                break;
            }
        }
        found.map(|(_, e)| e).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "audit event {mine} was not chained by its own transaction"
            ))
        })
    })
    .await
}
