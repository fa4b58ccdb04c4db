//! The console's cookies and who a request comes from: the session cookie
//! (SPEC §11: `HttpOnly`, `SameSite=Strict`, `Secure` unless the server
//! listens on loopback), the login form's CSRF cookie, and the check of a
//! form's `csrf_token` against the session's.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::auth::{AuthUser, TokenHolder};
use crate::console::session;
use crate::error::ApiError;
use crate::http::console::view::ConsoleError;
use crate::http::request_id::RequestMeta;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sanshen_console";
pub const LOGIN_CSRF_COOKIE: &str = "sanshen_login_csrf";

/// A cookie of the console: only for `/console`, never readable by scripts,
/// never sent along with a request another site starts.
pub fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    // Plain http is fine only where nothing crosses a network: a server
    // listening on loopback (tests, a laptop, behind a local proxy).
    let loopback = req.app_config().local_addr().ip().is_loopback();
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(!loopback)
        .finish()
}

/// The same cookie, expired: the browser drops it.
pub fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new());
    c.set_max_age(Duration::ZERO);
    c
}

/// The holder of the request's console cookie, if its token is valid.
pub fn holder(req: &HttpRequest, state: &AppState) -> Result<TokenHolder, ConsoleError> {
    let cookie = req
        .cookie(SESSION_COOKIE)
        .ok_or(ApiError::Unauthenticated)?;
    let origin = RequestMeta::of(req).origin();
    Ok(session::holder(state, cookie.value(), origin).ok_or(ApiError::Unauthenticated)?)
}

/// The user of a live console session, with its CSRF token for the forms.
pub async fn user(req: &HttpRequest, state: &AppState) -> Result<(AuthUser, String), ConsoleError> {
    let holder = holder(req, state)?;
    let user = session::user(state, &holder).await?;
    let csrf = state.tokens.csrf_token(user.session_id);
    Ok((user, csrf))
}

/// The holder of the session a form was posted in, if the form carries the
/// session's CSRF token; else 403 before anything is read or written.
pub fn posting(
    req: &HttpRequest,
    state: &AppState,
    csrf_token: Option<&str>,
) -> Result<TokenHolder, ConsoleError> {
    let holder = holder(req, state)?;
    match csrf_token {
        Some(token) if state.tokens.csrf_matches(holder.session_id, token) => Ok(holder),
        _ => Err(ConsoleError::csrf()),
    }
}

/// The fields of a posted form, repeated names kept (`checks`).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, `None` when missing or blank (an empty
    /// optional textarea).
    pub fn filled(&self, name: &str) -> Option<String> {
        self.one(name)
            .filter(|v| !v.trim().is_empty())
            .map(String::from)
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
