//! POST /audit/sweep (auditor only): the periodic sweep (定期排查, SPEC §9)
//! over NDJSON of what is live on the channels, read as it streams in.

use actix_web::http::header;
use actix_web::{HttpRequest, post, web};

use crate::auth::AuthUser;
use crate::domain::vocabulary::Role;
use crate::http::error::{ApiError, Problem};
use crate::http::problems::AdminErrors;
use crate::reports::sweep::{self as sweeps, LiveItem, MAX_BYTES, SweepReport};
use crate::state::AppState;

#[utoipa::path(operation_id = "audit_sweep", tag = "audit", security(("bearer" = [])),
    request_body(content = LiveItem, content_type = "application/x-ndjson",
        description = "One item per line, `{channel, url?, title, summary?, body, format}`, as \
            scraped; at most 10,000 items and 50 MiB. Blank lines are skipped."),
    description = "Requires `auditor`. Judges each line: `approved` (a published revision has \
        exactly this content_hash), `changed` (its URL, else its title, matches an item published \
        on that channel but the text differs), `unknown` (nothing like it was published). Text that \
        breaks SPEC §1's rules is judged too (it can only be changed or unknown). Records \
        `sweep_run` with the totals.",
    responses(
        (status = 200, body = SweepReport),
        AdminErrors,
        (status = 400, description = "A line is not such an item (the detail names it), no item at all, or more than 10,000 items", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 50 MiB (`payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/audit/sweep")]
pub async fn sweep(
    state: web::Data<AppState>,
    auditor: AuthUser,
    req: HttpRequest,
    body: web::Payload,
) -> Result<web::Json<SweepReport>, ApiError> {
    auditor.require(Role::Auditor)?;
    // A declared length over the limit is refused before reading a byte.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge(MAX_BYTES));
    }
    Ok(web::Json(sweeps::sweep(&state, &auditor, body).await?))
}
