//! The one error of the use-cases: every failure a client can see, with
//! the stable codes of SPEC §3. It lives below `http/`, which only maps it
//! to problem+json (`http::error`); lower layers keep their own `thiserror`
//! enums (`DbError`) and convert here, keeping the cause for the logs.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::domain::content::FieldError;

/// A rule a field broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The request field, e.g. `title` or `checks`.
    #[schema(example = "title")]
    pub field: String,
    #[schema(example = "must be 1–200 characters")]
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        FieldProblem::new(e.field, e.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Malformed(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    SeparationOfDuties(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    StaleContent(String),
    #[error("{0}")]
    StageMismatch(String),
    #[error("{0}")]
    InvalidTransition(String),
    /// SPEC §5: during review a risk tier may be raised, never lowered.
    #[error("{0}")]
    RiskLowering(String),
    #[error("{0}")]
    Conflict(String),
    #[error("If-Match does not match the current content")]
    PreconditionFailed,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("validation failed")]
    Validation(Vec<FieldProblem>),
    #[error("this request needs an If-Match header with the current content_hash")]
    PreconditionRequired,
    #[error("too many login attempts; retry after {0} seconds")]
    TooManyRequests(u64),
    /// Carries the methods the resource does allow, for the `Allow` header.
    #[error("method not allowed; this resource allows {0}")]
    MethodNotAllowed(&'static str),
    /// Submit refused by a `block` finding of the machine check (SPEC §6).
    #[error("the machine check found wording that must not go out")]
    CheckFailed(Vec<crate::domain::check::Finding>),
    /// A first-step approval that does not acknowledge these `warn` findings.
    #[error("the approval does not acknowledge every warn finding of the machine check")]
    FindingsUnacknowledged(Vec<String>),
    #[error("database unreachable")]
    Unavailable,
    /// Too busy to take this request now (the login queue is full): 503
    /// `unavailable` with Retry-After, in seconds.
    #[error("too many logins in progress; retry after {0} seconds")]
    Busy(u64),
    /// A fault of ours, never of the client: logged with its cause, shown as 500.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "malformed_request",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::SeparationOfDuties(_) => "separation_of_duties",
            ApiError::NotFound => "not_found",
            ApiError::StaleContent(_) => "stale_content",
            ApiError::StageMismatch(_) => "stage_mismatch",
            ApiError::InvalidTransition(_) => "invalid_transition",
            ApiError::RiskLowering(_) => "risk_lowering",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::CheckFailed(_) => "check_failed",
            ApiError::FindingsUnacknowledged(_) => "findings_unacknowledged",
            ApiError::Unavailable | ApiError::Busy(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "Malformed request",
            ApiError::Unauthenticated => "Unauthenticated",
            ApiError::InvalidCredentials => "Invalid credentials",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::SeparationOfDuties(_) => "Separation of duties",
            ApiError::NotFound => "Not found",
            ApiError::StaleContent(_) => "Stale content",
            ApiError::StageMismatch(_) => "Stage mismatch",
            ApiError::InvalidTransition(_) => "Invalid transition",
            ApiError::RiskLowering(_) => "Risk tier not lowered",
            ApiError::Conflict(_) => "Conflict",
            ApiError::PreconditionFailed => "Precondition failed",
            ApiError::PayloadTooLarge(_) => "Payload too large",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::Validation(_) => "Validation failed",
            ApiError::PreconditionRequired => "Precondition required",
            ApiError::TooManyRequests(_) => "Too many requests",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::CheckFailed(_) => "Check failed",
            ApiError::FindingsUnacknowledged(_) => "Findings unacknowledged",
            ApiError::Unavailable | ApiError::Busy(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldProblem::new(field, message)])
    }

    pub fn forbidden() -> ApiError {
        ApiError::Forbidden("you lack the role or scope for this".into())
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(e.into())
    }
}

/// Reads vocabulary text from a row: text the schema admits but this code
/// cannot read (a corrupt row, or a database ahead of the code) is a fault
/// to report, never replaced by a plausible default.
pub fn stored<T>(parsed: Option<T>, column: &str, text: &str) -> Result<T, ApiError> {
    parsed
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("{column} holds unknown value {text:?}")))
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(why) => {
                tracing::warn!(%why, "database unavailable");
                ApiError::Unavailable
            }
            DbError::Query(diesel::result::Error::NotFound) => ApiError::NotFound,
            DbError::Query(q) if is_connection_loss(&q) => {
                tracing::warn!(error = %q, "database connection lost");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::from(DbError::Query(e))
    }
}

fn is_connection_loss(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        // A pooled connection whose backend was terminated fails in
        // tokio-postgres without an SQLSTATE, which diesel-async reports
        // as UnableToSendCommand ("connection closed"): the database is
        // away, not a fault of ours (seen as a 500 from /readyz).
        Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
            let m = info.message();
            m.contains("connection closed") || m.contains("communicating with the server")
        }
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let m = info.message();
            m.contains("connection closed")
                || m.contains("terminating connection")
                || m.contains("shutting down")
        }
        _ => false,
    }
}

/// Maps a unique violation to 409 with `message`; other errors pass through.
pub fn unique_as_conflict(message: &'static str) -> impl Fn(diesel::result::Error) -> ApiError {
    move |e| {
        let e = DbError::Query(e);
        if e.is_unique_violation() {
            ApiError::Conflict(message.into())
        } else {
            ApiError::from(e)
        }
    }
}
