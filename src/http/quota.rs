//! PUT /departments/{id}/quota (admin): a department's monthly quota of
//! items (信息报送任务, SPEC §9), which the bulletin ranks against.

use actix_web::{put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::vocabulary::Role;
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::problems::UpdateErrors;
use crate::reports::quota;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaRequest {
    /// Items a month, 0–1000.
    #[schema(minimum = 0, maximum = 1000, example = 8)]
    #[serde(deserialize_with = "crate::domain::whole_number::required")]
    pub monthly_items: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaView {
    pub department_id: Uuid,
    pub monthly_items: i32,
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = QuotaRequest,
    description = "Requires `admin`. Sets the department's monthly quota from now on (earlier \
        months' bulletins keep the quota then in force) and records `quota_changed` with the \
        quota replaced (`from`, null if none) and the new one (`to`).",
    responses(
        (status = 200, body = QuotaView),
        UpdateErrors,
    ))]
#[put("/departments/{id}/quota")]
pub async fn set_quota(
    state: web::Data<AppState>,
    admin: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<QuotaRequest>,
) -> Result<web::Json<QuotaView>, ApiError> {
    admin.require(Role::Admin)?;
    let department_id = id.into_inner();
    let monthly_items =
        quota::set_quota(&state, &admin, department_id, body.0.monthly_items).await?;
    Ok(web::Json(QuotaView {
        department_id,
        monthly_items,
    }))
}
