//! Department quotas (信息报送任务, SPEC §9): the monthly number of items a
//! department is asked to report, which the bulletin holds published
//! items against. Each setting is kept, so past bulletins keep theirs.

use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::connect;
use crate::db::reports as sql;
use crate::error::ApiError;
use crate::state::AppState;

pub const MAX_MONTHLY_ITEMS: i64 = 1000;

/// Sets the quota of `department` (admin), with event `quota_changed`
/// carrying the quota it replaced (`null` if none) and the new one.
pub async fn set_quota(
    state: &AppState,
    admin: &AuthUser,
    department: Uuid,
    monthly_items: i64,
) -> Result<i32, ApiError> {
    let items = i32::try_from(monthly_items)
        .ok()
        .filter(|n| (0..=MAX_MONTHLY_ITEMS).contains(&i64::from(*n)))
        .ok_or_else(|| ApiError::validation("monthly_items", "must be 0–1000"))?;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        if !sql::lock_department(conn, department).await? {
            return Err(ApiError::NotFound);
        }
        let before = sql::current_quota(conn, department).await?;
        sql::insert_quota(conn, department, items, admin.user_id).await?;
        let event = NewEvent::new("quota_changed", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("department_id", department.to_string())
            .with("from", before)
            .with("to", items);
        append(conn, event).await?;
        Ok(items)
    })
    .await
}
