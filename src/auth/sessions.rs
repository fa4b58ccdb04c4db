//! Session use-cases: login, refresh, logout, password change. Each runs in
//! one transaction with its audit event.

use chrono::Utc;
use diesel_async::AsyncConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::auth::throttle::{self, Admission};
use crate::credentials::hashing::Overdue;
use crate::credentials::token::{hash_refresh_token, new_refresh_token};
use crate::db::audit_log::{NewEvent, Origin, append};
use crate::db::users::{find_by_username, find_for_share};
use crate::db::{connect, sessions};
use crate::domain::password::check_password;
use crate::domain::username;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Issues a pair for a session, storing the refresh token's hash.
async fn issue_pair(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<TokenPair, ApiError> {
    let (refresh_token, hash) = new_refresh_token();
    let expires = Utc::now() + state.tokens.refresh_ttl;
    sessions::add_refresh_token(conn, session_id, &hash, expires).await?;
    let access_token = state
        .tokens
        .issue_access(user_id, session_id)
        .map_err(ApiError::internal)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_token,
    })
}

pub async fn login(
    state: &AppState,
    origin: &Origin,
    username: &str,
    password: String,
) -> Result<TokenPair, ApiError> {
    // A place in argon2's queue first: a login turned away for a full queue
    // has changed nothing, not even the throttle's count.
    let ticket = state
        .hasher
        .admit()
        .map_err(|busy| ApiError::Busy(busy.retry_after))?;
    let key = throttle::key(username);
    let ip = origin.ip.clone().unwrap_or_else(|| "unknown".into());
    // The connection goes back to the pool before argon2: logins queued for
    // the hasher must not hold the connections every other request needs.
    let (reservation, user) = {
        let mut conn = connect(&state.pool).await?;
        conn.transaction::<_, ApiError, _>(async |conn| {
            let reservation = match throttle::admit(conn, &key, &ip).await? {
                Admission::Go(r) => r,
                Admission::Wait(seconds) => return Err(ApiError::TooManyRequests(seconds)),
            };
            // A name no account can have is looked up nowhere, yet costs the
            // same argon2 time below as an unknown one.
            let user = if username::is_valid(username) {
                find_by_username(conn, username).await?
            } else {
                None
            };
            Ok((reservation, user))
        })
        .await?
    };
    let verdict = ticket
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await;
    let mut conn = connect(&state.pool).await?;
    let matches = match verdict {
        Ok(matches) => matches,
        Err(e) => match e.downcast_ref::<Overdue>() {
            // Nothing was verified: the attempt does not count.
            Some(overdue) => {
                throttle::abandoned(&mut conn, reservation).await?;
                return Err(ApiError::Busy(overdue.retry_after));
            }
            None => return Err(ApiError::internal(e)),
        },
    };
    let mut reservation = Some(reservation);
    if let Some(user) = user.as_ref().filter(|u| matches && !u.disabled) {
        let opened = conn
            .transaction::<_, ApiError, _>(async |conn| {
                // A password reset or a disabling that landed while argon2
                // ran has revoked the sessions; this one must not outlive it.
                let now = find_for_share(conn, user.id).await?;
                if now.is_none_or(|u| u.disabled || u.password_hash != user.password_hash) {
                    return Ok(None);
                }
                let Some(r) = reservation.take() else {
                    return Ok(None);
                };
                throttle::succeeded(conn, r).await?;
                let session_id = sessions::create(conn, user.id).await?;
                let pair = issue_pair(state, conn, user.id, session_id).await?;
                append(
                    conn,
                    NewEvent::new("login", origin)
                        .by(user.id, &user.username)
                        .with("session_id", session_id.to_string()),
                )
                .await?;
                Ok(Some(pair))
            })
            .await?;
        if let Some(pair) = opened {
            return Ok(pair);
        }
    }
    let reason = if matches && user.is_some_and(|u| u.disabled) {
        "disabled"
    } else if matches {
        "account_changed"
    } else {
        "bad_credentials"
    };
    let attempted: String = username.chars().take(64).collect();
    let Some(reservation) = reservation else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "login reservation spent twice"
        )));
    };
    conn.transaction::<_, ApiError, _>(async |conn| {
        let failures = throttle::failed(conn, reservation).await?;
        let event = NewEvent::new("login_failed", origin)
            .with("username", attempted)
            .with("reason", reason)
            .with("consecutive_failures", failures);
        append(conn, event).await?;
        Ok(())
    })
    .await?;
    Err(ApiError::InvalidCredentials)
}

pub async fn refresh(
    state: &AppState,
    origin: &Origin,
    refresh_token: &str,
) -> Result<TokenPair, ApiError> {
    let hash = hash_refresh_token(refresh_token);
    let mut conn = connect(&state.pool).await?;
    // A reuse must revoke the session even though the request fails, so the
    // transaction commits and the refusal is returned after it.
    conn.transaction::<_, ApiError, _>(async |conn| {
        let Some(row) = sessions::lock_refresh_token(conn, &hash).await? else {
            return Ok(Err(ApiError::Unauthenticated));
        };
        if row.spent_at.is_some() {
            if sessions::revoke(conn, row.session_id, "refresh_token_reuse").await? > 0 {
                let event = NewEvent::new("refresh_token_reused", origin)
                    .by(row.user_id, &row.username)
                    .with("session_id", row.session_id.to_string());
                append(conn, event).await?;
            }
            return Ok(Err(ApiError::Unauthenticated));
        }
        if row.revoked_at.is_some() || row.disabled || row.expires_at <= Utc::now() {
            return Ok(Err(ApiError::Unauthenticated));
        }
        sessions::spend_refresh_token(conn, &hash).await?;
        let pair = issue_pair(state, conn, row.user_id, row.session_id).await?;
        let event = NewEvent::new("session_refreshed", origin)
            .by(row.user_id, &row.username)
            .with("session_id", row.session_id.to_string());
        append(conn, event).await?;
        Ok(Ok(pair))
    })
    .await?
}

pub async fn logout(state: &AppState, user: &AuthUser) -> Result<(), ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        sessions::revoke(conn, user.session_id, "logout").await?;
        let event = NewEvent::new("logout", &user.origin)
            .by(user.user_id, &user.username)
            .with("session_id", user.session_id.to_string());
        append(conn, event).await?;
        Ok(())
    })
    .await
}

pub async fn change_own_password(
    state: &AppState,
    user: &AuthUser,
    current: String,
    new: String,
) -> Result<(), ApiError> {
    check_password(&new).map_err(|p| ApiError::validation("new_password", p.to_string()))?;
    let mut conn = connect(&state.pool).await?;
    let row = crate::db::users::find(&mut conn, user.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let ok = state
        .hasher
        .verify(current, Some(row.password_hash))
        .await
        .map_err(ApiError::internal)?;
    if !ok {
        return Err(ApiError::validation("current_password", "does not match"));
    }
    let phc = state.hasher.hash(new).await.map_err(ApiError::internal)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        crate::db::users::set_password(conn, user.user_id, &phc).await?;
        let revoked = sessions::revoke_all_of(
            conn,
            user.user_id,
            Some(user.session_id),
            "password_changed",
        )
        .await?;
        let event = NewEvent::new("password_changed", &user.origin)
            .by(user.user_id, &user.username)
            .with("sessions_revoked", revoked);
        append(conn, event).await?;
        Ok(())
    })
    .await
}
