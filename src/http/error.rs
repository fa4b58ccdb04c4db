//! problem+json (RFC 9457) for the one use-case error, `crate::error::ApiError`:
//! its HTTP status, headers and body.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::error::{ApiError, FieldProblem};

/// The problem+json body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:sanshen:problem:stale_content",
    "title": "Stale content",
    "status": 409,
    "detail": "content_hash is not the current revision's",
    "code": "stale_content"
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// `check_failed`: every finding of the machine check (SPEC §6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<crate::domain::check::Finding>>,
    /// `findings_unacknowledged`: the ids of the `warn` findings missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unacknowledged: Option<Vec<String>>,
}

/// The body a client sees for `error`.
pub fn problem(error: &ApiError) -> Problem {
    let code = error.code();
    Problem {
        kind: format!("urn:sanshen:problem:{code}"),
        title: error.title().into(),
        status: error.status_code().as_u16(),
        detail: error.to_string(),
        code: code.into(),
        errors: match error {
            ApiError::Validation(errors) => Some(errors.clone()),
            _ => None,
        },
        findings: match error {
            ApiError::CheckFailed(findings) => Some(findings.clone()),
            _ => None,
        },
        unacknowledged: match error {
            ApiError::FindingsUnacknowledged(ids) => Some(ids.clone()),
            _ => None,
        },
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::SeparationOfDuties(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::StaleContent(_)
            | ApiError::StageMismatch(_)
            | ApiError::InvalidTransition(_)
            | ApiError::RiskLowering(_)
            | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_)
            | ApiError::CheckFailed(_)
            | ApiError::FindingsUnacknowledged(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::TooManyRequests(seconds) | ApiError::Busy(seconds) => {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            ApiError::Unauthenticated => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, *allow));
            }
            _ => {}
        }
        response.json(problem(self))
    }
}
