//! POST /drafts/{id}/corrections: a correction (更正, SPEC §7) of a published item.

use actix_web::http::{StatusCode, header};
use actix_web::post;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{problems, respond};
use crate::auth::AuthUser;
use crate::domain::content::{Content, CorrectionNote, FieldError};
use crate::domain::vocabulary::{Format, RiskLevel};
use crate::drafts::corrections::{self, NewCorrection};
use crate::drafts::views::DraftView;
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::problems::WriteErrors;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    #[schema(
        example = "关于开展2026年度安全生产检查的通知（更正）",
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
    #[schema(example = "各科室于12月15日前完成自查", max_length = 120)]
    pub summary: Option<String>,
    /// 更正说明: what was wrong, 1–500 characters.
    #[schema(
        example = "原文第二段日期有误，应为12月15日。",
        min_length = 1,
        max_length = 500
    )]
    pub note: String,
    /// Default the corrected item's; never lower.
    #[schema(value_type = Option<RiskLevel>, example = "important")]
    pub risk_level: Option<String>,
}

#[utoipa::path(operation_id = "correct_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CorrectionRequest,
    description = "The author or a `publisher` of the channel, on a `published` item: a new draft (the caller its author) with `corrects`, in the item's channel, department and source, at least its risk level. It runs the whole route; when it is published the item becomes `corrected` with `corrected_by`. One open correction per item (409 `conflict`).",
    responses(
        (status = 201, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("SubmitDraft" = (operation_id = "submit_draft", parameters(("id" = "$response.body#/id")), request_body = json!({"content_hash": "$response.body#/content_hash"}))))),
        WriteErrors,
    ))]
#[post("/drafts/{id}/corrections")]
pub async fn correct(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<CorrectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let risk = b
        .risk_level
        .as_deref()
        .map(|r| {
            RiskLevel::parse(r).ok_or_else(|| FieldError {
                field: "risk_level",
                message: "must be normal, important or sensitive".into(),
            })
        })
        .transpose();
    let content = Content::parse(b.title, b.summary, b.body, &b.format);
    let note = CorrectionNote::parse(b.note);
    let new = match (content, note, risk) {
        (Ok(content), Ok(note), Ok(risk_level)) => NewCorrection {
            content,
            note,
            risk_level,
        },
        (c, n, r) => {
            return Err(problems(
                c.err()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(n.err())
                    .chain(r.err())
                    .collect(),
            ));
        }
    };
    let created = corrections::open(&state, &user, *id, new).await?;
    let mut response = respond(&state, &user, created, StatusCode::CREATED).await?;
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/drafts/{created}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
