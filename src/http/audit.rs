//! /audit/* (auditor only): the trail, its export, its verification, and
//! lookup of published text. Every call is itself recorded.

use actix_web::get;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::audit::export::{self as exports, ExportFormat};
use crate::audit::query::{self, EventFilter};
use crate::audit::verify as verification;
use crate::auth::AuthUser;
use crate::domain::audit_chain::{AuditEvent, Verification};
use crate::domain::vocabulary::Role;
use crate::http::error::{ApiError, Problem};
use crate::http::pagination;
use crate::http::problems::{AdminErrors, AdminListErrors};
use crate::state::AppState;

/// A page of events and the cursor for the next one (null on the last page).
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// An optional RFC 3339 query time (`since`, `until`); 400 naming `field`.
pub(super) fn instant(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::Malformed(format!(
                    "{field} must be an RFC 3339 time such as 2026-11-24T08:00:00Z \
                     (percent-encode a '+' offset as %2B)"
                ))
            })
    })
    .transpose()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events about this draft.
    pub draft_id: Option<Uuid>,
    /// Only events by this user.
    pub actor_id: Option<Uuid>,
    /// Only events with this action, e.g. `department_created`.
    pub action: Option<String>,
    /// RFC 3339; events at or after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339; events before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl EventsQuery {
    fn filter(&self) -> Result<EventFilter, ApiError> {
        // PostgreSQL text cannot hold NUL: refused here rather than as a 500.
        if self
            .action
            .as_deref()
            .is_some_and(|a| a.is_empty() || a.contains('\0'))
        {
            return Err(ApiError::Malformed("action must be an action name".into()));
        }
        Ok(EventFilter {
            draft_id: self.draft_id,
            actor_id: self.actor_id,
            action: self.action.clone(),
            since: instant("since", self.since.as_deref())?,
            until: instant("until", self.until.as_deref())?,
        })
    }
}

#[utoipa::path(operation_id = "audit_events", tag = "audit", security(("bearer" = [])), params(EventsQuery),
    description = "Requires `auditor`. Events in chain order (by `seq`). The call is itself recorded \
        as an `audit_events_read` event before the page is read.",
    responses(
        (status = 200, body = EventPage),
        AdminListErrors,
        (status = 400, description = "Bad filter, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/audit/events")]
pub async fn events(
    state: web::Data<AppState>,
    auditor: AuthUser,
    query: web::Query<EventsQuery>,
) -> Result<web::Json<EventPage>, ApiError> {
    auditor.require(Role::Auditor)?;
    let filter = query.filter()?;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_seq_cursor(query.cursor.as_deref())?;
    let rows = query::read(&state, &auditor, &filter, after, limit).await?;
    let page = pagination::page_of(rows, limit, |e| pagination::encode_seq_cursor(e.seq), |e| e);
    Ok(web::Json(EventPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `ndjson` (the default) or `csv`.
    #[param(pattern = "^(ndjson|csv)$")]
    pub format: Option<String>,
    /// RFC 3339; events at or after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339; events before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

#[utoipa::path(operation_id = "audit_export", tag = "audit", security(("bearer" = [])), params(ExportQuery),
    description = "Requires `auditor`. Streams every matching event up to and including this export's \
        own `audit_exported` event, oldest first. NDJSON: one event per line in its canonical (JCS) form, \
        so `hash` can be recomputed offline. CSV: a header row, then one RFC 4180 record per event; \
        null is an empty field, the empty string is `\"\"`, `detail` is compact JSON. A failure midway \
        cuts the response off without its final chunk: a complete transfer is a complete export.",
    responses(
        (status = 200, description = "The export, as an attachment", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        AdminListErrors,
        (status = 400, description = "Bad format or time", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/audit/export")]
pub async fn export(
    state: web::Data<AppState>,
    auditor: AuthUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    auditor.require(Role::Auditor)?;
    let format = ExportFormat::parse(query.format.as_deref().unwrap_or("ndjson"))
        .ok_or_else(|| ApiError::Malformed("format must be ndjson or csv".into()))?;
    let filter = EventFilter {
        since: instant("since", query.since.as_deref())?,
        until: instant("until", query.until.as_deref())?,
        ..EventFilter::default()
    };
    let started = exports::start(&state, &auditor, format, filter).await?;
    let disposition = format!("attachment; filename=\"{}\"", started.filename());
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .streaming(exports::stream(state.pool.clone(), started)))
}

#[utoipa::path(operation_id = "audit_verify", tag = "audit", security(("bearer" = [])),
    description = "Requires `auditor`. Links every committed event still queued, then recomputes \
        every hash of the chain from the database in one consistent snapshot, checks its end against the head row, then records the check and its outcome as an \
        `audit_verified` event.",
    responses(
        (status = 200, body = Verification),
        AdminErrors,
    ))]
#[get("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    auditor: AuthUser,
) -> Result<web::Json<Verification>, ApiError> {
    auditor.require(Role::Auditor)?;
    Ok(web::Json(verification::verify(&state, &auditor).await?))
}
