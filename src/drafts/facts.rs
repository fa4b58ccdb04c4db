//! Loads what the workflow rules need, inside the caller's transaction.

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::{AuthUser, TokenHolder};
use crate::db::channels::{self, WorkflowRow};
use crate::db::delegations::{self, DelegationRow};
use crate::db::drafts::{self, DraftRow, RevisionRow, SignoffRow};
use crate::db::sessions;
use crate::db::users::{self, GrantRow};
use crate::domain::vocabulary::{Decision, RiskLevel, Role, Stage, Status};
use crate::domain::workflow::{Actor, DraftFacts, Grant, Principal, Signature, Workflow};
use crate::error::ApiError;

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
    let (loaded, actor) = futures_util::try_join!(rest(shared, row), actor(shared, user_id))?;
    Ok((loaded, actor))
}

/// As `load` with the lock, for a caller whose session is still to be
/// checked: the check goes with the lock in one round trip, and is judged
/// first, so that a revoked session learns nothing, not even whether the
/// draft exists. Its grants are the actor's, read in this transaction.
pub async fn load_as(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    holder: &TokenHolder,
) -> Result<(Loaded, AuthUser, Actor), ApiError> {
    let shared: &AsyncPgConnection = conn;
    let (row, live) = futures_util::try_join!(
        async { Ok::<_, ApiError>(drafts::lock(shared, id).await?) },
        async {
            Ok::<_, ApiError>(sessions::check(shared, holder.session_id, holder.user_id).await?)
        },
    )?;
    let user = holder.admit(live)?;
    let row = row.ok_or(ApiError::NotFound)?;
    let (loaded, delegated) = futures_util::try_join!(rest(shared, row), async {
        Ok::<_, ApiError>(delegations::principals_of(shared, user.user_id, Utc::now()).await?)
    })?;
    let mut actor = to_actor(user.user_id, false, user.grants.clone())?;
    actor.principals = principals(delegated)?;
    Ok((loaded, user, actor))
}

/// The draft's revision, workflow and sign-offs, pipelined: one round trip.
async fn rest(conn: &AsyncPgConnection, row: DraftRow) -> Result<Loaded, ApiError> {
    let id = row.id;
    let (revision, workflow, signoffs) = futures_util::try_join!(
        async { Ok::<_, ApiError>(drafts::revision(conn, id, row.revision).await?) },
        workflow_for(conn, &row),
        async { Ok::<_, ApiError>(drafts::signoffs_of(conn, id, row.revision).await?) },
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
        risk: parse_risk(&row.risk_level)?,
        workflow: to_workflow(&workflow)?,
        content_hash: revision.content_hash.clone(),
        round: row.round,
        signatures: signoffs
            .iter()
            .map(|(s, _)| signature(s))
            .collect::<Result<_, _>>()?,
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

/// The stored routes; a row that does not parse is corrupt, never a default.
pub fn to_workflow(row: &WorkflowRow) -> Result<Workflow, ApiError> {
    let routes = row.parsed_routes().map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "workflow {} v{} has unreadable routes: {e}",
            row.channel,
            row.version
        ))
    })?;
    Ok(Workflow {
        version: row.version,
        routes,
    })
}

fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("unknown {what} {value:?} in the database"))
}

pub fn parse_status(s: &str) -> Result<Status, ApiError> {
    Status::parse(s).ok_or_else(|| corrupt("status", s))
}

pub fn parse_risk(s: &str) -> Result<RiskLevel, ApiError> {
    RiskLevel::parse(s).ok_or_else(|| corrupt("risk_level", s))
}

pub fn parse_stage(s: &str) -> Result<Stage, ApiError> {
    Stage::parse(s).ok_or_else(|| corrupt("stage", s))
}

pub fn parse_decision(s: &str) -> Result<Decision, ApiError> {
    match s {
        "approve" => Ok(Decision::Approve),
        "return" => Ok(Decision::Return),
        _ => Err(corrupt("decision", s)),
    }
}

pub fn signature(s: &SignoffRow) -> Result<Signature, ApiError> {
    Ok(Signature {
        stage: parse_stage(&s.stage)?,
        signer_id: s.signer_id,
        decision: parse_decision(&s.decision)?,
        round: s.round,
        on_behalf_of: s.on_behalf_of,
    })
}

/// The caller as the rules see them, read now (in the action's transaction):
/// a grant revoked or an account disabled a moment ago already counts.
/// With the principals whose delegations to them are in force (代签).
pub async fn actor(conn: &AsyncPgConnection, user_id: Uuid) -> Result<Actor, ApiError> {
    let (found, delegated) = futures_util::try_join!(
        users::with_grants(conn, user_id),
        delegations::principals_of(conn, user_id, Utc::now()),
    )?;
    let (disabled, grants) = found.ok_or(ApiError::Unauthenticated)?;
    let mut actor = to_actor(user_id, disabled, grants)?;
    actor.principals = principals(delegated)?;
    Ok(actor)
}

/// One `Principal` per delegation, from its rows (one per principal grant).
fn principals(
    rows: Vec<(DelegationRow, bool, Option<GrantRow>)>,
) -> Result<Vec<Principal>, ApiError> {
    let mut out: Vec<(Uuid, Principal)> = Vec::new();
    for (d, disabled, grant) in rows {
        let at = match out.iter().position(|(id, _)| *id == d.id) {
            Some(i) => i,
            None => {
                let stages = d
                    .stages
                    .iter()
                    .map(|s| parse_stage(s))
                    .collect::<Result<_, _>>()?;
                out.push((
                    d.id,
                    Principal {
                        user_id: d.principal_id,
                        disabled,
                        grants: Vec::new(),
                        stages,
                    },
                ));
                out.len() - 1
            }
        };
        if let Some(g) = grant {
            out[at]
                .1
                .grants
                .extend(to_actor(d.principal_id, disabled, vec![g])?.grants);
        }
    }
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

fn to_actor(user_id: Uuid, disabled: bool, grants: Vec<GrantRow>) -> Result<Actor, ApiError> {
    let grants = grants
        .into_iter()
        .map(|g| {
            Ok(Grant {
                role: crate::error::stored(Role::parse(&g.role), "grants.role", &g.role)?,
                channel: g.channel,
                department_id: g.department_id,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Actor {
        user_id,
        disabled,
        grants,
        principals: Vec::new(),
    })
}
