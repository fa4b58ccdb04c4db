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

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = bearer_token(req);
        let meta = RequestMeta::of(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?;
            let token = bearer.ok_or(ApiError::Unauthenticated)?;
            let claims = state
                .tokens
                .verify_access(&token)
                .ok_or(ApiError::Unauthenticated)?;
            let mut conn = connect(&state.pool).await?;
            let live = sessions::check(&mut conn, claims.sid, claims.sub).await?;
            let Some(live) = live.filter(|s| !s.disabled && s.revoked_at.is_none()) else {
                return Err(ApiError::Unauthenticated);
            };
            Ok(AuthUser {
                user_id: claims.sub,
                session_id: claims.sid,
                username: live.username,
                grants: live.grants,
                origin: Origin {
                    request_id: Some(meta.request_id),
                    ip: meta.ip,
                },
            })
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}
