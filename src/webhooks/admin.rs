//! The admin's webhook subscriptions: create, list, delete, and the
//! delivery log of one. Creating and deleting are audited.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::connect;
use crate::db::webhooks::{self, DeliveryRow, WebhookRow};
use crate::domain::vocabulary::Role;
use crate::domain::webhook_format::{
    EventType, Format, standard_key, standard_secret, url_for_trail, url_problem,
};
use crate::error::{ApiError, FieldProblem};
use crate::state::AppState;

/// `POST /webhooks` as sent.
pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    pub format: Option<String>,
    pub secret: Option<String>,
}

/// Longest DingTalk secret taken (theirs are 67 characters).
const MAX_SECRET: usize = 256;

/// Creates a subscription. A `standard` one with no secret gets a new
/// one, returned here once (the second value) and never shown again.
pub async fn create(
    state: &AppState,
    admin: &AuthUser,
    input: WebhookInput,
) -> Result<(WebhookRow, Option<String>), ApiError> {
    admin.require(Role::Admin)?;
    let (row, generated) = validate(input, admin.user_id)?;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        webhooks::insert(conn, &row).await?;
        let event = NewEvent::new("webhook_created", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("webhook_id", row.id.to_string())
            .with("url", url_for_trail(&row.url))
            .with("events", row.events.clone())
            .with("format", row.format.clone())
            .with("secret_set", row.secret.is_some());
        append(conn, event).await?;
        Ok(())
    })
    .await?;
    Ok((row, generated))
}

fn validate(input: WebhookInput, admin_id: Uuid) -> Result<(WebhookRow, Option<String>), ApiError> {
    let mut problems = Vec::new();
    if let Some(why) = url_problem(&input.url) {
        problems.push(FieldProblem::new("url", why));
    }
    let mut events: Vec<String> = Vec::new();
    for name in &input.events {
        match EventType::parse(name) {
            Some(e) if !events.iter().any(|have| have == e.as_str()) => {
                events.push(e.as_str().into())
            }
            Some(_) => {}
            None => problems.push(FieldProblem::new(
                "events",
                format!("{name:?} is not an event sanshen sends"),
            )),
        }
    }
    if input.events.is_empty() {
        problems.push(FieldProblem::new("events", "must name at least one event"));
    }
    let format = match input.format.as_deref() {
        None => Some(Format::Standard),
        Some(f) => Format::parse(f).or_else(|| {
            problems.push(FieldProblem::new(
                "format",
                "must be standard, wecom or dingtalk",
            ));
            None
        }),
    };
    let mut generated = None;
    let secret = match (format, input.secret) {
        (Some(Format::Standard), None) => {
            let made = standard_secret(&rand::random::<[u8; 32]>());
            generated = Some(made.clone());
            Some(made)
        }
        (Some(Format::Standard), Some(s)) if standard_key(&s).is_none() => {
            problems.push(FieldProblem::new(
                "secret",
                "must be whsec_ and the base64 of 24 to 64 bytes",
            ));
            None
        }
        (Some(Format::Wecom), Some(_)) => {
            problems.push(FieldProblem::new(
                "secret",
                "WeCom robots are not signed: their key is in the URL",
            ));
            None
        }
        (Some(Format::Dingtalk), Some(s))
            if s.is_empty() || s.len() > MAX_SECRET || s.chars().any(char::is_control) =>
        {
            problems.push(FieldProblem::new(
                "secret",
                format!("must be 1 to {MAX_SECRET} printable characters"),
            ));
            None
        }
        (_, s) => s,
    };
    let (Some(format), true) = (format, problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let row = WebhookRow {
        id: Uuid::new_v4(),
        url: input.url,
        events,
        format: format.as_str().into(),
        secret,
        created_by: Some(admin_id),
        created_at: Utc::now(),
    };
    Ok((row, generated))
}

pub async fn list(
    state: &AppState,
    admin: &AuthUser,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<WebhookRow>, ApiError> {
    admin.require(Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    Ok(webhooks::list(&mut conn, after, limit).await?)
}

/// Deletes the subscription; what it had not delivered is dropped with it.
pub async fn delete(state: &AppState, admin: &AuthUser, id: Uuid) -> Result<(), ApiError> {
    admin.require(Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = webhooks::delete(conn, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let event = NewEvent::new("webhook_deleted", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("webhook_id", row.id.to_string())
            .with("url", url_for_trail(&row.url));
        append(conn, event).await?;
        Ok(())
    })
    .await
}

pub async fn deliveries(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
    after_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, ApiError> {
    admin.require(Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    webhooks::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(webhooks::deliveries(&mut conn, id, after_seq, limit).await?)
}
