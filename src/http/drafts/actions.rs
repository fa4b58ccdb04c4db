//! The six-stage actions (SPEC §2): submit, approve, return, withdraw,
//! publish and retract; each is one `drafts::actions::perform`.

use actix_web::post;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{etag, hash_field, remark, with_etag};
use crate::auth::TokenHolder;
use crate::domain::vocabulary::{Check, RetractReason, Stage};
use crate::drafts::actions::{self, Command};
use crate::drafts::reads;
use crate::drafts::views::DraftView;
use crate::http::error::ApiError;
use crate::http::json::{ApiJson, ApiJsonOrEmpty};
use crate::http::prefer::{self, ReturnMinimal};
use crate::http::problems::ActionErrors;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The content_hash the author submits.
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        example = "3f8a2c0e9b7d4f61a5c3e2d1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"
    )]
    pub content_hash: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    #[schema(value_type = Stage, example = "review_1")]
    pub stage: String,
    /// The content_hash the signer read.
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        example = "3f8a2c0e9b7d4f61a5c3e2d1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"
    )]
    pub content_hash: String,
    #[schema(example = "同意。", min_length = 1, max_length = 2000)]
    pub comment: Option<String>,
    /// Required on review stages: all six of political, legal, policy, secrecy, language, public_opinion.
    #[schema(value_type = Option<Vec<Check>>, example = json!(["political","legal","policy","secrecy","language","public_opinion"]))]
    pub checks: Option<Vec<String>>,
    /// Ids of the machine-check findings acknowledged (SPEC §6); a signer
    /// of the first step names every `warn` finding of the stored report.
    #[schema(example = json!(["body:12-23:mobile"]), max_items = 10000)]
    pub acknowledged: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    #[schema(value_type = Stage, example = "review_2")]
    pub stage: String,
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        example = "3f8a2c0e9b7d4f61a5c3e2d1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"
    )]
    pub content_hash: String,
    /// Why it goes back (required).
    #[schema(
        example = "第二段引用的数据口径与统计局公布不一致，请核实。",
        min_length = 1,
        max_length = 2000
    )]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    #[schema(example = "活动取消，撤稿。", min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The content_hash being published: it must be the approved one.
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        example = "3f8a2c0e9b7d4f61a5c3e2d1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"
    )]
    pub content_hash: String,
    /// Where it went live (http or https).
    #[schema(
        example = "https://mp.weixin.qq.com/s/abc123",
        pattern = "^https?://",
        max_length = 2000
    )]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractRequest {
    /// error (内容有误), outdated, legal, secrecy or other.
    #[schema(value_type = RetractReason, example = "error")]
    pub reason_code: String,
    #[schema(
        example = "发布后发现错别字，撤回更正。",
        min_length = 1,
        max_length = 2000
    )]
    pub reason: String,
}

pub(crate) fn stage_field(value: &str) -> Result<Stage, ApiError> {
    Stage::parse(value).ok_or_else(|| ApiError::validation("stage", "is not a stage name"))
}

pub(crate) fn checks_field(values: Option<Vec<String>>) -> Result<Vec<Check>, ApiError> {
    values
        .unwrap_or_default()
        .iter()
        .map(|v| Check::ALL.into_iter().find(|c| c.as_str() == v))
        .collect::<Option<Vec<Check>>>()
        .ok_or_else(|| {
            ApiError::validation(
                "checks",
                "each must be one of political, legal, policy, secrecy, language, public_opinion",
            )
        })
}

pub(crate) fn url_field(url: Option<String>) -> Result<Option<String>, ApiError> {
    match url {
        Some(u)
            if u.chars().count() > 2000
                || url::Url::parse(&u)
                    .map_or(true, |p| !matches!(p.scheme(), "http" | "https")) =>
        {
            Err(ApiError::validation(
                "url",
                "must be an http(s) URL of at most 2000 characters",
            ))
        }
        other => Ok(other),
    }
}

async fn perform(
    state: &AppState,
    user: &TokenHolder,
    prefer: ReturnMinimal,
    id: Uuid,
    command: Command,
) -> Result<HttpResponse, ApiError> {
    let after = actions::perform(state, user, id, command).await?;
    if prefer.0 {
        return Ok(HttpResponse::NoContent()
            .insert_header(etag(&after.revision.content_hash))
            .insert_header((prefer::APPLIED, "return=minimal"))
            .finish());
    }
    Ok(with_etag(
        actix_web::http::StatusCode::OK,
        &reads::view(after)?,
    ))
}

#[utoipa::path(operation_id = "submit_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal`: answer 204 without the draft (RFC 7240)")),
    request_body = SubmitRequest, description = "The author, from `draft` or `returned`: to `in_review` at the workflow's first stage (a new round).",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("ApproveStage" = (operation_id = "approve_stage", parameters(("id" = "$response.body#/id")), request_body = json!({"stage": "$response.body#/current_stage", "content_hash": "$response.body#/content_hash", "checks": ["political", "legal", "policy", "secrecy", "language", "public_opinion"]}))), ("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        (status = 204, description = "Done, as `Prefer: return=minimal` asked: no body.", headers(("ETag" = String, description = "\"<content_hash>\""), ("Preference-Applied" = String, description = "return=minimal"))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    user: TokenHolder,
    prefer: ReturnMinimal,
    id: web::Path<Uuid>,
    body: ApiJson<SubmitRequest>,
) -> Result<HttpResponse, ApiError> {
    let content_hash = hash_field("content_hash", &body.0.content_hash)?;
    perform(&state, &user, prefer, *id, Command::Submit { content_hash }).await
}

#[utoipa::path(operation_id = "approve_stage", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal`: answer 204 without the draft (RFC 7240)")),
    request_body = ApproveRequest, description = "An eligible signer of the current stage (not the author, not a signer of another stage of the same kind on this revision), naming the content_hash read. Review stages attest all six checks. The next stage, or `publishable` after the last.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("ApproveStage" = (operation_id = "approve_stage", parameters(("id" = "$response.body#/id")), request_body = json!({"stage": "$response.body#/current_stage", "content_hash": "$response.body#/content_hash", "checks": ["political", "legal", "policy", "secrecy", "language", "public_opinion"]}))), ("PublishDraft" = (operation_id = "publish_draft", parameters(("id" = "$response.body#/id")), request_body = json!({"content_hash": "$response.body#/content_hash"}))), ("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        (status = 204, description = "Done, as `Prefer: return=minimal` asked: no body.", headers(("ETag" = String, description = "\"<content_hash>\""), ("Preference-Applied" = String, description = "return=minimal"))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    user: TokenHolder,
    prefer: ReturnMinimal,
    id: web::Path<Uuid>,
    body: ApiJson<ApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let command = Command::Approve {
        stage: stage_field(&b.stage)?,
        content_hash: hash_field("content_hash", &b.content_hash)?,
        comment: b.comment.map(|c| remark("comment", c)).transpose()?,
        checks: checks_field(b.checks)?,
        acknowledged: b.acknowledged.unwrap_or_default(),
    };
    perform(&state, &user, prefer, *id, command).await
}

#[utoipa::path(operation_id = "return_stage", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal`: answer 204 without the draft (RFC 7240)")),
    request_body = ReturnRequest, description = "An eligible signer of the current stage: back to the author as `returned` (退回), with a reason.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        (status = 204, description = "Done, as `Prefer: return=minimal` asked: no body.", headers(("ETag" = String, description = "\"<content_hash>\""), ("Preference-Applied" = String, description = "return=minimal"))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/return")]
pub async fn return_(
    state: web::Data<AppState>,
    user: TokenHolder,
    prefer: ReturnMinimal,
    id: web::Path<Uuid>,
    body: ApiJson<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let command = Command::Return {
        stage: stage_field(&b.stage)?,
        content_hash: hash_field("content_hash", &b.content_hash)?,
        reason: remark("reason", b.reason)?,
    };
    perform(&state, &user, prefer, *id, command).await
}

#[utoipa::path(operation_id = "withdraw_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal`: answer 204 without the draft (RFC 7240)")),
    request_body = Option<WithdrawRequest>, description = "The author, from draft, in_review, returned or publishable: `withdrawn` (撤稿), final. The body may be empty.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        (status = 204, description = "Done, as `Prefer: return=minimal` asked: no body.", headers(("ETag" = String, description = "\"<content_hash>\""), ("Preference-Applied" = String, description = "return=minimal"))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: TokenHolder,
    prefer: ReturnMinimal,
    id: web::Path<Uuid>,
    body: ApiJsonOrEmpty<WithdrawRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason.map(|r| remark("reason", r)).transpose()?;
    perform(&state, &user, prefer, *id, Command::Withdraw { reason }).await
}

#[utoipa::path(operation_id = "publish_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal`: answer 204 without the draft (RFC 7240)")),
    request_body = PublishRequest, description = "A `publisher` whose grant covers the channel, naming the approved content_hash: `published`.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        (status = 204, description = "Done, as `Prefer: return=minimal` asked: no body.", headers(("ETag" = String, description = "\"<content_hash>\""), ("Preference-Applied" = String, description = "return=minimal"))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    user: TokenHolder,
    prefer: ReturnMinimal,
    id: web::Path<Uuid>,
    body: ApiJson<PublishRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let command = Command::Publish {
        content_hash: hash_field("content_hash", &b.content_hash)?,
        url: url_field(b.url)?,
    };
    perform(&state, &user, prefer, *id, command).await
}

#[utoipa::path(operation_id = "retract_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal`: answer 204 without the draft (RFC 7240)")),
    request_body = RetractRequest, description = "A `publisher` whose grant covers the channel: `retracted` (撤回), final, with a reason.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        (status = 204, description = "Done, as `Prefer: return=minimal` asked: no body.", headers(("ETag" = String, description = "\"<content_hash>\""), ("Preference-Applied" = String, description = "return=minimal"))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/retract")]
pub async fn retract(
    state: web::Data<AppState>,
    user: TokenHolder,
    prefer: ReturnMinimal,
    id: web::Path<Uuid>,
    body: ApiJson<RetractRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let reason_code = RetractReason::parse(&b.reason_code).ok_or_else(|| {
        ApiError::validation(
            "reason_code",
            "must be error, outdated, legal, secrecy or other",
        )
    })?;
    let reason = remark("reason", b.reason)?;
    perform(
        &state,
        &user,
        prefer,
        *id,
        Command::Retract {
            reason_code,
            reason,
        },
    )
    .await
}
