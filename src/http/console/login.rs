//! Signing in and out of the console. The login is the API's login
//! use-case (same throttling, same `login` and `login_failed` events); the
//! login form carries a CSRF token matched against a `SameSite=Strict`
//! cookie, so no other site can sign a phone into someone else's account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;

use crate::console::session as console_session;
use crate::error::ApiError;
use crate::http::console::session::{self, Fields, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::http::console::view::{ConsoleError, Notice, page, see_other, ser};
use crate::http::request_id::RequestMeta;
use crate::state::AppState;

/// `GET /console/login`: the form, with a fresh login CSRF token unless the
/// browser already holds one.
pub async fn form(req: HttpRequest) -> HttpResponse {
    let token = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64)
        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>()));
    login_page(&req, StatusCode::OK, token, "", None)
}

fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    token: String,
    typed_username: &str,
    notice: Option<Notice>,
) -> HttpResponse {
    let mut response = page(
        status,
        "login.html",
        context! { login_csrf => token.clone(), typed_username, notice => ser(&notice) },
    );
    let cookie = session::cookie(req, LOGIN_CSRF_COOKIE, token);
    if let Err(e) = response.add_cookie(&cookie) {
        tracing::warn!(error = %e, "login csrf cookie not set");
    }
    response
}

/// `POST /console/login`: on success the session cookie and the tasks page.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = Fields(form.into_inner());
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    let sent = fields.one("csrf_token");
    if expected.is_none() || expected.as_deref() != sent {
        return Err(ConsoleError::csrf());
    }
    let token = expected.unwrap_or_default();
    let username = fields.one("username").unwrap_or_default();
    let password = fields.one("password").unwrap_or_default().to_string();
    let origin = RequestMeta::of(&req).origin();
    match console_session::login(&state, &origin, username, password).await {
        Ok(login) => {
            let mut response = see_other("/console/tasks");
            let set = [
                session::cookie(&req, SESSION_COOKIE, login.token),
                session::removal(&req, LOGIN_CSRF_COOKIE),
            ];
            for c in set {
                response.add_cookie(&c).map_err(ApiError::internal)?;
            }
            Ok(response)
        }
        Err(ApiError::InvalidCredentials) => Ok(login_page(
            &req,
            StatusCode::UNAUTHORIZED,
            token,
            username,
            Some(Notice::error("Wrong username or password.")),
        )),
        Err(other) => Err(other.into()),
    }
}

/// `POST /console/logout`: ends the server session (for the API too) and
/// drops the cookie.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = Fields(form.into_inner());
    let holder = session::posting(&req, &state, fields.one("csrf_token"))?;
    let user = console_session::user(&state, &holder).await?;
    console_session::logout(&state, &user).await?;
    let mut response = see_other("/console/login");
    response
        .add_cookie(&session::removal(&req, SESSION_COOKIE))
        .map_err(ApiError::internal)?;
    Ok(response)
}
