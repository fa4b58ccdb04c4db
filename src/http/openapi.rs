//! The OpenAPI document: every endpoint, its schemas and its errors.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::drafts::views;
use crate::http::{audit, audit_lookup};
use crate::http::{auth, catalog, draft_reads, drafts, error, health, pagination, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sanshen",
        description = "Enforces 三审三校 (three reviews, three proofreads) on everything an institution publishes. \
            Errors are RFC 9457 problem+json with a stable `code`.",
        version = env!("CARGO_PKG_VERSION"),
    ),
    paths(
        health::healthz, health::readyz,
        audit::events, audit::export, audit::verify, audit_lookup::lookup,
        auth::login, auth::refresh, auth::logout, auth::me, auth::change_password,
        users::create, users::list, users::get, users::update, users::reset_password,
        users::list_grants, users::create_grant, users::delete_grant,
        catalog::list_departments, catalog::create_department,
        catalog::list_channels, catalog::create_channel, catalog::get_workflow, catalog::put_workflow,
        drafts::create, drafts::list, drafts::get, drafts::edit,
        drafts::submit, drafts::approve, drafts::return_, drafts::withdraw, drafts::publish, drafts::retract,
        draft_reads::revisions, draft_reads::revision, draft_reads::diff,
        draft_reads::comments, draft_reads::add_comment, draft_reads::tasks, draft_reads::trail,
    ),
    components(schemas(
        error::Problem, error::FieldProblem, pagination::Page<users::UserView>,
        pagination::Page<views::DraftSummary>, pagination::Page<draft_reads::RevisionSummary>,
        pagination::Page<views::CommentView>,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in, tokens, one's own account"),
        (name = "users", description = "Accounts and grants (admin)"),
        (name = "catalog", description = "Departments, channels and workflows"),
        (name = "drafts", description = "Drafts (稿件) and the six-stage sign-off (三审三校)"),
        (name = "audit", description = "The tamper-evident trail, for auditors (auditor only; every call is recorded)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document as checked in under `openapi/openapi.json`.
pub fn document_json() -> Result<String, serde_json::Error> {
    let mut text = ApiDoc::openapi().to_pretty_json()?;
    text.push('\n');
    Ok(text)
}
