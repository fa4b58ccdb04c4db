//! The problem+json error responses of the OpenAPI document, declared once
//! as reusable sets: an operation lists `responses((status = 200, …), ReadErrors)`
//! instead of one line per error status. An operation whose error needs a
//! more specific description lists that one status after the set; the later
//! entry wins.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Content, Ref, RefOr};

/// What each status means on any endpoint (SPEC §4 gives the codes).
fn describe(status: u16) -> &'static str {
    match status {
        400 => "Malformed request: path, query or JSON (`malformed_request`)",
        401 => "Missing, invalid, expired or revoked access token (`unauthenticated`)",
        403 => "The caller's grants do not allow this (`forbidden`, `separation_of_duties`)",
        404 => "No such resource, or not visible to the caller (`not_found`)",
        409 => "Conflicts with the current state (`conflict` and the workflow codes)",
        413 => "Body too large (`payload_too_large`)",
        415 => "Body is not application/json (`unsupported_media_type`)",
        422 => "Well-formed but invalid; `errors` lists the fields (`validation_failed`)",
        503 => "The database is unavailable; retry (`unavailable`)",
        _ => "",
    }
}

/// A problem+json response with the status's standard description.
fn problem(status: u16, description: &str) -> (String, RefOr<Response>) {
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build();
    (status.to_string(), RefOr::T(response))
}

/// A named set of error statuses, each optionally with its own description.
macro_rules! problem_set {
    ($(#[$doc:meta])* $name:ident: $($status:literal $(=> $text:literal)?),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$(problem($status, problem_set!(@text $status $(, $text)?))),+]
                    .into_iter()
                    .collect()
            }
        }
    };
    (@text $status:literal) => { describe($status) };
    (@text $status:literal, $text:literal) => { $text };
}

problem_set!(
    /// Any call that needs only a valid token.
    AuthErrors: 401, 503
);
problem_set!(
    /// A paged list any caller may read.
    ListErrors: 400, 401, 503
);
problem_set!(
    /// One resource by its path.
    FindErrors: 401, 404, 503
);
problem_set!(
    /// A paged or filtered read of one resource.
    ReadErrors: 400, 401, 404, 503
);
problem_set!(
    /// An admin or auditor read.
    AdminErrors: 401, 403, 503
);
problem_set!(
    /// An admin or auditor paged list.
    AdminListErrors: 400, 401, 403, 503
);
problem_set!(
    /// One resource by its path, admin only; also a delete.
    AdminFindErrors: 401, 403, 404, 503
);
problem_set!(
    /// A JSON body acting on the caller's own session or account.
    JsonErrors: 400, 401, 413, 415, 422, 503
);
problem_set!(
    /// A JSON body that creates something new.
    CreateErrors: 400, 401, 403, 413, 415, 422, 503
);
problem_set!(
    /// A JSON body that creates something with a unique name.
    CreateUniqueErrors: 400, 401, 403, 409, 413, 415, 422, 503
);
problem_set!(
    /// A JSON body that changes an existing resource.
    UpdateErrors: 400, 401, 403, 404, 413, 415, 422, 503
);
problem_set!(
    /// A JSON body that changes an existing resource whose state may refuse it.
    WriteErrors: 400, 401, 403, 404, 409, 413, 415, 422, 503
);
problem_set!(
    /// A sign-off action on a draft (SPEC §2): the refusals of `decide`.
    ActionErrors:
        400,
        401,
        403 => "No capability (forbidden) or separation_of_duties",
        404 => "No such draft, or not visible to the caller",
        409 => "stale_content, stage_mismatch or invalid_transition",
        413,
        415,
        422,
        503,
);
