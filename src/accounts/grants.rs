//! Granting and revoking roles, with the separation of admin and auditor (三员分立).

use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::accounts::users::department_exists;
use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::users::{self, GrantRow, NewGrant};
use crate::db::{channels, connect};
use crate::domain::vocabulary::Role;
use crate::error::unique_as_conflict;
use crate::error::{ApiError, FieldProblem};
use crate::state::AppState;

pub struct GrantInput {
    pub role: String,
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
}

pub async fn grant(
    state: &AppState,
    admin: &AuthUser,
    user_id: Uuid,
    input: GrantInput,
) -> Result<GrantRow, ApiError> {
    let mut conn = connect(&state.pool).await?;
    let mut problems = Vec::new();
    let role = Role::parse(&input.role);
    match role {
        None => problems.push(FieldProblem::new("role", "is not one of the ten roles")),
        Some(Role::Admin | Role::Auditor)
            if input.channel.is_some() || input.department_id.is_some() =>
        {
            problems.push(FieldProblem::new(
                "role",
                "admin and auditor grants cannot be scoped",
            ));
        }
        Some(_) => {}
    }
    if let Some(code) = &input.channel
        && channels::find(&mut conn, code).await?.is_none()
    {
        problems.push(FieldProblem::new("channel", "no such channel"));
    }
    if !department_exists(&mut conn, input.department_id).await? {
        problems.push(FieldProblem::new("department_id", "no such department"));
    }
    let (Some(role), true) = (role, problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    conn.transaction::<_, ApiError, _>(async |conn| {
        users::lock(conn, user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let held = users::grants_of(conn, user_id).await?;
        // 三员分立: the admin manages accounts and holds nothing else, so it
        // can never grant itself a way into draft content (SPEC §1).
        if let Some(clash) = admin_clash(role, held.iter().map(|g| g.role.as_str())) {
            return Err(ApiError::SeparationOfDuties(clash));
        }
        let row = users::insert_grant(
            conn,
            &NewGrant {
                id: Uuid::new_v4(),
                user_id,
                role: role.as_str(),
                channel: input.channel.as_deref(),
                department_id: input.department_id,
                created_by: Some(admin.user_id),
            },
        )
        .await
        .map_err(unique_as_conflict("the user already holds this grant"))?;
        append(conn, grant_event("grant_added", admin, &row)).await?;
        Ok(row)
    })
    .await
}

pub async fn revoke(
    state: &AppState,
    admin: &AuthUser,
    user_id: Uuid,
    grant_id: Uuid,
) -> Result<(), ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        users::lock(conn, user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let row = users::delete_grant(conn, user_id, grant_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        append(conn, grant_event("grant_revoked", admin, &row)).await?;
        Ok(())
    })
    .await
}

/// Why `role` may not be added to a user holding `held`, if it may not.
fn admin_clash<'a>(role: Role, mut held: impl Iterator<Item = &'a str>) -> Option<String> {
    if role == Role::Admin {
        held.find(|r| *r != Role::Admin.as_str())
            .map(|other| format!("an admin holds no other role; this user holds {other}"))
    } else if held.any(|r| r == Role::Admin.as_str()) {
        Some(format!(
            "an admin holds no other role, so {} cannot be granted to this user",
            role.as_str()
        ))
    } else {
        None
    }
}

fn grant_event(action: &'static str, admin: &AuthUser, row: &GrantRow) -> NewEvent {
    NewEvent::new(action, &admin.origin)
        .by(admin.user_id, &admin.username)
        .with("user_id", row.user_id.to_string())
        .with("grant_id", row.id.to_string())
        .with("role", row.role.clone())
        .with("channel", row.channel.clone())
        .with("department_id", row.department_id.map(|d| d.to_string()))
}
