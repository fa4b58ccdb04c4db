//! Rendering: the templates (embedded, HTML auto-escaped), the notice a page
//! may carry, and the console's error, which is a page in plain words, not
//! problem+json.

use std::sync::OnceLock;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use minijinja::{Environment, Value, context};
use serde::Serialize;
use uuid::Uuid;

use crate::error::ApiError;

/// Every template, compiled once. Names end in `.html`, which turns
/// minijinja's auto-escaping on for every `{{ … }}`.
fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            (
                "base.html",
                include_str!("../../../templates/console/base.html"),
            ),
            (
                "login.html",
                include_str!("../../../templates/console/login.html"),
            ),
            (
                "tasks.html",
                include_str!("../../../templates/console/tasks.html"),
            ),
            (
                "draft.html",
                include_str!("../../../templates/console/draft.html"),
            ),
            (
                "sheet.html",
                include_str!("../../../templates/console/sheet.html"),
            ),
            (
                "message.html",
                include_str!("../../../templates/console/message.html"),
            ),
        ] {
            // The templates are part of the binary; a syntax error in one
            // is caught by the tests, and shows as a 500 page, not a panic.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "console template does not parse");
            }
        }
        env
    })
}

/// Any serializable value for a template (minijinja's serde bridge).
pub fn ser<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// A page with `status`; a template fault is ours (500, logged).
pub fn page(status: StatusCode, template: &str, ctx: Value) -> HttpResponse {
    let rendered = templates()
        .get_template(template)
        .and_then(|t| t.render(ctx));
    match rendered {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(template, error = %e, "console template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong on our side. Please try again.")
        }
    }
}

/// A message above a page's content.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `ok` or `error`: the colour and the ARIA role.
    pub kind: &'static str,
    pub text: String,
    pub link: Option<String>,
    pub link_text: Option<String>,
}

impl Notice {
    pub fn ok(text: impl Into<String>) -> Notice {
        Notice {
            kind: "ok",
            text: text.into(),
            link: None,
            link_text: None,
        }
    }

    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            kind: "error",
            ..Notice::ok(text)
        }
    }
}

/// 303 See Other: after a form, the browser loads `to` with GET.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Where the error happened: a draft page links back to it.
#[derive(Debug)]
pub struct ConsoleError {
    pub error: ApiError,
    pub draft: Option<Uuid>,
}

impl ConsoleError {
    pub fn on_draft(draft: Uuid) -> impl FnOnce(ApiError) -> ConsoleError {
        move |error| ConsoleError {
            error,
            draft: Some(draft),
        }
    }

    /// A form without the session's CSRF token (SPEC §11: 403, nothing changed).
    pub fn csrf() -> ConsoleError {
        ApiError::Forbidden("csrf".into()).into()
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        ConsoleError { error, draft: None }
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self.error, ApiError::Unauthenticated) {
            return see_other("/console/login");
        }
        if let ApiError::Internal(cause) = &self.error {
            tracing::error!(error = ?cause, "internal error");
        }
        let (heading, text, details) = plain_words(&self.error);
        let back = self.draft.map(|id| format!("/console/drafts/{id}"));
        let link_text = match self.error {
            ApiError::StaleContent(_) | ApiError::StageMismatch(_) => "Read the new revision",
            _ => "Back to the draft",
        };
        let (link, link_text) = match back {
            Some(link) => (link, link_text),
            None => ("/console/tasks".to_string(), "Back to your tasks"),
        };
        let mut response = page(
            self.status_code(),
            "message.html",
            context! { heading, text, details, link, link_text },
        );
        if let ApiError::TooManyRequests(seconds) = self.error
            && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// What a person reads for an error: a heading, a sentence, details.
fn plain_words(error: &ApiError) -> (&'static str, String, Vec<String>) {
    match error {
        ApiError::Forbidden(why) if why == "csrf" => (
            "This form has expired",
            "The form did not carry this session's security token, so nothing was changed. \
             Open the page again and resend it."
                .into(),
            vec![],
        ),
        ApiError::StaleContent(_) => (
            "The text changed since you opened it",
            "Nothing was signed: the author changed the text after you opened it. \
             Read the new revision before you sign."
                .into(),
            vec![],
        ),
        ApiError::StageMismatch(why) => (
            "Someone else acted first",
            format!("Nothing was signed: this stage is no longer open ({why})."),
            vec![],
        ),
        ApiError::SeparationOfDuties(why) => (
            "You may not sign this stage",
            format!(
                "Separation of duties (三审三校): {why}. Each stage of a kind needs a different \
                 person, and no one signs their own draft. Nothing was signed."
            ),
            vec![],
        ),
        ApiError::Forbidden(why) => (
            "Not yours to do",
            format!("You are not allowed to do this: {why}. Nothing was changed."),
            vec![],
        ),
        ApiError::InvalidTransition(why) => (
            "That is no longer possible",
            format!("Nothing was changed: {why}."),
            vec![],
        ),
        ApiError::Validation(fields) => (
            "Please check the form",
            "Nothing was changed.".into(),
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect(),
        ),
        ApiError::NotFound => (
            "Not found",
            "There is no such page, or it is not yours to see.".into(),
            vec![],
        ),
        ApiError::TooManyRequests(seconds) => (
            "Too many attempts",
            format!(
                "Too many failed sign-ins. Try again in {} minute(s).",
                seconds.div_ceil(60)
            ),
            vec![],
        ),
        ApiError::Unavailable => (
            "Please try again shortly",
            "The database cannot be reached right now. Nothing was changed.".into(),
            vec![],
        ),
        ApiError::Internal(_) => (
            "Something went wrong on our side",
            "Nothing was changed. Please try again.".into(),
            vec![],
        ),
        other => (
            "Request refused",
            format!("{other}. Nothing was changed."),
            vec![],
        ),
    }
}
