//! Console sessions: a cookie token bound to a server session made by the
//! API's own login use-case (same throttling, same audit event), checked on
//! every request exactly as a bearer token's session is.

use uuid::Uuid;

use crate::auth::sessions;
use crate::auth::{AuthUser, TokenHolder};
use crate::db::audit_log::Origin;
use crate::db::{self, connect};
use crate::error::ApiError;
use crate::state::AppState;

/// A console login: the cookie's token and the session it names.
pub struct ConsoleLogin {
    pub token: String,
    pub session_id: Uuid,
}

/// Logs in through `auth::sessions::login`, then issues the console's
/// cookie token for the server session that login opened.
pub async fn login(
    state: &AppState,
    origin: &Origin,
    username: &str,
    password: String,
) -> Result<ConsoleLogin, ApiError> {
    let pair = sessions::login(state, origin, username, password).await?;
    // The access token just issued names the session; its refresh token is
    // never handed out and expires unused.
    let claims = state
        .tokens
        .verify_access(&pair.access_token)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("fresh access token did not verify")))?;
    let token = state
        .tokens
        .issue_console(claims.sub, claims.sid)
        .map_err(ApiError::internal)?;
    Ok(ConsoleLogin {
        token,
        session_id: claims.sid,
    })
}

/// The holder of a valid console cookie token, its session yet unchecked
/// (the draft actions check it in their own transaction).
pub fn holder(state: &AppState, token: &str, origin: Origin) -> Option<TokenHolder> {
    let claims = state.tokens.verify_console(token)?;
    Some(TokenHolder {
        user_id: claims.sub,
        session_id: claims.sid,
        origin,
    })
}

/// The user of a live session of an enabled user; `Unauthenticated` after
/// a logout, a revocation or a disabling, at once.
pub async fn user(state: &AppState, holder: &TokenHolder) -> Result<AuthUser, ApiError> {
    let conn = connect(&state.pool).await?;
    let live = db::sessions::check(&conn, holder.session_id, holder.user_id).await?;
    holder.admit(live)
}

/// Ends the session for the API and the console alike.
pub async fn logout(state: &AppState, user: &AuthUser) -> Result<(), ApiError> {
    sessions::logout(state, user).await
}
