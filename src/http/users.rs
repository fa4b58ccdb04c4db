//! /users (admin only); the view of a grant, which /me shows too.

use actix_web::{HttpResponse, web};
use actix_web::{get, patch, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::users::{self as accounts, CreateUser};
use crate::auth::AuthUser;
use crate::db::users::{GrantRow, UserChanges, UserRow};
use crate::domain::vocabulary::Role;
use crate::error::stored;
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::pagination::{self, Page};
use crate::http::problems::{AdminFindErrors, AdminListErrors, CreateUniqueErrors, UpdateErrors};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "li.na")]
    pub username: String,
    #[schema(example = "李娜")]
    pub display_name: String,
    pub department_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> Self {
        UserView {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            department_id: r.department_id,
            disabled: r.disabled,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub id: Uuid,
    pub role: Role,
    /// The grant applies only to drafts of this channel; null for all.
    #[schema(example = "wechat_official")]
    pub channel: Option<String>,
    /// The grant applies only to drafts of this department; null for all.
    pub department_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<GrantRow> for GrantView {
    type Error = ApiError;

    fn try_from(g: GrantRow) -> Result<Self, ApiError> {
        Ok(GrantView {
            id: g.id,
            role: stored(Role::parse(&g.role), "grants.role", &g.role)?,
            channel: g.channel,
            department_id: g.department_id,
            created_at: g.created_at,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(example = "wang.fang", pattern = "^[A-Za-z0-9_.-]{3,64}$")]
    pub username: String,
    #[schema(example = "王芳", min_length = 1, max_length = 200)]
    pub display_name: String,
    /// 12–128 characters, taken exactly as sent; not a common password.
    #[schema(
        example = "白日依山尽黄河入海流欲穷千里目",
        min_length = 12,
        max_length = 128
    )]
    pub password: String,
    pub department_id: Option<Uuid>,
}

#[utoipa::path(operation_id = "create_user", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest,
    description = "Requires `admin`.",
    responses(
        (status = 201, body = UserView),
        CreateUniqueErrors,
        (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    admin: AuthUser,
    body: ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    admin.require(Role::Admin)?;
    let b = body.0;
    let input = CreateUser {
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        department_id: b.department_id,
    };
    let row = accounts::create(&state, &admin, input).await?;
    Ok(HttpResponse::Created().json(UserView::from(row)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(operation_id = "list_users", tag = "users", security(("bearer" = [])), params(ListQuery),
    description = "Requires `admin`. Ordered by creation.",
    responses(
        (status = 200, body = Page<UserView>),
        AdminListErrors,
    ))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    admin: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    admin.require(Role::Admin)?;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_time_cursor(query.cursor.as_deref())?;
    let rows = accounts::page(&state, &admin, after, limit + 1).await?;
    Ok(web::Json(pagination::page_of(
        rows,
        limit,
        |r| pagination::encode_time_cursor(r.created_at, r.id),
        UserView::from,
    )))
}

#[utoipa::path(operation_id = "get_user", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), description = "Requires `admin`.",
    responses(
        (status = 200, body = UserView),
        AdminFindErrors,
    ))]
#[get("/users/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    admin: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserView>, ApiError> {
    Ok(web::Json(accounts::get(&state, &admin, *id).await?.into()))
}

/// Distinguishes a field that is absent from one that is null.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(example = "王芳（新闻科）", min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    /// A department id, or null to clear it; leave out to keep it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub department_id: Option<Option<Uuid>>,
    /// Disabling also revokes the user's sessions at once.
    pub disabled: Option<bool>,
}

#[utoipa::path(tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateUserRequest, description = "Requires `admin`.",
    responses(
        (status = 200, body = UserView),
        UpdateErrors,
    ))]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    admin: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<web::Json<UserView>, ApiError> {
    admin.require(Role::Admin)?;
    let b = body.0;
    let changes = UserChanges {
        display_name: b.display_name,
        department_id: b.department_id,
        disabled: b.disabled,
    };
    Ok(web::Json(
        accounts::update(&state, &admin, *id, changes).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[schema(
        example = "床前明月光疑是地上霜举头望明月",
        min_length = 12,
        max_length = 128
    )]
    pub new_password: String,
}

#[utoipa::path(tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ResetPasswordRequest,
    description = "Requires `admin`. Revokes all of the user's sessions.",
    responses(
        (status = 204, description = "Reset"),
        UpdateErrors,
    ))]
#[post("/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    admin: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    admin.require(Role::Admin)?;
    accounts::reset_password(&state, &admin, *id, body.0.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
