//! GET /drafts/{id}/sheet: the approval sheet (审核签发单) as printable A4
//! HTML, rendered from `drafts::sheet` with minijinja (auto-escaping: the
//! template's name ends in `.html`). No scripts and no external assets; the
//! response's CSP forbids both, so a title cannot smuggle any in.

use std::sync::LazyLock;

use actix_web::get;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::Environment;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::drafts::sheet::{self as read_model, Sheet};
use crate::http::error::ApiError;
use crate::http::problems::FindErrors;
use crate::state::AppState;

const TEMPLATE: &str = "sheet.html";

static TEMPLATES: LazyLock<Result<Environment<'static>, minijinja::Error>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template(TEMPLATE, include_str!("../../../templates/sheet.html"))?;
    Ok(env)
});

fn render(model: &Sheet) -> Result<String, ApiError> {
    let env = TEMPLATES
        .as_ref()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("sheet template: {e}")))?;
    env.get_template(TEMPLATE)
        .and_then(|t| t.render(minijinja::value::Serde(model)))
        .map_err(|e| ApiError::internal(anyhow::anyhow!("sheet rendering: {e}")))
}

#[utoipa::path(operation_id = "draft_sheet", tag = "drafts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    description = "The printable A4 审核签发单 (text/html, no scripts, no external assets): channel, department, author, tier, source, title, summary, content_hash, one row per signature in route order (signer, on behalf of whom, time, comment, checks, acknowledged findings), the machine-check summary, publication time and URL, correction links, and the seq and hash of the publish event. Same visibility as the trail.",
    responses(
        (status = 200, body = String, content_type = "text/html"),
        FindErrors,
    ))]
#[get("/drafts/{id}/sheet")]
pub async fn sheet(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let html = render(&read_model::sheet(&state, &user, *id).await?)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}
