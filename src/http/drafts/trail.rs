//! The approval sheet (审核签发单): stages, signers and the audit events of a draft.

use actix_web::get;
use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::audit_chain::AuditEvent;
use crate::domain::vocabulary::RiskLevel;
use crate::drafts::approval_rows::{self, TrailStage};
use crate::drafts::reads;
use crate::drafts::views::{DraftSummary, RevisionView, WorkflowRef};
use crate::http::error::ApiError;
use crate::http::problems::FindErrors;
use crate::state::AppState;

/// The approval sheet (审核签发单).
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailView {
    pub draft: DraftSummary,
    /// The final (or, before publication, the current) revision.
    pub revision: RevisionView,
    pub content_hash: String,
    /// The risk tier whose route the sheet follows.
    pub tier: RiskLevel,
    /// The workflow version the draft follows, and its route's stages.
    pub workflow: WorkflowRef,
    /// One row per (stage, signer) in route order, approvals of the current
    /// round; a stage short of quorum has an empty row per missing signature.
    pub stages: Vec<TrailStage>,
    /// Every audit event of the draft, in chain order.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<AuditEvent>,
}

#[utoipa::path(operation_id = "draft_trail", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TrailView),
        FindErrors,
    ))]
#[get("/drafts/{id}/trail")]
pub async fn trail(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<TrailView>, ApiError> {
    let (loaded, events) = reads::trail(&state, &user, *id).await?;
    let route = loaded.facts.route();
    let stages = approval_rows::rows(route, loaded.row.round, &loaded.signoffs)?;
    let workflow = WorkflowRef {
        version: loaded.facts.workflow.version,
        stages: route.stages().collect(),
    };
    let tier = loaded.facts.risk;
    let content_hash = loaded.revision.content_hash.clone();
    let current = reads::revision_view(loaded.revision.clone())?;
    let draft = DraftSummary::new(
        loaded.row.clone(),
        loaded.revision.title.clone(),
        content_hash.clone(),
    )?;
    Ok(web::Json(TrailView {
        draft,
        revision: current,
        content_hash,
        tier,
        workflow,
        stages,
        events,
    }))
}
