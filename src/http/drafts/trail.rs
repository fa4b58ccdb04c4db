//! The approval sheet (审核签发单): stages, signers and the audit events of a draft.

use actix_web::get;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::audit_chain::AuditEvent;
use crate::domain::vocabulary::{Check, Decision, Role, Stage};
use crate::drafts::reads;
use crate::drafts::views::{DraftSummary, RevisionView, WorkflowRef};
use crate::http::error::ApiError;
use crate::http::problems::FindErrors;
use crate::state::AppState;

/// One row of the approval sheet: a stage, and who signed it off.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailStage {
    pub stage: Stage,
    pub role: Role,
    pub signer_id: Option<Uuid>,
    pub signer: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub checks: Vec<Check>,
    /// Machine-check finding ids acknowledged with this approval (SPEC §6).
    pub acknowledged: Vec<String>,
}

/// The approval sheet (审核签发单).
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailView {
    pub draft: DraftSummary,
    /// The final (or, before publication, the current) revision.
    pub revision: RevisionView,
    pub content_hash: String,
    pub workflow: WorkflowRef,
    /// One row per stage in workflow order; unsigned stages have no signer.
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
    let round = loaded.row.round;
    let stages = loaded
        .facts
        .workflow
        .stages
        .iter()
        .map(|stage| {
            let signed = loaded.signoffs.iter().find(|(s, _)| {
                s.round == round
                    && s.stage == stage.as_str()
                    && s.decision == Decision::Approve.as_str()
            });
            TrailStage {
                stage: *stage,
                role: Role::for_stage(*stage),
                signer_id: signed.map(|(s, _)| s.signer_id),
                signer: signed.map(|(_, name)| name.clone()),
                signed_at: signed.map(|(s, _)| s.signed_at),
                comment: signed.and_then(|(s, _)| s.comment.clone()),
                checks: signed
                    .map(|(s, _)| {
                        s.checks
                            .iter()
                            .filter_map(|c| Check::ALL.into_iter().find(|k| k.as_str() == c))
                            .collect()
                    })
                    .unwrap_or_default(),
                acknowledged: signed
                    .map(|(s, _)| s.acknowledged.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let workflow = WorkflowRef {
        version: loaded.facts.workflow.version,
        stages: loaded.facts.workflow.stages.to_vec(),
    };
    let content_hash = loaded.revision.content_hash.clone();
    let current = reads::revision_view(loaded.revision.clone());
    let draft = DraftSummary::new(
        loaded.row.clone(),
        loaded.revision.title.clone(),
        content_hash.clone(),
    );
    Ok(web::Json(TrailView {
        draft,
        revision: current,
        content_hash,
        workflow,
        stages,
        events,
    }))
}
