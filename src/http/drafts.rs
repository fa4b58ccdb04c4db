//! /drafts: create, edit, the six-stage actions, and reading them back.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post, put};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{AuthUser, TokenHolder};
use crate::domain::content::{Content, FieldError, Remark};
use crate::domain::content_hash::ContentHash;
use crate::domain::vocabulary::{Check, Format, RiskLevel, Stage, Status};
use crate::drafts::actions::{self, Command};
use crate::drafts::reads;
use crate::drafts::views::{DraftSummary, DraftView};
use crate::http::error::{ApiError, FieldProblem, Problem};
use crate::http::json::{ApiJson, ApiJsonOrEmpty};
use crate::http::pagination::{self, Page};
use crate::http::problems::{ActionErrors, CreateErrors, FindErrors, ListErrors, WriteErrors};
use crate::state::AppState;

fn problems(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(
        errors
            .into_iter()
            .map(|e| FieldProblem::new(e.field, e.message))
            .collect(),
    )
}

fn remark(field: &'static str, text: String) -> Result<Remark, ApiError> {
    Remark::parse(field, text).map_err(|e| problems(vec![e]))
}

fn hash_field(field: &'static str, value: &str) -> Result<ContentHash, ApiError> {
    ContentHash::parse(value)
        .ok_or_else(|| ApiError::validation(field, "must be 64 lowercase hex digits"))
}

/// A draft with its `ETag: "<content_hash>"`.
pub fn with_etag(status: actix_web::http::StatusCode, draft: &DraftView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", draft.content_hash)))
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
    let content = Content::parse(b.title, b.summary, b.body, &b.format);
    let (content, risk) = match (content, risk) {
        (Ok(c), Ok(r)) => (c, r),
        (c, r) => {
            return Err(problems(
                c.err()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(r.err())
                    .collect(),
            ));
        }
    };
    let id = actions::create(&state, &user, &b.channel, content, risk).await?;
    let response = respond(&state, &user, id, actix_web::http::StatusCode::CREATED).await?;
    let mut response = response;
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/drafts/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

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
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    respond(&state, &user, *id, actix_web::http::StatusCode::OK).await
}

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
    let content = Content::parse(b.title, b.summary, b.body, &b.format).map_err(problems)?;
    actions::edit(&state, &user, *id, &if_match, content).await?;
    respond(&state, &user, *id, actix_web::http::StatusCode::OK).await
}

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
    #[schema(
        example = "发布后发现错别字，撤回更正。",
        min_length = 1,
        max_length = 2000
    )]
    pub reason: String,
}

fn stage_field(value: &str) -> Result<Stage, ApiError> {
    Stage::parse(value).ok_or_else(|| ApiError::validation("stage", "is not one of the six stages"))
}

fn checks_field(values: Option<Vec<String>>) -> Result<Vec<Check>, ApiError> {
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

fn url_field(url: Option<String>) -> Result<Option<String>, ApiError> {
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
    id: Uuid,
    command: Command,
) -> Result<HttpResponse, ApiError> {
    let after = actions::perform(state, user, id, command).await?;
    Ok(with_etag(
        actix_web::http::StatusCode::OK,
        &reads::view(after),
    ))
}

#[utoipa::path(operation_id = "submit_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = SubmitRequest, description = "The author, from `draft` or `returned`: to `in_review` at the workflow's first stage (a new round).",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("ApproveStage" = (operation_id = "approve_stage", parameters(("id" = "$response.body#/id")), request_body = json!({"stage": "$response.body#/current_stage", "content_hash": "$response.body#/content_hash", "checks": ["political", "legal", "policy", "secrecy", "language", "public_opinion"]}))), ("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJson<SubmitRequest>,
) -> Result<HttpResponse, ApiError> {
    let content_hash = hash_field("content_hash", &body.0.content_hash)?;
    perform(&state, &user, *id, Command::Submit { content_hash }).await
}

#[utoipa::path(operation_id = "approve_stage", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ApproveRequest, description = "An eligible signer of the current stage (not the author, not a signer of another stage of the same kind on this revision), naming the content_hash read. Review stages attest all six checks. The next stage, or `publishable` after the last.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("ApproveStage" = (operation_id = "approve_stage", parameters(("id" = "$response.body#/id")), request_body = json!({"stage": "$response.body#/current_stage", "content_hash": "$response.body#/content_hash", "checks": ["political", "legal", "policy", "secrecy", "language", "public_opinion"]}))), ("PublishDraft" = (operation_id = "publish_draft", parameters(("id" = "$response.body#/id")), request_body = json!({"content_hash": "$response.body#/content_hash"}))), ("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJson<ApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let command = Command::Approve {
        stage: stage_field(&b.stage)?,
        content_hash: hash_field("content_hash", &b.content_hash)?,
        comment: b.comment.map(|c| remark("comment", c)).transpose()?,
        checks: checks_field(b.checks)?,
    };
    perform(&state, &user, *id, command).await
}

#[utoipa::path(operation_id = "return_stage", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ReturnRequest, description = "An eligible signer of the current stage: back to the author as `returned` (退回), with a reason.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/return")]
pub async fn return_(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJson<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let command = Command::Return {
        stage: stage_field(&b.stage)?,
        content_hash: hash_field("content_hash", &b.content_hash)?,
        reason: remark("reason", b.reason)?,
    };
    perform(&state, &user, *id, command).await
}

#[utoipa::path(operation_id = "withdraw_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = Option<WithdrawRequest>, description = "The author, from draft, in_review, returned or publishable: `withdrawn` (撤稿), final. The body may be empty.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJsonOrEmpty<WithdrawRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason.map(|r| remark("reason", r)).transpose()?;
    perform(&state, &user, *id, Command::Withdraw { reason }).await
}

#[utoipa::path(operation_id = "publish_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = PublishRequest, description = "A `publisher` whose grant covers the channel, naming the approved content_hash: `published`.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\"")), links(("DraftTrail" = (operation_id = "draft_trail", parameters(("id" = "$response.body#/id")))))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJson<PublishRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let command = Command::Publish {
        content_hash: hash_field("content_hash", &b.content_hash)?,
        url: url_field(b.url)?,
    };
    perform(&state, &user, *id, command).await
}

#[utoipa::path(operation_id = "retract_draft", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = RetractRequest, description = "A `publisher` whose grant covers the channel: `retracted` (撤回), final, with a reason.",
    responses(
        (status = 200, body = DraftView, headers(("ETag" = String, description = "\"<content_hash>\""))),
        ActionErrors,
    ))]
#[post("/drafts/{id}/retract")]
pub async fn retract(
    state: web::Data<AppState>,
    user: TokenHolder,
    id: web::Path<Uuid>,
    body: ApiJson<RetractRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = remark("reason", body.0.reason)?;
    perform(&state, &user, *id, Command::Retract { reason }).await
}
