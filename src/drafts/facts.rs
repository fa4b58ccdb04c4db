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

/// The draft and the caller as the rules see them. With `lock`, the draft
/// row is locked FOR UPDATE first, so everything read after it is
/// consistent with the action about to be taken. The reads after the row
/// are independent, so they go to the database pipelined, in one round trip.
pub async fn load(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
    lock: bool,
) -> Result<(Loaded, Actor), ApiError> {
    let row = if lock {
        drafts::lock(conn, id).await?
    } else {
        drafts::find(conn, id).await?
    };
    let row = row.ok_or(ApiError::NotFound)?;
    let shared: &AsyncPgConnection = conn;
    let (revision, workflow, signoffs, actor) = futures_util::try_join!(
        async { Ok::<_, ApiError>(drafts::revision(shared, id, row.revision).await?) },
        workflow_for(shared, &row),
        async { Ok::<_, ApiError>(drafts::signoffs_of(shared, id, row.revision).await?) },
        actor(shared, user_id),
    )?;
    let revision = revision.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "draft {id} lacks revision {}",
            row.revision
        ))
    })?;
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
    let loaded = Loaded {
        row,
        revision,
        signoffs,
        facts,
    };
    Ok((loaded, actor))
}

/// In review and after, the version the draft was submitted under; before
/// (and when returned), the channel's current one, which the next
/// submission will take.
async fn workflow_for(conn: &AsyncPgConnection, row: &DraftRow) -> Result<WorkflowRow, ApiError> {
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
pub async fn actor(conn: &AsyncPgConnection, user_id: Uuid) -> Result<Actor, ApiError> {
    let (disabled, grants) = users::with_grants(conn, user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let grants = grants
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
        disabled,
        grants,
    })
}
