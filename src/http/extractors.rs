//! The request extractors for callers: a handler that takes an `AuthUser`
//! can only be reached with a valid access token of a live session of an
//! enabled user; one that takes a `TokenHolder` checks the session itself.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::{AuthUser, TokenHolder};
use crate::db::audit_log::Origin;
use crate::db::{connect, sessions};
use crate::error::ApiError;
use crate::http::request_id::RequestMeta;
use crate::state::AppState;

/// The holder of the request's access token, if it is valid.
fn token_holder(req: &HttpRequest, state: &AppState) -> Result<TokenHolder, ApiError> {
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

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))
}

impl FromRequest for TokenHolder {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(app_state(req).and_then(|state| token_holder(req, &state)))
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let holder = app_state(req).and_then(|state| token_holder(req, &state).map(|h| (state, h)));
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
