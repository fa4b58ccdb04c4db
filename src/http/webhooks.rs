//! /webhooks (admin only): subscriptions to draft events, delivered to a
//! receiver of the Standard Webhooks kind or to a WeCom or DingTalk group
//! robot (SPEC §8), and each subscription's delivery log.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::webhooks::{DeliveryRow, WebhookRow};
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::pagination::{self, Page};
use crate::http::problems::{AdminFindErrors, AdminListErrors, CreateErrors};
use crate::http::users::ListQuery;
use crate::state::AppState;
use crate::webhooks::admin::{self, WebhookInput};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where to POST: `http` or `https` only; redirects are not followed.
    #[schema(
        example = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
        max_length = 2048
    )]
    pub url: String,
    /// `draft.submitted`, `draft.step_opened`, `draft.returned`,
    /// `draft.publishable`, `draft.published`, `draft.retracted`,
    /// `draft.corrected`, `draft.overdue`.
    #[schema(example = json!(["draft.step_opened", "draft.publishable"]))]
    pub events: Vec<String>,
    /// `standard` (default; Standard Webhooks), `wecom` or `dingtalk`.
    #[schema(example = "wecom")]
    pub format: Option<String>,
    /// `standard`: `whsec_` + base64 of 24–64 bytes (made for you when left
    /// out, and returned once); `dingtalk`: the robot's `SEC…` signing
    /// secret; `wecom`: none.
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    #[schema(example = "standard")]
    pub format: String,
    /// Whether deliveries are signed; the secret itself is never shown again.
    pub has_secret: bool,
    /// Only in the answer to the POST that made it, when sanshen made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl WebhookView {
    fn of(row: WebhookRow, secret: Option<String>) -> WebhookView {
        WebhookView {
            id: row.id,
            url: row.url,
            events: row.events,
            format: row.format,
            has_secret: row.secret.is_some(),
            secret,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` header: the same on every retry.
    pub id: Uuid,
    #[schema(example = "draft.step_opened")]
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (after 10 tries).
    #[schema(example = "delivered")]
    pub status: String,
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status on the last try, if it answered.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// `{type, timestamp, data}`, as a `standard` receiver gets it.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(r: DeliveryRow) -> Self {
        DeliveryView {
            id: r.id,
            event_type: r.event_type,
            next_attempt_at: (r.status == "pending").then_some(r.next_attempt_at),
            status: r.status,
            attempts: r.attempts,
            last_attempt_at: r.last_attempt_at,
            last_status: r.last_status,
            last_error: r.last_error,
            delivered_at: r.delivered_at,
            created_at: r.created_at,
            payload: r.payload,
        }
    }
}

#[utoipa::path(operation_id = "create_webhook", tag = "webhooks", security(("bearer" = [])), request_body = CreateWebhookRequest,
    description = "Requires `admin`. Deliveries are written with the change they announce and sent by a background sender, at least once.",
    responses(
        (status = 201, body = WebhookView),
        CreateErrors,
        (status = 422, description = "A bad url, events, format or secret", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let input = WebhookInput {
        url: b.url,
        events: b.events,
        format: b.format,
        secret: b.secret,
    };
    let (row, secret) = admin::create(&state, &user, input).await?;
    Ok(HttpResponse::Created().json(WebhookView::of(row, secret)))
}

#[utoipa::path(operation_id = "list_webhooks", tag = "webhooks", security(("bearer" = [])), params(ListQuery),
    description = "Requires `admin`. Oldest first.",
    responses(
        (status = 200, body = Page<WebhookView>),
        AdminListErrors,
    ))]
#[get("/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<WebhookView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_time_cursor(query.cursor.as_deref())?;
    let rows = admin::list(&state, &user, after, limit + 1).await?;
    Ok(web::Json(pagination::page_of(
        rows,
        limit,
        |r| pagination::encode_time_cursor(r.created_at, r.id),
        |r| WebhookView::of(r, None),
    )))
}

#[utoipa::path(operation_id = "delete_webhook", tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)),
    description = "Requires `admin`. Undelivered messages are dropped with it.",
    responses(
        (status = 204, description = "Deleted"),
        AdminFindErrors,
    ))]
#[delete("/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    admin::delete(&state, &user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(operation_id = "webhook_deliveries", tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path), ListQuery),
    description = "Requires `admin`. The delivery log, oldest first.",
    responses(
        (status = 200, body = Page<DeliveryView>),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        AdminFindErrors,
    ))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<DeliveryView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_seq_cursor(query.cursor.as_deref())?;
    let rows = admin::deliveries(&state, &user, *id, after, limit + 1).await?;
    Ok(web::Json(pagination::page_of(
        rows,
        limit,
        |r| pagination::encode_seq_cursor(r.seq),
        DeliveryView::from,
    )))
}
