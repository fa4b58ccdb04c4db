//! The review actions of SPEC §2 (submit to retract; creating and editing
//! are `authoring`), one transaction each: lock the draft, load
//! the facts, ask the workflow rules, write the effect and its audit event.

use chrono::{DateTime, SubsecRound, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::auth::{AuthUser, TokenHolder};
use crate::check;
use crate::db::audit_log::{NewEvent, append};
use crate::db::connect;
use crate::db::drafts::{self, DraftState, SignoffRow};
use crate::domain::content::Remark;
use crate::domain::content_hash::ContentHash;
use crate::domain::deadline;
use crate::domain::vocabulary::{Check, Decision, RetractReason, Stage, Status};
use crate::domain::workflow::{Action, Effect, Standing};
use crate::drafts::facts::{self, Loaded};
use crate::error::ApiError;
use crate::state::AppState;

/// What a signer or publisher asks for, already validated.
#[derive(Debug, Clone)]
pub enum Command {
    Submit {
        content_hash: ContentHash,
    },
    Approve {
        stage: Stage,
        content_hash: ContentHash,
        comment: Option<Remark>,
        checks: Vec<Check>,
        /// Machine-check finding ids acknowledged (SPEC §6).
        acknowledged: Vec<String>,
    },
    Return {
        stage: Stage,
        content_hash: ContentHash,
        reason: Remark,
    },
    Withdraw {
        reason: Option<Remark>,
    },
    Publish {
        content_hash: ContentHash,
        url: Option<String>,
    },
    Retract {
        reason_code: RetractReason,
        reason: Remark,
    },
}

pub(crate) fn unchanged(loaded: &Loaded, revision: i32) -> DraftState<'_> {
    DraftState {
        status: &loaded.row.status,
        current_stage: loaded.row.current_stage.as_deref(),
        workflow_version: loaded.row.workflow_version,
        revision,
        round: loaded.row.round,
        published_url: loaded.row.published_url.as_deref(),
        updated_at: Utc::now(),
        current_step: loaded.row.current_step,
        current_stages: loaded
            .row
            .current_stages
            .iter()
            .map(String::as_str)
            .collect(),
        due_at: loaded.row.due_at,
        overdue: loaded.row.overdue,
    }
}

/// Where a draft in review stands on its route, for its deadline.
pub(crate) fn place(status: &str, round: i32, step: Option<i32>) -> Option<deadline::Place> {
    (status == Status::InReview.as_str())
        .then_some(step)
        .flatten()
        .map(|s| (round, s))
}

/// Where a draft stands, as the row keeps it: `current_stage` (the first
/// open stage, for part-one clients), `current_step`, `current_stages`.
/// Nowhere (`None` or complete) clears all three.
pub(crate) fn position(
    standing: Option<&Standing>,
) -> (Option<&'static str>, Option<i32>, Vec<&'static str>) {
    match standing {
        Some(Standing::At { step, open }) => (
            open.first().map(|s| s.as_str()),
            i32::try_from(*step).ok(),
            open.iter().map(|s| s.as_str()).collect(),
        ),
        Some(Standing::Complete) | None => (None, None, Vec::new()),
    }
}

/// A workflow action by the holder of an access token; the session is
/// checked in the action's transaction (`facts::load_as`).
pub async fn perform(
    state: &AppState,
    holder: &TokenHolder,
    id: Uuid,
    command: Command,
) -> Result<Loaded, ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (loaded, user, mut actor) =
            facts::load_as(conn, &state.workflows, id, holder, true).await?;
        let effect = facts::decided(conn, &loaded.facts, &mut actor, &action_of(&command)).await?;
        match (&effect, &command) {
            (Effect::Submit { .. }, _) => {
                check::gate_on_submit(conn, state, &user, &loaded.row, &loaded.revision).await?
            }
            (Effect::Approve { stage, .. }, Command::Approve { acknowledged, .. }) => {
                check::require_acknowledged(
                    conn,
                    &loaded.row,
                    &loaded.revision,
                    loaded.facts.route(),
                    *stage,
                    acknowledged,
                )
                .await?
            }
            _ => {}
        }
        apply(conn, &user, loaded, &command, &effect, state.clock.now()).await
    })
    .await
}

fn action_of(command: &Command) -> Action<'_> {
    match command {
        Command::Submit { content_hash } => Action::Submit {
            content_hash: content_hash.as_str(),
        },
        Command::Approve {
            stage,
            content_hash,
            checks,
            ..
        } => Action::Approve {
            stage: *stage,
            content_hash: content_hash.as_str(),
            checks,
        },
        Command::Return {
            stage,
            content_hash,
            ..
        } => Action::Return {
            stage: *stage,
            content_hash: content_hash.as_str(),
        },
        Command::Withdraw { .. } => Action::Withdraw,
        Command::Publish { content_hash, .. } => Action::Publish {
            content_hash: content_hash.as_str(),
        },
        Command::Retract { .. } => Action::Retract,
    }
}

/// Writes the effect and its event; returns the draft as it now stands, so
/// the response needs no second read.
async fn apply(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    mut loaded: Loaded,
    command: &Command,
    effect: &Effect,
    now: DateTime<Utc>,
) -> Result<Loaded, ApiError> {
    let mut signed = None;
    let row = &loaded.row;
    let to = effect.to_status().unwrap_or(loaded.facts.status);
    let mut next = unchanged(&loaded, row.revision);
    next.status = to.as_str();
    (next.current_stage, next.current_step, next.current_stages) = position(None);
    let mut event = NewEvent::new(action_name(effect), &user.origin)
        .by(user.user_id, &user.username)
        .on_draft(row.id, row.revision, &loaded.revision.content_hash)
        .transition(&row.status, to.as_str());
    match (effect, command) {
        (Effect::Submit { next: standing }, _) => {
            next.round = row.round + 1;
            (next.current_stage, next.current_step, next.current_stages) = position(Some(standing));
            next.workflow_version = Some(loaded.facts.workflow.version);
            event = event
                .with("workflow_version", loaded.facts.workflow.version)
                .with("risk_level", loaded.facts.risk.as_str())
                .with("round", next.round)
                .with("current_stages", next.current_stages.clone());
            event.stage = next.current_stage.map(String::from);
        }
        (
            Effect::Approve {
                stage,
                next: following,
                on_behalf_of,
            },
            Command::Approve {
                comment,
                checks,
                acknowledged,
                ..
            },
        ) => {
            (next.current_stage, next.current_step, next.current_stages) =
                position(Some(following));
            let checks: Vec<String> = checks.iter().map(|c| c.as_str().to_string()).collect();
            signed = Some(signoff(
                user,
                &loaded,
                *stage,
                Decision::Approve,
                comment.as_ref().map(Remark::as_str),
                &checks,
                *on_behalf_of,
            ));
            if let Some(s) = &mut signed {
                s.acknowledged = acknowledged.clone();
            }
            if !acknowledged.is_empty() {
                event = event.with("acknowledged", acknowledged.clone());
            }
            event = event
                .with("checks", checks)
                .with("comment", comment.as_ref().map(Remark::as_str))
                .with("next_stage", next.current_stage)
                .with("current_stages", next.current_stages.clone());
            event.stage = Some(stage.as_str().into());
        }
        (
            Effect::Return {
                stage,
                on_behalf_of,
            },
            Command::Return { reason, .. },
        ) => {
            signed = Some(signoff(
                user,
                &loaded,
                *stage,
                Decision::Return,
                Some(reason.as_str()),
                &[],
                *on_behalf_of,
            ));
            event = event.with("reason", reason.as_str());
            event.stage = Some(stage.as_str().into());
        }
        (Effect::Withdraw, Command::Withdraw { reason }) => {
            event = event.with("reason", reason.as_ref().map(Remark::as_str))
        }
        (Effect::Publish, Command::Publish { url, .. }) => {
            next.published_url = url.as_deref();
            event = event.with("url", url.clone());
        }
        (
            Effect::Retract,
            Command::Retract {
                reason_code,
                reason,
            },
        ) => {
            event = event
                .with("reason_code", reason_code.as_str())
                .with("reason", reason.as_str())
        }
        _ => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "effect {effect:?} does not answer {command:?}"
            )));
        }
    }
    if let Some(principal) = signed.as_ref().and_then(|s| s.on_behalf_of) {
        event = event.with("on_behalf_of", principal.to_string());
    }
    // Three independent writes, pipelined: one round trip. The sign-off
    // goes first, so that a unique violation is the error reported.
    // SPEC §8: the open step's deadline, and whether it has passed.
    let was = place(&row.status, row.round, row.current_step);
    let is = place(next.status, next.round, next.current_step);
    next.due_at = deadline::due_at(loaded.facts.route(), was, is, row.due_at, now);
    next.overdue = was == is && row.overdue;
    let shared: &AsyncPgConnection = conn;
    let ((), updated, _) = futures_util::try_join!(
        async {
            if let Some(s) = &signed {
                drafts::insert_signoff(shared, s).await.map_err(
                    crate::error::unique_as_conflict("this stage was signed meanwhile"),
                )?;
            }
            Ok::<_, ApiError>(())
        },
        async { Ok::<_, ApiError>(drafts::set_state(shared, row.id, &next).await?) },
        async { Ok::<_, ApiError>(append(shared, event).await?) },
    )?;
    if matches!(effect, Effect::Publish) {
        crate::drafts::corrections::on_published(conn, user, &updated).await?;
    }
    loaded.facts.status = to;
    loaded.facts.round = updated.round;
    loaded.row = updated;
    if let Some(signoff) = signed {
        loaded.facts.signatures.push(facts::signature(&signoff)?);
        loaded.signoffs.push((signoff, user.username.clone()));
    }
    Ok(loaded)
}

fn action_name(effect: &Effect) -> &'static str {
    match effect {
        Effect::Submit { .. } => "draft_submitted",
        Effect::Approve { .. } => "stage_approved",
        Effect::Return { .. } => "stage_returned",
        Effect::Withdraw => "draft_withdrawn",
        Effect::Publish => "draft_published",
        Effect::Retract => "draft_retracted",
        Effect::SetRisk { .. } => "risk_changed",
        Effect::Visible | Effect::Comment | Effect::NewRevision => "draft_touched",
    }
}

/// The sign-off an approval or a return writes.
fn signoff(
    user: &AuthUser,
    loaded: &Loaded,
    stage: Stage,
    decision: Decision,
    comment: Option<&str>,
    checks: &[String],
    on_behalf_of: Option<Uuid>,
) -> SignoffRow {
    SignoffRow {
        id: Uuid::new_v4(),
        draft_id: loaded.row.id,
        revision: loaded.row.revision,
        round: loaded.row.round,
        content_hash: loaded.revision.content_hash.clone(),
        stage: stage.as_str().into(),
        signer_id: user.user_id,
        decision: decision.as_str().into(),
        comment: comment.map(String::from),
        checks: checks.to_vec(),
        // Microseconds, as PostgreSQL keeps it: the action's answer then
        // shows the time every later read shows.
        signed_at: Utc::now().trunc_subsecs(6),
        on_behalf_of,
        acknowledged: Vec::new(),
    }
}
