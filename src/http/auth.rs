//! /auth/* and /me: logging in and out, refreshing, one's own account.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::users as accounts;
use crate::auth::AuthUser;
use crate::auth::sessions::{self, TokenPair};
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::problems::{AuthErrors, JsonErrors};
use crate::http::request_id::RequestMeta;
use crate::http::users::{GrantView, UserView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "zhang.wei")]
    pub username: String,
    #[schema(example = "长城长江黄河泰山2026")]
    pub password: String,
}

#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        JsonErrors,
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown user or wrong password (one answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Throttled; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many logins waiting for the password check (code `unavailable`); nothing was recorded, retry after Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ApiJson<LoginRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    let ApiJson(LoginRequest { username, password }) = body;
    Ok(web::Json(
        sessions::login(&state, &meta.origin(), &username, password).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[utoipa::path(tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the old refresh token is spent", body = TokenPair),
        JsonErrors,
        (status = 401, description = "Unknown, expired or spent refresh token (a spent one revokes its session)", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ApiJson<RefreshRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    Ok(web::Json(
        sessions::refresh(&state, &meta.origin(), &body.0.refresh_token).await?,
    ))
}

#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "The session's access and refresh tokens stop working at once"),
        AuthErrors,
    ))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    sessions::logout(&state, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: Uuid,
    #[schema(example = "news")]
    pub code: String,
    #[schema(example = "新闻科")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    pub department: Option<DepartmentRef>,
    pub grants: Vec<GrantView>,
}

#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller, with department and grants", body = MeView),
        AuthErrors,
    ))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<MeView>, ApiError> {
    let (row, department) = accounts::me(&state, &user).await?;
    Ok(web::Json(MeView {
        user: UserView::from(row),
        department: department.map(|d| DepartmentRef {
            id: d.id,
            code: d.code,
            name: d.name,
        }),
        grants: user
            .grants
            .into_iter()
            .map(GrantView::try_from)
            .collect::<Result<_, _>>()?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 12–128 characters, taken exactly as sent; not a common password.
    #[schema(
        example = "春眠不觉晓处处闻啼鸟夜来风雨声",
        min_length = 12,
        max_length = 128
    )]
    pub new_password: String,
}

#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; the caller's other sessions are revoked"),
        JsonErrors,
        (status = 422, description = "Current password wrong, or new one breaks the rules", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ApiJson(ChangePasswordRequest {
        current_password,
        new_password,
    }) = body;
    sessions::change_own_password(&state, &user, current_password, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
