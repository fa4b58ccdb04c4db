//! The approval sheet's rows (审核签发单, SPEC §5): one per (stage, signer)
//! in route order; a stage short of quorum shows an empty row per missing
//! signature, so the sheet says at a glance what is still to be signed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::drafts::SignoffRow;
use crate::domain::route::Route;
use crate::domain::vocabulary::{Check, Decision, Role, Stage};
use crate::drafts::facts::{parse_decision, parse_stage};
use crate::error::ApiError;

/// One row of the approval sheet: a stage, and one person who signed it off.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailStage {
    /// The route step the stage belongs to (0-based).
    pub step: usize,
    pub stage: Stage,
    pub role: Role,
    /// Approvals the stage needs (会签 when more than one).
    pub quorum: u8,
    pub signer_id: Option<Uuid>,
    pub signer: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub checks: Vec<Check>,
    /// The principal the signer signed for (代签), if any.
    pub on_behalf_of: Option<Uuid>,
    /// Machine-check finding ids acknowledged with this approval (SPEC §6).
    pub acknowledged: Vec<String>,
}

/// The rows for `route`, from the approvals of `round` among `signoffs`
/// (the current revision's, oldest first).
pub fn rows(
    route: &Route,
    round: i32,
    signoffs: &[(SignoffRow, String)],
) -> Result<Vec<TrailStage>, ApiError> {
    let mut approvals = Vec::new();
    for (row, name) in signoffs {
        if row.round == round && parse_decision(&row.decision)? == Decision::Approve {
            approvals.push((parse_stage(&row.stage)?, row, name));
        }
    }
    let mut out = Vec::new();
    for (step_no, step) in route.steps.iter().enumerate() {
        for stage in &step.stages {
            let empty = || TrailStage {
                step: step_no,
                stage: *stage,
                role: Role::for_stage(*stage),
                quorum: step.quorum,
                signer_id: None,
                signer: None,
                signed_at: None,
                comment: None,
                checks: Vec::new(),
                on_behalf_of: None,
                acknowledged: Vec::new(),
            };
            let signed: Vec<_> = approvals.iter().filter(|(s, _, _)| s == stage).collect();
            for (_, row, name) in &signed {
                out.push(TrailStage {
                    signer_id: Some(row.signer_id),
                    signer: Some((*name).clone()),
                    signed_at: Some(row.signed_at),
                    comment: row.comment.clone(),
                    checks: row
                        .checks
                        .iter()
                        .filter_map(|c| Check::ALL.into_iter().find(|k| k.as_str() == c))
                        .collect(),
                    on_behalf_of: row.on_behalf_of,
                    acknowledged: row.acknowledged.clone(),
                    ..empty()
                });
            }
            for _ in signed.len()..usize::from(step.quorum) {
                out.push(empty());
            }
        }
    }
    Ok(out)
}
