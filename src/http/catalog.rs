//! /departments and /channels with their workflows.

use actix_web::{HttpResponse, web};
use actix_web::{get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::catalog;
use crate::accounts::catalog::WorkflowRead;
use crate::auth::AuthUser;
use crate::db::channels::ChannelRow;
use crate::db::users::DepartmentRow;
use crate::domain::route::{Routes, RoutesInput};
use crate::domain::vocabulary::{Role, Stage};
use crate::http::error::{ApiError, Problem};
use crate::http::json::ApiJson;
use crate::http::problems::{AdminErrors, AuthErrors, CreateUniqueErrors, FindErrors, WriteErrors};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    #[schema(example = "news")]
    pub code: String,
    #[schema(example = "新闻科")]
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<DepartmentRow> for DepartmentView {
    fn from(d: DepartmentRow) -> Self {
        DepartmentView {
            id: d.id,
            code: d.code,
            name: d.name,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeAndName {
    /// 1–32 of a–z 0–9 _ -
    #[schema(example = "news", pattern = "^[a-z0-9_-]{1,32}$")]
    pub code: String,
    /// 1–200 characters.
    #[schema(example = "新闻科", min_length = 1, max_length = 200)]
    pub name: String,
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])),
    description = "Requires `admin`.",
    responses(
        (status = 200, body = Vec<DepartmentView>),
        AdminErrors,
    ))]
#[get("/departments")]
pub async fn list_departments(
    state: web::Data<AppState>,
    admin: AuthUser,
) -> Result<web::Json<Vec<DepartmentView>>, ApiError> {
    let rows = catalog::departments(&state, &admin).await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])), request_body = CodeAndName,
    description = "Requires `admin`.",
    responses(
        (status = 201, body = DepartmentView),
        CreateUniqueErrors,
        (status = 409, description = "Code taken", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/departments")]
pub async fn create_department(
    state: web::Data<AppState>,
    admin: AuthUser,
    body: ApiJson<CodeAndName>,
) -> Result<HttpResponse, ApiError> {
    admin.require(Role::Admin)?;
    let row = catalog::create_department(&state, &admin, &body.0.code, &body.0.name).await?;
    Ok(HttpResponse::Created().json(DepartmentView::from(row)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    #[schema(example = "wechat_official")]
    pub code: String,
    #[schema(example = "微信公众号")]
    pub name: String,
}

impl From<ChannelRow> for ChannelView {
    fn from(c: ChannelRow) -> Self {
        ChannelView {
            code: c.code,
            name: c.name,
        }
    }
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])),
    description = "Any signed-in user.",
    responses(
        (status = 200, body = Vec<ChannelView>),
        AuthErrors,
    ))]
#[get("/channels")]
pub async fn list_channels(
    state: web::Data<AppState>,
    _user: AuthUser,
) -> Result<web::Json<Vec<ChannelView>>, ApiError> {
    let rows = catalog::channels(&state).await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])), request_body = CodeAndName,
    description = "Requires `admin`. The new channel starts with the default workflow as version 1.",
    responses(
        (status = 201, body = ChannelView),
        CreateUniqueErrors,
        (status = 409, description = "Code taken", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/channels")]
pub async fn create_channel(
    state: web::Data<AppState>,
    admin: AuthUser,
    body: ApiJson<CodeAndName>,
) -> Result<HttpResponse, ApiError> {
    admin.require(Role::Admin)?;
    let row = catalog::create_channel(&state, &admin, &body.0.code, &body.0.name).await?;
    Ok(HttpResponse::Created().json(ChannelView::from(row)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowView {
    #[schema(example = "portal")]
    pub channel: String,
    /// Drafts keep the version they were submitted under.
    #[schema(example = 1)]
    pub version: i32,
    /// The route of each risk tier (SPEC §5).
    pub routes: Routes,
    /// For part-one clients: the stages of the `normal` route in order.
    pub stages: Vec<Stage>,
    pub created_at: DateTime<Utc>,
}

impl From<WorkflowRead> for WorkflowView {
    fn from(w: WorkflowRead) -> Self {
        WorkflowView {
            channel: w.row.channel,
            version: w.row.version,
            stages: w.routes.normal.stages().collect(),
            routes: w.routes,
            created_at: w.row.created_at,
        }
    }
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])),
    params(("code" = String, Path)), description = "Any signed-in user. The current version.",
    responses(
        (status = 200, body = WorkflowView),
        FindErrors,
    ))]
#[get("/channels/{code}/workflow")]
pub async fn get_workflow(
    state: web::Data<AppState>,
    _user: AuthUser,
    code: web::Path<String>,
) -> Result<web::Json<WorkflowView>, ApiError> {
    Ok(web::Json(catalog::workflow(&state, &code).await?.into()))
}

/// Either form, exactly one: `routes` (SPEC §5), or part one's `stages`
/// (all three routes = that chain, one stage per step, quorum 1).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowRequest {
    /// A permutation of the six stages.
    #[schema(value_type = Option<Vec<Stage>>, min_items = 6, max_items = 6, example = json!(["review_1","proofread_1","review_2","proofread_2","review_3","proofread_3"]))]
    pub stages: Option<Vec<String>>,
    /// A route per tier: steps of `{stages, quorum (1–5, default 1), due_hours?}`.
    /// Each route holds the six exactly once; `leader` at most once, in the last step.
    pub routes: Option<RoutesInput>,
}

#[utoipa::path(tag = "catalog", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = WorkflowRequest,
    description = "Requires `admin`. Writes a new version; drafts already submitted keep theirs.",
    responses(
        (status = 200, body = WorkflowView),
        WriteErrors,
        (status = 422, description = "Not a permutation of the six stages, or a route breaks a rule (the field names the step)", body = Problem, content_type = "application/problem+json"),
    ))]
#[put("/channels/{code}/workflow")]
pub async fn put_workflow(
    state: web::Data<AppState>,
    admin: AuthUser,
    code: web::Path<String>,
    body: ApiJson<WorkflowRequest>,
) -> Result<web::Json<WorkflowView>, ApiError> {
    admin.require(Role::Admin)?;
    let routes = catalog::parse_form(body.0.stages.as_deref(), body.0.routes.as_ref())?;
    Ok(web::Json(
        catalog::set_workflow(&state, &admin, &code, routes)
            .await?
            .into(),
    ))
}
