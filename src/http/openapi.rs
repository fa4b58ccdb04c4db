//! The OpenAPI document: its info, tags, security scheme and the schemas no
//! operation names. The operations come from the route table (`http::api`).

use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::drafts::views;
use crate::http::drafts::revisions::RevisionSummary;
use crate::http::{error, pagination, users, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sanshen",
        description = "Enforces 三审三校 (three reviews, three proofreads) on everything an institution publishes. \
            Errors are RFC 9457 problem+json with a stable `code`.",
        version = env!("CARGO_PKG_VERSION"),
    ),
    components(schemas(
        error::Problem, error::FieldProblem, pagination::Page<users::UserView>,
        pagination::Page<views::DraftSummary>, pagination::Page<RevisionSummary>,
        pagination::Page<views::CommentView>, pagination::Page<webhooks::WebhookView>,
        pagination::Page<webhooks::DeliveryView>,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in, tokens, one's own account"),
        (name = "users", description = "Accounts and grants (admin)"),
        (name = "catalog", description = "Departments, channels and workflows"),
        (name = "drafts", description = "Drafts (稿件) and the six-stage sign-off (三审三校)"),
        (name = "delegations", description = "Delegation of signing (代签): given and received"),
        (name = "audit", description = "The tamper-evident trail, for auditors (auditor only; every call is recorded)"),
        (name = "webhooks", description = "Notifying receivers and WeCom/DingTalk group robots of draft events (admin)"),
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

/// The whole document: `ApiDoc` with every operation of `http::api`.
/// Built once, from a route table that is never served.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, document) = actix_web::App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(crate::http::api)
            .split_for_parts();
        document
    })
}

/// The document as checked in under `openapi/openapi.json`.
pub fn document_json() -> Result<String, serde_json::Error> {
    let mut text = document().to_pretty_json()?;
    text.push('\n');
    Ok(text)
}
