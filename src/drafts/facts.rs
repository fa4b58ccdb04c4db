//! Loads what the workflow rules need, inside the caller's transaction.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::db::channels::{self, WorkflowRow};
use crate::db::drafts::{self, DraftRow, RevisionRow, SignoffRow};
use crate::db::users;
use crate::domain::vocabulary::{Decision, Role, Stage, Status};
use crate::domain::workflow::{Actor, DraftFacts, Grant, Signature, Workflow};
use crate::http::error::ApiError;

/// A draft as stored, its current revision, and the facts for `decide`.
pub struct Loaded {
    pub row: DraftRow,
    pub revision: RevisionRow,
    pub signoffs: Vec<(SignoffRow, String)>,
    pub facts: DraftFacts,
}

/// With `lock`, the draft row is locked FOR UPDATE first, so everything read
/// after it is consistent with the action about to be taken.
pub async fn load(conn: &mut AsyncPgConnection, id: Uuid, lock: bool) -> Result<Loaded, ApiError> {
    let row = if lock {
        drafts::lock(conn, id).await?
    } else {
        drafts::find(conn, id).await?
    };
    let row = row.ok_or(ApiError::NotFound)?;
    let revision = drafts::revision(conn, id, row.revision)
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "draft {id} lacks revision {}",
                row.revision
            ))
        })?;
    let workflow = workflow_for(conn, &row).await?;
    let signoffs = drafts::signoffs_of(conn, id, row.revision).await?;
    let facts = DraftFacts {
        status: parse_status(&row.status)?,
        author_id: row.author_id,
        channel: row.channel.clone(),
        department_id: row.department_id,
        current_stage: row.current_stage.as_deref().and_then(Stage::parse),
        workflow: to_workflow(&workflow)?,
        content_hash: revision.content_hash.clone(),
        round: row.round,
        signatures: signoffs.iter().map(|(s, _)| signature(s)).collect(),
    };
    Ok(Loaded {
        row,
        revision,
        signoffs,
        facts,
    })
}

/// In review and after, the version the draft was submitted under; before
/// (and when returned), the channel's current one, which the next
/// submission will take.
async fn workflow_for(
    conn: &mut AsyncPgConnection,
    row: &DraftRow,
) -> Result<WorkflowRow, ApiError> {
    let editable = matches!(row.status.as_str(), "draft" | "returned");
    let found = match row.workflow_version {
        Some(v) if !editable => channels::workflow(conn, &row.channel, v).await?,
        _ => channels::current_workflow(conn, &row.channel).await?,
    };
    found.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("channel {} has no workflow", row.channel))
    })
}

pub fn to_workflow(row: &WorkflowRow) -> Result<Workflow, ApiError> {
    let stages: Vec<Stage> = row.stages.iter().filter_map(|s| Stage::parse(s)).collect();
    let stages = <[Stage; 6]>::try_from(stages).map_err(|_| {
        ApiError::internal(anyhow::anyhow!(
            "workflow {} v{} is not six stages",
            row.channel,
            row.version
        ))
    })?;
    Ok(Workflow {
        version: row.version,
        stages,
    })
}

fn parse_status(s: &str) -> Result<Status, ApiError> {
    Status::parse(s).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown status {s}")))
}

fn signature(s: &SignoffRow) -> Signature {
    Signature {
        stage: Stage::parse(&s.stage).unwrap_or(Stage::Review1),
        signer_id: s.signer_id,
        decision: if s.decision == "approve" {
            Decision::Approve
        } else {
            Decision::Return
        },
        round: s.round,
    }
}

/// The caller as the rules see them, read now (in the action's transaction):
/// a grant revoked or an account disabled a moment ago already counts.
pub async fn actor(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<Actor, ApiError> {
    let user = users::find(conn, user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let grants = users::grants_of(conn, user_id)
        .await?
        .into_iter()
        .filter_map(|g| {
            Some(Grant {
                role: Role::parse(&g.role)?,
                channel: g.channel,
                department_id: g.department_id,
            })
        })
        .collect();
    Ok(Actor {
        user_id,
        disabled: user.disabled,
        grants,
    })
}
