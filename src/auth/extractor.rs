//! `AuthUser`: a handler that takes one can only be reached with a valid
//! access token of a live session of an enabled user.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use uuid::Uuid;

use crate::audit::Origin;
use crate::db::users::GrantRow;
use crate::db::{connect, sessions};
use crate::domain::vocabulary::Role;
use crate::http::error::ApiError;
use crate::http::request_id::RequestMeta;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub username: String,
    pub grants: Vec<GrantRow>,
    pub origin: Origin,
}

impl AuthUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role.as_str())
    }

    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.has_role(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The holder of a valid access token whose session is yet to be checked:
/// for the draft actions, which check it inside their own transaction,
/// pipelined with the draft's lock (one statement, one round trip and one
/// pool checkout fewer than [`AuthUser`]). Nothing may be read or written
/// for it before [`TokenHolder::admit`].
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub origin: Origin,
}

impl TokenHolder {
    /// The user, if `live` (the session as [`sessions::check`] found it) is
    /// a live session of an enabled user.
    pub fn admit(&self, live: Option<sessions::SessionCheck>) -> Result<AuthUser, ApiError> {
        let Some(live) = live.filter(|s| !s.disabled && s.revoked_at.is_none()) else {
            return Err(ApiError::Unauthenticated);
        };
        Ok(AuthUser {
            user_id: self.user_id,
            session_id: self.session_id,
            username: live.username,
            grants: live.grants,
            origin: self.origin.clone(),
        })
    }

    fn from_parts(req: &HttpRequest, state: &AppState) -> Result<TokenHolder, ApiError> {
        let token = bearer_token(req).ok_or(ApiError::Unauthenticated)?;
        let claims = state
            .tokens
            .verify_access(&token)
            .ok_or(ApiError::Unauthenticated)?;
        let meta = RequestMeta::of(req);
        Ok(TokenHolder {
            user_id: claims.sub,
            session_id: claims.sid,
            origin: Origin {
                request_id: Some(meta.request_id),
                ip: meta.ip,
            },
        })
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))
}

impl FromRequest for TokenHolder {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(app_state(req).and_then(|state| TokenHolder::from_parts(req, &state)))
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let holder = app_state(req)
            .and_then(|state| TokenHolder::from_parts(req, &state).map(|h| (state, h)));
        Box::pin(async move {
            let (state, holder) = holder?;
            let conn = connect(&state.pool).await?;
            let live = sessions::check(&conn, holder.session_id, holder.user_id).await?;
            holder.admit(live)
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}
