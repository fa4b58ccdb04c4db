//! /users/{id}/grants (admin only): listing, granting and revoking roles.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::grants::{self, GrantInput};
use crate::accounts::users as accounts;
use crate::auth::AuthUser;
use crate::domain::vocabulary::Role;
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::problems::{AdminFindErrors, WriteErrors};
use crate::http::users::GrantView;
use crate::state::AppState;

#[utoipa::path(tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), description = "Requires `admin`.",
    responses(
        (status = 200, body = Vec<GrantView>),
        AdminFindErrors,
    ))]
#[get("/users/{id}/grants")]
pub async fn list_grants(
    state: web::Data<AppState>,
    admin: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<GrantView>>, ApiError> {
    let rows = accounts::grants(&state, &admin, *id).await?;
    let grants = rows.into_iter().map(GrantView::try_from);
    Ok(web::Json(grants.collect::<Result<_, _>>()?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantRequest {
    /// One of the ten roles.
    #[schema(value_type = Role, example = "review_2")]
    pub role: String,
    #[schema(example = "portal", pattern = "^[a-z0-9_-]{1,32}$")]
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
}

#[utoipa::path(tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreateGrantRequest,
    description = "Requires `admin`. A user may not hold both `admin` and `auditor` (403 separation_of_duties).",
    responses(
        (status = 201, body = GrantView),
        WriteErrors,
        (status = 409, description = "The user already holds this grant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown role, channel or department", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/users/{id}/grants")]
pub async fn create_grant(
    state: web::Data<AppState>,
    admin: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<CreateGrantRequest>,
) -> Result<HttpResponse, ApiError> {
    admin.require(Role::Admin)?;
    let b = body.0;
    let row = grants::grant(
        &state,
        &admin,
        *id,
        GrantInput {
            role: b.role,
            channel: b.channel,
            department_id: b.department_id,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(GrantView::try_from(row)?))
}

#[utoipa::path(tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("grant_id" = Uuid, Path)), description = "Requires `admin`.",
    responses(
        (status = 204, description = "Revoked"),
        AdminFindErrors,
    ))]
#[delete("/users/{id}/grants/{grant_id}")]
pub async fn delete_grant(
    state: web::Data<AppState>,
    admin: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    admin.require(Role::Admin)?;
    let (user_id, grant_id) = path.into_inner();
    grants::revoke(&state, &admin, user_id, grant_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
