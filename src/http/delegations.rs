//! /me/delegations (代签, SPEC §8): a signer's delegations, given and received.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::delegations::{self, DelegationInput};
use crate::auth::AuthUser;
use crate::db::delegations::DelegationRow;
use crate::domain::vocabulary::Stage;
use crate::error::stored;
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::problems::{AuthErrors, CreateErrors, FindErrors};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDelegationRequest {
    /// The deputy who may sign in the caller's place.
    pub to_user_id: Uuid,
    /// Stages the deputy may sign; all the caller signs when left out.
    #[schema(value_type = Option<Vec<Stage>>, example = json!(["review_3"]))]
    pub stages: Option<Vec<String>>,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`, at most 30 days later, and in the future.
    pub ends_at: DateTime<Utc>,
    /// 1–500 characters, e.g. 出差 (on a trip).
    #[schema(example = "出差，12月3日至12月10日")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DelegationView {
    pub id: Uuid,
    /// Who delegated (the principal).
    pub principal_id: Uuid,
    /// Who may sign for the principal.
    pub delegate_id: Uuid,
    pub stages: Vec<Stage>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// In force now: started, not ended, not revoked.
    pub in_force: bool,
}

impl TryFrom<DelegationRow> for DelegationView {
    type Error = ApiError;

    fn try_from(d: DelegationRow) -> Result<Self, ApiError> {
        let now = Utc::now();
        let stages = d
            .stages
            .iter()
            .map(|s| stored(Stage::parse(s), "delegations.stages", s))
            .collect::<Result<_, _>>()?;
        Ok(DelegationView {
            in_force: d.revoked_at.is_none() && d.starts_at <= now && now < d.ends_at,
            id: d.id,
            principal_id: d.principal_id,
            delegate_id: d.delegate_id,
            stages,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            reason: d.reason,
            created_at: d.created_at,
            revoked_at: d.revoked_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyDelegations {
    /// Delegations the caller gave, newest first.
    pub given: Vec<DelegationView>,
    /// Delegations the caller received, newest first.
    pub received: Vec<DelegationView>,
}

fn views(rows: Vec<DelegationRow>) -> Result<Vec<DelegationView>, ApiError> {
    rows.into_iter().map(DelegationView::try_from).collect()
}

#[utoipa::path(operation_id = "create_delegation", tag = "delegations", security(("bearer" = [])),
    request_body = CreateDelegationRequest,
    description = "The caller delegates signing of stages they hold a grant for; the deputy signs within the caller's grant scopes, recorded `on_behalf_of` the caller. Event `delegation_created`.",
    responses(
        (status = 201, body = DelegationView),
        CreateErrors,
        (status = 403, description = "The caller signs no stage (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/me/delegations")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateDelegationRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let row = delegations::create(
        &state,
        &user,
        DelegationInput {
            to_user_id: b.to_user_id,
            stages: b.stages,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            reason: b.reason,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(DelegationView::try_from(row)?))
}

#[utoipa::path(operation_id = "my_delegations", tag = "delegations", security(("bearer" = [])),
    responses(
        (status = 200, body = MyDelegations),
        AuthErrors,
    ))]
#[get("/me/delegations")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<MyDelegations>, ApiError> {
    let (given, received) = delegations::list(&state, &user).await?;
    Ok(web::Json(MyDelegations {
        given: views(given)?,
        received: views(received)?,
    }))
}

#[utoipa::path(operation_id = "revoke_delegation", tag = "delegations", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    description = "The principal ends a delegation at once. Event `delegation_revoked`.",
    responses(
        (status = 204, description = "Revoked"),
        FindErrors,
        (status = 403, description = "Only the principal revokes (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked or ended (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ))]
#[delete("/me/delegations/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delegations::revoke(&state, &user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
