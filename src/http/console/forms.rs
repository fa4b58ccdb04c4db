//! The console's forms: approve, return and publish. Each checks the CSRF
//! token, parses the fields exactly as the API parses its JSON (the same
//! field rules), and makes the API's one call, `drafts::actions::perform`.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::drafts::actions::{self, Command};
use crate::error::ApiError;
use crate::http::console::session::{self, Fields};
use crate::http::console::view::{ConsoleError, see_other};
use crate::http::drafts::actions::{checks_field, stage_field, url_field};
use crate::http::drafts::{hash_field, remark};
use crate::state::AppState;

type Form = web::Form<Vec<(String, String)>>;

async fn act(
    req: &HttpRequest,
    state: &AppState,
    id: Uuid,
    fields: &Fields,
    command: impl FnOnce() -> Result<Command, ApiError>,
    done: &str,
) -> Result<HttpResponse, ConsoleError> {
    // The CSRF token first: a forged form learns nothing and changes nothing.
    let holder = session::posting(req, state, fields.one("csrf_token"))?;
    let on_draft = ConsoleError::on_draft(id);
    let command = command().map_err(ConsoleError::on_draft(id))?;
    actions::perform(state, &holder, id, command)
        .await
        .map_err(on_draft)?;
    Ok(see_other(&format!("/console/drafts/{id}?done={done}")))
}

/// `POST /console/drafts/{id}/approve`: `stage`, `content_hash` (of the
/// revision shown), `checks` (one field per attested check), `comment`.
pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let f = Fields(form.into_inner());
    let command = || {
        Ok(Command::Approve {
            stage: stage_field(f.one("stage").unwrap_or_default())?,
            content_hash: hash_field("content_hash", f.one("content_hash").unwrap_or_default())?,
            comment: f
                .filled("comment")
                .map(|c| remark("comment", c))
                .transpose()?,
            checks: checks_field(Some(f.all("checks")))?,
            acknowledged: f.all("acknowledged"),
        })
    };
    act(&req, &state, *id, &f, command, "approved").await
}

/// `POST /console/drafts/{id}/return`: `stage`, `content_hash`, `reason`.
pub async fn return_(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let f = Fields(form.into_inner());
    let command = || {
        Ok(Command::Return {
            stage: stage_field(f.one("stage").unwrap_or_default())?,
            content_hash: hash_field("content_hash", f.one("content_hash").unwrap_or_default())?,
            reason: remark("reason", f.one("reason").unwrap_or_default().to_string())?,
        })
    };
    act(&req, &state, *id, &f, command, "returned").await
}

/// `POST /console/drafts/{id}/publish`: `content_hash`, `url` (optional).
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let f = Fields(form.into_inner());
    let command = || {
        Ok(Command::Publish {
            content_hash: hash_field("content_hash", f.one("content_hash").unwrap_or_default())?,
            url: url_field(f.filled("url"))?,
        })
    };
    act(&req, &state, *id, &f, command, "published").await
}
