//! PUT /drafts/{id}/content: a new revision, guarded by If-Match.

use actix_web::http::header;
use actix_web::put;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{problems, respond};
use crate::auth::AuthUser;
use crate::domain::content::Content;
use crate::domain::content_hash::ContentHash;
use crate::domain::vocabulary::Format;
use crate::drafts::authoring;
use crate::drafts::views::DraftView;
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::problems::WriteErrors;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentRequest {
    #[schema(
        example = "关于开展2026年度安全生产检查的通知（修订）",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    #[schema(
        example = "各科室：\n根据上级部署，现就开展年度安全生产检查通知如下……",
        min_length = 1,
        max_length = 200000
    )]
    pub body: String,
    #[schema(value_type = Format, example = "markdown")]
    pub format: String,
    #[schema(example = "各科室于12月20日前完成自查", max_length = 120)]
    pub summary: Option<String>,
    /// 来源; absent keeps the draft's source. Not part of content_hash: a
    /// change of source alone makes no revision.
    pub source: Option<super::create::SourceRequest>,
}

#[utoipa::path(operation_id = "edit_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path),
        ("If-Match" = String, Header, description = "\"<content_hash>\" of the revision being replaced")),
    request_body = ContentRequest,
    description = "The author, while `draft` or `returned`: a new revision. Identical content makes none.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("SubmitDraft" = (operation_id = "submit_draft", parameters(("id" = "$response.body#/id")), request_body = json!({"content_hash": "$response.body#/content_hash"}))))),
        WriteErrors,
        (status = 409, description = "Not editable in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is not the current content_hash", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
#[put("/drafts/{id}/content")]
pub async fn edit(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ApiJson<ContentRequest>,
) -> Result<HttpResponse, ApiError> {
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    // A malformed or weak tag can match nothing.
    let if_match = if_match
        .to_str()
        .ok()
        .and_then(ContentHash::parse_etag)
        .ok_or(ApiError::PreconditionFailed)?;
    let b = body.0;
    let source = b.source.map(|s| s.parse()).transpose();
    let content = Content::parse(b.title, b.summary, b.body, &b.format);
    let (content, source) = match (content, source) {
        (Ok(c), Ok(s)) => (c, s),
        (c, s) => {
            return Err(problems(
                c.err()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(s.err())
                    .collect(),
            ));
        }
    };
    authoring::edit(&state, &user, *id, &if_match, content, source.as_ref()).await?;
    respond(&state, &user, *id, actix_web::http::StatusCode::OK).await
}
