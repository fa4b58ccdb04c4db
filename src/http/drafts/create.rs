//! POST /drafts: a new draft at revision 1.

use actix_web::http::header;
use actix_web::post;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{problems, respond};
use crate::auth::AuthUser;
use crate::domain::content::{Content, FieldError, Source};
use crate::domain::vocabulary::{Format, RiskLevel};
use crate::drafts::authoring;
use crate::drafts::views::DraftView;
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::problems::CreateErrors;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDraftRequest {
    #[schema(example = "wechat_official", pattern = "^[a-z0-9_-]{1,32}$")]
    pub channel: String,
    /// 1–200 characters.
    #[schema(
        example = "关于开展2026年度安全生产检查的通知",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    /// 1–200 000 characters.
    #[schema(
        example = "各科室：\n根据上级部署，现就开展年度安全生产检查通知如下……",
        min_length = 1,
        max_length = 200000
    )]
    pub body: String,
    #[schema(value_type = Format, example = "markdown")]
    pub format: String,
    /// 0–120 characters (WeChat's digest limit); default "".
    #[schema(example = "各科室于12月15日前完成自查", max_length = 120)]
    pub summary: Option<String>,
    /// normal (普通, default), important (重要) or sensitive (敏感).
    #[schema(value_type = Option<RiskLevel>, example = "important")]
    pub risk_level: Option<String>,
    /// 来源: original (原创, default) or a reprint (转载) naming its origin.
    pub source: Option<SourceRequest>,
}

/// `{"kind":"original"}` or `{"kind":"reprint","origin":"…"}` (SPEC §7).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRequest {
    #[schema(example = "reprint", pattern = "^(original|reprint)$")]
    pub kind: String,
    /// Required for a reprint, 1–200 characters; absent for an original.
    #[schema(example = "新华社", min_length = 1, max_length = 200)]
    pub origin: Option<String>,
}

impl SourceRequest {
    pub fn parse(self) -> Result<Source, FieldError> {
        Source::parse(&self.kind, self.origin)
    }
}

#[utoipa::path(operation_id = "create_draft", tag = "drafts", security(("bearer" = [])), request_body = CreateDraftRequest,
    description = "Requires `editor` (scoped grants must cover the channel and the author's department). Creates revision 1.",
    responses(
        (status = 201, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("GetDraft" = (operation_id = "get_draft", parameters(("id" = "$response.body#/id")))), ("SubmitDraft" = (operation_id = "submit_draft", parameters(("id" = "$response.body#/id")), request_body = json!({"content_hash": "$response.body#/content_hash"}))), ("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        CreateErrors,
    ))]
#[post("/drafts")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateDraftRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let risk = match b.risk_level.as_deref() {
        None => Ok(RiskLevel::Normal),
        Some(r) => RiskLevel::parse(r).ok_or_else(|| FieldError {
            field: "risk_level",
            message: "must be normal, important or sensitive".into(),
        }),
    };
    let source = b.source.map_or(Ok(Source::Original), SourceRequest::parse);
    let content = Content::parse(b.title, b.summary, b.body, &b.format);
    let (content, risk, source) = match (content, risk, source) {
        (Ok(c), Ok(r), Ok(s)) => (c, r, s),
        (c, r, s) => {
            return Err(problems(
                c.err()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(r.err())
                    .chain(s.err())
                    .collect(),
            ));
        }
    };
    let id = authoring::create(&state, &user, &b.channel, content, risk, &source).await?;
    let response = respond(&state, &user, id, actix_web::http::StatusCode::CREATED).await?;
    let mut response = response;
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/drafts/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
