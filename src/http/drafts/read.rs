//! GET /drafts, /drafts/{id} and /tasks: drafts as the caller may see them.

use actix_web::get;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::with_etag;
use crate::auth::{AuthUser, TokenHolder};
use crate::domain::vocabulary::{RiskLevel, Stage, Status};
use crate::drafts::reads;
use crate::drafts::views::{DraftSummary, DraftView};
use crate::http::error::{ApiError, Problem};
use crate::http::pagination::{self, Page};
use crate::http::problems::{FindErrors, ListErrors};
use crate::http::users::ListQuery;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DraftListQuery {
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    #[param(pattern = "^[a-z0-9_-]{1,32}$")]
    pub channel: Option<String>,
    pub author_id: Option<Uuid>,
    /// The current stage (drafts in review).
    #[param(value_type = Option<Stage>)]
    pub stage: Option<String>,
    #[param(value_type = Option<RiskLevel>)]
    pub risk_level: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[utoipa::path(operation_id = "list_drafts", tag = "drafts", security(("bearer" = [])), params(DraftListQuery),
    description = "Only drafts visible to the caller: their own; those covered by their signing or publisher grants; all for auditors. Admins see none. Newest first.",
    responses(
        (status = 200, body = Page<DraftSummary>),
        ListErrors,
    ))]
#[get("/drafts")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DraftListQuery>,
) -> Result<web::Json<Page<DraftSummary>>, ApiError> {
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let after = pagination::decode_time_cursor(q.cursor.as_deref())?;
    let filter = reads::filter(q.status, q.channel, q.author_id, q.stage, q.risk_level)?;
    let items = reads::page(&state, &user, &filter, after, limit + 1).await?;
    Ok(web::Json(pagination::page_of(
        items,
        limit,
        |d| pagination::encode_time_cursor(d.created_at, d.id),
        |d| d,
    )))
}

#[utoipa::path(operation_id = "get_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    description = "The draft with its current revision, workflow and the sign-offs on the current revision.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("SubmitDraft" = (operation_id = "submit_draft", parameters(("id" = "$response.body#/id")), request_body = json!({"content_hash": "$response.body#/content_hash"}))), ("ApproveStage" = (operation_id = "approve_stage", parameters(("id" = "$response.body#/id")), request_body = json!({"stage": "$response.body#/current_stage", "content_hash": "$response.body#/content_hash", "checks": ["political", "legal", "policy", "secrecy", "language", "public_opinion"]}))), ("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        FindErrors,
        (status = 404, description = "No such draft, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/drafts/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    holder: TokenHolder,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let draft = reads::get_as(&state, &holder, *id).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &draft))
}

#[utoipa::path(tag = "drafts", security(("bearer" = [])), params(ListQuery),
    description = "Drafts with an open stage the caller may sign now, themselves or for a principal whose delegation is in force (eligibility and separation of duties applied): soonest due first (`due_at`, none last), then oldest; `overdue` marks a step past its deadline.",
    responses(
        (status = 200, body = Page<DraftSummary>),
        ListErrors,
    ))]
#[get("/tasks")]
pub async fn tasks(
    state: web::Data<AppState>,
    holder: TokenHolder,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<DraftSummary>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_task_cursor(query.cursor.as_deref())?;
    let items = reads::tasks(&state, &holder, after, limit + 1).await?;
    Ok(web::Json(pagination::page_of(
        items,
        limit,
        |d| pagination::encode_task_cursor(d.due_at, d.updated_at, d.id),
        |d| d,
    )))
}
