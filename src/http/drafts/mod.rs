//! /drafts and /tasks, one file per endpoint or small group: create, read
//! (list, one, tasks), edit, the six-stage actions, revisions and diff,
//! comments, and the approval sheet. Here: what they share.

pub mod actions;
pub mod comments;
pub mod corrections;
pub mod create;
pub mod edit;
pub mod read;
pub mod revisions;
pub mod risk;
pub mod sheet;
pub mod trail;

use actix_web::HttpResponse;
use actix_web::http::header;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::content::{FieldError, Remark};
use crate::domain::content_hash::ContentHash;
use crate::drafts::reads;
use crate::drafts::views::DraftView;
use crate::http::error::{ApiError, FieldProblem};
use crate::state::AppState;

fn problems(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(errors.into_iter().map(FieldProblem::from).collect())
}

pub(crate) fn remark(field: &'static str, text: String) -> Result<Remark, ApiError> {
    Remark::parse(field, text).map_err(|e| problems(vec![e]))
}

pub(crate) fn hash_field(field: &'static str, value: &str) -> Result<ContentHash, ApiError> {
    ContentHash::parse(value)
        .ok_or_else(|| ApiError::validation(field, "must be 64 lowercase hex digits"))
}

/// The `ETag` header of a draft whose current content is `content_hash`.
pub fn etag(content_hash: &str) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{content_hash}\""))
}

/// A draft with its `ETag: "<content_hash>"`.
pub fn with_etag(status: actix_web::http::StatusCode, draft: &DraftView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(&draft.content_hash))
        .json(draft)
}

pub async fn respond(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    Ok(with_etag(status, &reads::get(state, user, id).await?))
}
