//! Delegation (代签, SPEC §8): a signer hands signing to a deputy for a
//! stated time, on the record. Creating and revoking are the principal's
//! own acts; each is audited.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::delegations::{self, DelegationRow};
use crate::db::{connect, users};
use crate::domain::vocabulary::{Role, Stage};
use crate::error::{ApiError, FieldProblem};
use crate::state::AppState;

/// The longest a delegation may run (SPEC §8).
pub const LONGEST: Duration = Duration::days(30);

pub struct DelegationInput {
    pub to_user_id: Uuid,
    pub stages: Option<Vec<String>>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// The stages the caller's grants let them sign, in stage order.
fn signed_by(user: &AuthUser) -> Vec<Stage> {
    let mut stages: Vec<Stage> = user
        .grants
        .iter()
        .filter_map(|g| Role::parse(&g.role).and_then(Role::stage))
        .collect();
    stages.sort();
    stages.dedup();
    stages
}

/// The stages asked for, each one the principal signs; all of them if none
/// were named.
fn stages_of(
    asked: Option<Vec<String>>,
    signs: &[Stage],
    problems: &mut Vec<FieldProblem>,
) -> Vec<Stage> {
    let Some(asked) = asked else {
        return signs.to_vec();
    };
    if asked.is_empty() {
        problems.push(FieldProblem::new(
            "stages",
            "name at least one stage, or leave it out for all you sign",
        ));
    }
    let mut stages = Vec::new();
    for name in asked {
        match Stage::parse(&name) {
            None => problems.push(FieldProblem::new(
                "stages",
                format!("{name:?} is not a stage"),
            )),
            Some(s) if !signs.contains(&s) => problems.push(FieldProblem::new(
                "stages",
                format!("you hold no grant to sign {name}, so you cannot delegate it"),
            )),
            Some(s) => stages.push(s),
        }
    }
    stages.sort();
    stages.dedup();
    stages
}

fn check_period(input: &DelegationInput, now: DateTime<Utc>, problems: &mut Vec<FieldProblem>) {
    if input.ends_at <= input.starts_at {
        problems.push(FieldProblem::new("ends_at", "must be after starts_at"));
    } else if input.ends_at - input.starts_at > LONGEST {
        problems.push(FieldProblem::new(
            "ends_at",
            "a delegation runs at most 30 days after starts_at",
        ));
    }
    if input.ends_at <= now {
        problems.push(FieldProblem::new("ends_at", "must be in the future"));
    }
}

pub async fn create(
    state: &AppState,
    user: &AuthUser,
    input: DelegationInput,
) -> Result<DelegationRow, ApiError> {
    let signs = signed_by(user);
    if signs.is_empty() {
        return Err(ApiError::Forbidden(
            "you sign no stage, so there is nothing to delegate".into(),
        ));
    }
    let now = Utc::now();
    let mut problems = Vec::new();
    let stages = stages_of(input.stages.clone(), &signs, &mut problems);
    check_period(&input, now, &mut problems);
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.contains('\0') {
        problems.push(FieldProblem::new(
            "reason",
            "must be 1–500 characters, not blank",
        ));
    }
    if input.to_user_id == user.user_id {
        problems.push(FieldProblem::new(
            "to_user_id",
            "you cannot delegate to yourself",
        ));
    }
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        match users::find_for_share(conn, input.to_user_id).await? {
            None => problems.push(FieldProblem::new("to_user_id", "no such user")),
            Some(u) if u.disabled => {
                problems.push(FieldProblem::new("to_user_id", "that user is disabled"));
            }
            Some(_) => {}
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let row = DelegationRow {
            id: Uuid::new_v4(),
            principal_id: user.user_id,
            delegate_id: input.to_user_id,
            stages: stages.iter().map(|s| s.as_str().to_string()).collect(),
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            reason: reason.to_string(),
            created_at: now,
            revoked_at: None,
            revoked_by: None,
        };
        delegations::insert(conn, &row).await?;
        let event = NewEvent::new("delegation_created", &user.origin)
            .by(user.user_id, &user.username)
            .with("delegation_id", row.id.to_string())
            .with("principal_id", row.principal_id.to_string())
            .with("delegate_id", row.delegate_id.to_string())
            .with("stages", row.stages.clone())
            .with("starts_at", row.starts_at.to_rfc3339())
            .with("ends_at", row.ends_at.to_rfc3339())
            .with("reason", row.reason.clone());
        append(conn, event).await?;
        Ok(row)
    })
    .await
}

/// (given, received), newest first.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
) -> Result<(Vec<DelegationRow>, Vec<DelegationRow>), ApiError> {
    let mut conn = connect(&state.pool).await?;
    let rows = delegations::of_user(&mut conn, user.user_id).await?;
    Ok(rows
        .into_iter()
        .partition(|d| d.principal_id == user.user_id))
}

/// Only the principal revokes; the delegate sees it but may not end it.
pub async fn revoke(state: &AppState, user: &AuthUser, id: Uuid) -> Result<(), ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = delegations::lock(conn, id)
            .await?
            .filter(|d| d.principal_id == user.user_id || d.delegate_id == user.user_id)
            .ok_or(ApiError::NotFound)?;
        if row.principal_id != user.user_id {
            return Err(ApiError::Forbidden(
                "only the person who delegated may revoke it".into(),
            ));
        }
        let now = Utc::now();
        if row.revoked_at.is_some() {
            return Err(ApiError::Conflict("already revoked".into()));
        }
        if row.ends_at <= now {
            return Err(ApiError::Conflict("already ended".into()));
        }
        delegations::revoke(conn, id, user.user_id, now).await?;
        let event = NewEvent::new("delegation_revoked", &user.origin)
            .by(user.user_id, &user.username)
            .with("delegation_id", id.to_string())
            .with("delegate_id", row.delegate_id.to_string());
        append(conn, event).await?;
        Ok(())
    })
    .await
}
