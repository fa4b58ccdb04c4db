//! A draft's comments.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::content::Remark;
use crate::drafts::comments as commenting;
use crate::drafts::reads;
use crate::drafts::views::CommentView;
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::pagination::{self, Page};
use crate::http::problems::{ReadErrors, UpdateErrors};
use crate::http::users::ListQuery;
use crate::state::AppState;

#[utoipa::path(tag = "drafts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ListQuery), description = "Oldest first.",
    responses(
        (status = 200, body = Page<CommentView>),
        ReadErrors,
    ))]
#[get("/drafts/{id}/comments")]
pub async fn comments(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<CommentView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_time_cursor(query.cursor.as_deref())?;
    let rows = reads::comments(&state, &user, *id, after, limit + 1).await?;
    Ok(web::Json(pagination::page_of(
        rows,
        limit,
        |(c, _)| pagination::encode_time_cursor(c.created_at, c.id),
        |(c, name)| CommentView::new(c, name),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// 1–2000 characters.
    #[schema(
        example = "第三段数据请再核对一次来源。",
        min_length = 1,
        max_length = 2000
    )]
    pub body: String,
}

#[utoipa::path(tag = "drafts", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CommentRequest,
    description = "The author, and holders of signing or publisher grants covering the draft. Auditors read only.",
    responses(
        (status = 201, body = CommentView),
        UpdateErrors,
    ))]
#[post("/drafts/{id}/comments")]
pub async fn add_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let text =
        Remark::parse("body", body.0.body).map_err(|e| ApiError::Validation(vec![e.into()]))?;
    let row = commenting::comment(&state, &user, *id, text).await?;
    Ok(HttpResponse::Created().json(CommentView::new(row, user.username.clone())))
}
