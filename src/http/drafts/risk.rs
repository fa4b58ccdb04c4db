//! `POST /drafts/{id}/risk`: set the risk tier (SPEC §5 escalation).

use actix_web::post;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{remark, with_etag};
use crate::auth::TokenHolder;
use crate::domain::vocabulary::RiskLevel;
use crate::drafts::views::DraftView;
use crate::drafts::{reads, risk};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::problems::ActionErrors;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskRequest {
    #[schema(value_type = RiskLevel, example = "sensitive")]
    pub risk_level: String,
    /// Why; required to raise the tier during review.
    #[schema(
        example = "涉及重大人事信息，报主要领导审定。",
        min_length = 1,
        max_length = 2000
    )]
    pub reason: Option<String>,
}

#[utoipa::path(operation_id = "set_risk", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = RiskRequest,
    description = "While `draft` or `returned`: the author sets any tier. While `in_review`: an eligible \
        signer of an open stage may raise it (never lower it: 409 `risk_lowering`) with a reason; \
        the draft then follows the higher route of its pinned workflow version, this round's \
        approvals carry over, and the current step is the first one not complete. The same tier \
        again changes nothing. Event `risk_changed` (from, to, reason).",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/risk")]
pub async fn set_risk(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJson<RiskRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let to = RiskLevel::parse(&b.risk_level).ok_or_else(|| {
        ApiError::validation("risk_level", "must be normal, important or sensitive")
    })?;
    let reason = b.reason.map(|r| remark("reason", r)).transpose()?;
    let after = risk::set(&state, &user, *id, to, reason).await?;
    Ok(with_etag(
        actix_web::http::StatusCode::OK,
        &reads::view(after)?,
    ))
}
