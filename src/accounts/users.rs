//! Creating, changing and resetting user accounts.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::users::{self, DepartmentRow, GrantRow, NewUser, UserChanges, UserRow};
use crate::db::{connect, sessions};
use crate::domain::password::check_password;
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, FieldProblem, unique_as_conflict};
use crate::state::AppState;

pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub department_id: Option<Uuid>,
}

pub fn check_username(username: &str) -> Option<FieldProblem> {
    (!crate::domain::username::is_valid(username))
        .then(|| FieldProblem::new("username", "must be 3–64 of A–Z a–z 0–9 _ . -"))
}

pub fn check_display_name(name: &str) -> Option<FieldProblem> {
    let n = name.chars().count();
    (n == 0 || n > 200 || name.trim().is_empty())
        .then(|| FieldProblem::new("display_name", "must be 1–200 characters, not blank"))
}

pub async fn department_exists(
    conn: &mut AsyncPgConnection,
    id: Option<Uuid>,
) -> Result<bool, ApiError> {
    match id {
        None => Ok(true),
        Some(id) => Ok(users::department(conn, id).await?.is_some()),
    }
}

pub async fn create(
    state: &AppState,
    admin: &AuthUser,
    input: CreateUser,
) -> Result<UserRow, ApiError> {
    let mut problems: Vec<FieldProblem> = [
        check_username(&input.username),
        check_display_name(&input.display_name),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Err(p) = check_password(&input.password) {
        problems.push(FieldProblem::new("password", p.to_string()));
    }
    let mut conn = connect(&state.pool).await?;
    if !department_exists(&mut conn, input.department_id).await? {
        problems.push(FieldProblem::new("department_id", "no such department"));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let phc = state
        .hasher
        .hash(input.password)
        .await
        .map_err(ApiError::internal)?;
    let result = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = users::insert(
                conn,
                &NewUser {
                    id: Uuid::new_v4(),
                    username: &input.username,
                    display_name: &input.display_name,
                    password_hash: &phc,
                    department_id: input.department_id,
                },
            )
            .await
            .map_err(unique_as_conflict("username is taken"))?;
            let event = NewEvent::new("user_created", &admin.origin)
                .by(admin.user_id, &admin.username)
                .with("user_id", row.id.to_string())
                .with("username", row.username.clone());
            append(conn, event).await?;
            Ok(row)
        })
        .await?;
    Ok(result)
}

pub async fn update(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
    changes: UserChanges,
) -> Result<UserRow, ApiError> {
    let mut problems: Vec<FieldProblem> = changes
        .display_name
        .as_deref()
        .and_then(check_display_name)
        .into_iter()
        .collect();
    if changes.disabled == Some(true) && id == admin.user_id {
        problems.push(FieldProblem::new(
            "disabled",
            "you cannot disable your own account",
        ));
    }
    let mut conn = connect(&state.pool).await?;
    if let Some(dept) = changes.department_id
        && !department_exists(&mut conn, dept).await?
    {
        problems.push(FieldProblem::new("department_id", "no such department"));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = users::lock(conn, id).await?.ok_or(ApiError::NotFound)?;
        let after = if changes.display_name.is_none()
            && changes.department_id.is_none()
            && changes.disabled.is_none()
        {
            before.clone()
        } else {
            users::update(conn, id, &changes).await?
        };
        let mut event = NewEvent::new("user_updated", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("user_id", id.to_string());
        if before.display_name != after.display_name {
            event = event.with("display_name", after.display_name.clone());
        }
        if before.department_id != after.department_id {
            event = event.with("department_id", after.department_id.map(|d| d.to_string()));
        }
        if before.disabled != after.disabled {
            event = event.with("disabled", after.disabled);
            if after.disabled {
                // The per-request check refuses a disabled user's tokens at
                // once; revoking too keeps a later re-enable from reviving them.
                let revoked = sessions::revoke_all_of(conn, id, None, "user_disabled").await?;
                event = event.with("sessions_revoked", revoked);
            }
        }
        append(conn, event).await?;
        Ok(after)
    })
    .await
}

pub async fn reset_password(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
    new_password: String,
) -> Result<(), ApiError> {
    check_password(&new_password)
        .map_err(|p| ApiError::validation("new_password", p.to_string()))?;
    let mut conn = connect(&state.pool).await?;
    if users::find(&mut conn, id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let phc = state
        .hasher
        .hash(new_password)
        .await
        .map_err(ApiError::internal)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        users::lock(conn, id).await?.ok_or(ApiError::NotFound)?;
        users::set_password(conn, id, &phc).await?;
        let revoked = sessions::revoke_all_of(conn, id, None, "password_reset").await?;
        let event = NewEvent::new("password_reset", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("user_id", id.to_string())
            .with("sessions_revoked", revoked);
        append(conn, event).await?;
        Ok(())
    })
    .await
}

// Reads for admins and for the caller's own profile.

/// One user; 404 if there is none.
pub async fn get(state: &AppState, admin: &AuthUser, id: Uuid) -> Result<UserRow, ApiError> {
    admin.require(Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    users::find(&mut conn, id).await?.ok_or(ApiError::NotFound)
}

/// Up to `limit` users, oldest first.
pub async fn page(
    state: &AppState,
    admin: &AuthUser,
    after: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<UserRow>, ApiError> {
    admin.require(Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    Ok(users::page(&mut conn, after, limit).await?)
}

/// The grants of a user; 404 if there is no such user.
pub async fn grants(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
) -> Result<Vec<GrantRow>, ApiError> {
    admin.require(Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    users::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(users::grants_of(&mut conn, id).await?)
}

/// The caller's own account and department. An account deleted since the
/// token was issued is unauthenticated, not missing.
pub async fn me(
    state: &AppState,
    user: &AuthUser,
) -> Result<(UserRow, Option<DepartmentRow>), ApiError> {
    let mut conn = connect(&state.pool).await?;
    let row = users::find(&mut conn, user.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let department = match row.department_id {
        Some(id) => users::department(&mut conn, id).await?,
        None => None,
    };
    Ok((row, department))
}
