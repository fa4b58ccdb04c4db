//! Loads what the workflow rules need, inside the caller's transaction.

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::{AuthUser, TokenHolder};
use crate::db::channels::{self, WorkflowRow};
use crate::db::delegations::{self, DelegationRow};
use crate::db::draft_snapshot as snapshot;
use crate::db::drafts::{self, DraftRow, RevisionRow, SignoffRow};
use crate::db::sessions;
use crate::db::users::{self, GrantRow};
use crate::domain::vocabulary::{Decision, RiskLevel, Role, Stage, Status};
use crate::domain::workflow::{
    self, Action, Actor, DraftFacts, Effect, Grant, Principal, Refusal, Signature, Workflow,
};
use crate::domain::workflow_cache::WorkflowCache;
use crate::error::ApiError;

/// A draft as stored, its current revision, and the facts for `decide`.
pub struct Loaded {
    pub row: DraftRow,
    pub revision: RevisionRow,
    pub signoffs: Vec<(SignoffRow, String)>,
    pub facts: DraftFacts,
}

/// The draft and the caller as the rules see them, in one round trip. With
/// `lock`, the draft row is locked FOR UPDATE first, and its revision and
/// sign-offs are read in a second round trip, once the lock is held, so
/// that they are consistent with the action about to be taken.
///
/// The actor comes without their delegations (代签): judge with
/// [`judged`], which reads them only when they could change the answer.
pub async fn load(
    conn: &mut AsyncPgConnection,
    workflows: &WorkflowCache,
    id: Uuid,
    user_id: Uuid,
    lock: bool,
) -> Result<(Loaded, Actor), ApiError> {
    let shared: &AsyncPgConnection = conn;
    let (read, found) = futures_util::try_join!(read(shared, id, lock), async {
        Ok::<_, ApiError>(users::with_grants(shared, user_id).await?)
    },)?;
    let (disabled, grants) = found.ok_or(ApiError::Unauthenticated)?;
    let loaded = settle(shared, workflows, read).await?;
    Ok((loaded, to_actor(user_id, disabled, grants)?))
}

/// The draft alone, for a caller already known ([`actor_of`]).
pub async fn draft(
    conn: &AsyncPgConnection,
    workflows: &WorkflowCache,
    id: Uuid,
) -> Result<Loaded, ApiError> {
    settle(conn, workflows, read(conn, id, false).await?).await
}

/// The caller as the rules see them, with the grants their session check
/// read (without delegations, as for [`load`]).
pub fn actor_of(user: &AuthUser) -> Result<Actor, ApiError> {
    to_actor(user.user_id, false, user.grants.clone())
}

/// As `load`, for a caller whose session is still to be checked: the check
/// goes in the same round trip, and is judged first, so that a revoked
/// session learns nothing, not even whether the draft exists. The actor's
/// grants are those the check read.
pub async fn load_as(
    conn: &mut AsyncPgConnection,
    workflows: &WorkflowCache,
    id: Uuid,
    holder: &TokenHolder,
    lock: bool,
) -> Result<(Loaded, AuthUser, Actor), ApiError> {
    let shared: &AsyncPgConnection = conn;
    let (read, live) = futures_util::try_join!(read(shared, id, lock), async {
        Ok::<_, ApiError>(sessions::check(shared, holder.session_id, holder.user_id).await?)
    })?;
    let user = holder.admit(live)?;
    let loaded = settle(shared, workflows, read).await?;
    let actor = actor_of(&user)?;
    Ok((loaded, user, actor))
}

/// A rule's answer for the caller (`workflow::decide`, `may_correct`),
/// reading their delegations in force (代签) only when they could change
/// it. Delegations only ever widen what a caller may do (sight of the
/// principal's drafts; signing in their name where the caller's own grants
/// do not reach), so what a rule allows without them it allows with them,
/// with the same effect; a refusal is judged again with them, and its
/// reason is that judgement's.
pub async fn judged<T>(
    conn: &AsyncPgConnection,
    actor: &mut Actor,
    rule: impl Fn(&Actor) -> Result<T, Refusal>,
) -> Result<T, ApiError> {
    if let Ok(answer) = rule(actor) {
        return Ok(answer);
    }
    let delegated = delegations::principals_of(conn, actor.user_id, Utc::now()).await?;
    actor.principals = principals(delegated)?;
    Ok(rule(actor)?)
}

/// [`workflow::decide`] through [`judged`].
pub async fn decided(
    conn: &AsyncPgConnection,
    facts: &DraftFacts,
    actor: &mut Actor,
    action: &Action<'_>,
) -> Result<Effect, ApiError> {
    judged(conn, actor, |a| workflow::decide(facts, a, action)).await
}

/// The draft's row (locked or not) with its version, and the revision and
/// sign-offs the row named when they were read, in the same round trip
/// (unlocked, the revision in the row's own statement).
struct Read {
    row: Option<(DraftRow, String)>,
    revision: Option<RevisionRow>,
    signoffs: Option<snapshot::CurrentSignoffs>,
}

async fn read(conn: &AsyncPgConnection, id: Uuid, lock: bool) -> Result<Read, ApiError> {
    if !lock {
        let (found, signoffs) = futures_util::try_join!(
            snapshot::find_with_revision(conn, id),
            snapshot::current_signoffs(conn, id),
        )?;
        let (row, revision) = match found {
            Some((row, version, revision)) => (Some((row, version)), revision),
            None => (None, None),
        };
        return Ok(Read {
            row,
            revision,
            signoffs,
        });
    }
    let row = snapshot::lock_versioned(conn, id);
    // Pipelined statements are not promised to run in the order given
    // (diesel-async prepares an uncached statement first), so the reads
    // may run before the lock is held; `settle` keeps what they found only
    // if they saw the row as it was locked.
    let (row, revision, signoffs) = futures_util::try_join!(
        row,
        snapshot::current_revision(conn, id),
        snapshot::current_signoffs(conn, id),
    )?;
    Ok(Read {
        row,
        revision,
        signoffs,
    })
}

/// The facts from what `read` found. Its revision (rows never change once
/// written) is kept if it is the one the row names; its sign-offs if they
/// were read beside the same version of the row (`snapshot::RowVersion`).
/// Otherwise (an action committed in between, or the lock waited for one)
/// both are read again for the row's revision, in one round trip: under
/// the lock, now held, they are the row's.
async fn settle(
    conn: &AsyncPgConnection,
    workflows: &WorkflowCache,
    read: Read,
) -> Result<Loaded, ApiError> {
    let (row, version) = read.row.ok_or(ApiError::NotFound)?;
    let id = row.id;
    let (revision, signoffs) = match (read.revision, read.signoffs) {
        (Some(revision), Some(current))
            if revision.number == row.revision
                && current.revision == row.revision
                && current.version == version =>
        {
            (Some(revision), current.signed)
        }
        _ => futures_util::try_join!(
            drafts::revision(conn, id, row.revision),
            drafts::signoffs_of(conn, id, row.revision),
        )?,
    };
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
        workflow: workflow_for(conn, workflows, &row).await?,
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

/// In review and after, the version the draft was submitted under (never
/// changed once written, so cached); before (and when returned), the
/// channel's current one, which the next submission will take.
async fn workflow_for(
    conn: &AsyncPgConnection,
    workflows: &WorkflowCache,
    row: &DraftRow,
) -> Result<Workflow, ApiError> {
    let editable = matches!(row.status.as_str(), "draft" | "returned");
    let pinned = row.workflow_version.filter(|_| !editable);
    if let Some(cached) = pinned.and_then(|v| workflows.get(&row.channel, v)) {
        return Ok(cached);
    }
    let found = match pinned {
        Some(v) => channels::workflow(conn, &row.channel, v).await?,
        None => channels::current_workflow(conn, &row.channel).await?,
    };
    let found = found.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("channel {} has no workflow", row.channel))
    })?;
    let workflow = to_workflow(&found)?;
    workflows.put(&row.channel, &workflow);
    Ok(workflow)
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
