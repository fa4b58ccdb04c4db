//! GET /reports/register and /reports/bulletin (auditor only): the records
//! an office files (SPEC §9). Each read is itself recorded, like /audit/*.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::register::RegisterFilter;
use crate::domain::bulletin::Month;
use crate::domain::vocabulary::Role;
use crate::http::audit::instant;
use crate::http::error::{ApiError, Problem};
use crate::http::problems::AdminListErrors;
use crate::reports::bulletin::{self as bulletins, Bulletin};
use crate::reports::bulletin_render as render;
use crate::reports::register::{self as registers, RegisterFormat, RegisterPage};
use crate::state::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

fn attachment(name: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}\""),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// Only items of this channel.
    pub channel: Option<String>,
    /// Only items of this department.
    pub department_id: Option<Uuid>,
    /// RFC 3339; published at or after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339; published before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    /// `json` (the default), `csv` or `xlsx`.
    #[param(pattern = "^(json|csv|xlsx)$")]
    pub format: Option<String>,
}

#[utoipa::path(operation_id = "reports_register", tag = "reports", security(("bearer" = [])), params(RegisterQuery),
    description = "Requires `auditor`. 信息发布登记台账: one row per item published in the period, in \
        the order published, with the signers of each stage of the published revision. Recorded as a \
        `register_read` event first; the register covers publications up to that event. JSON \
        `{\"items\":[…]}` and CSV (UTF-8 with a BOM) are streamed; XLSX is one worksheet.",
    responses(
        (status = 200, description = "The register", content(
            (RegisterPage = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        AdminListErrors,
        (status = 400, description = "Bad format, time or filter", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/reports/register")]
pub async fn register(
    state: web::Data<AppState>,
    auditor: AuthUser,
    query: web::Query<RegisterQuery>,
) -> Result<HttpResponse, ApiError> {
    auditor.require(Role::Auditor)?;
    let format = RegisterFormat::parse(query.format.as_deref().unwrap_or("json"))
        .ok_or_else(|| ApiError::Malformed("format must be json, csv or xlsx".into()))?;
    if query.channel.as_deref().is_some_and(|c| c.contains('\0')) {
        return Err(ApiError::Malformed("channel must be a channel code".into()));
    }
    let filter = RegisterFilter {
        channel: query.channel.clone(),
        department_id: query.department_id,
        since: instant("since", query.since.as_deref())?,
        until: instant("until", query.until.as_deref())?,
    };
    let started = registers::start(&state, &auditor, format, filter).await?;
    let name = format!("register-through-{}.{}", started.through, format.as_str());
    match format {
        RegisterFormat::Xlsx => {
            let book = registers::xlsx(&state.pool, &started).await?;
            Ok(HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header(attachment(&name))
                .body(book))
        }
        RegisterFormat::Csv => Ok(HttpResponse::Ok()
            .content_type(CSV)
            .insert_header(attachment(&name))
            .streaming(registers::stream(state.pool.clone(), started))),
        RegisterFormat::Json => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .streaming(registers::stream(state.pool.clone(), started))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    /// `YYYY-MM`, a month of China Standard Time (UTC+8).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-11")]
    pub month: String,
    /// `json` (the default), `csv`, `xlsx` or `html`.
    #[param(pattern = "^(json|csv|xlsx|html)$")]
    pub format: Option<String>,
}

#[utoipa::path(operation_id = "reports_bulletin", tag = "reports", security(("bearer" = [])), params(BulletinQuery),
    description = "Requires `auditor`. 信息编发月通报 of one month: per department and channel \
        submitted, published, returned (with the most frequent reasons), withdrawn, retracted, \
        corrected, hours from submit to publishable (p50, p90), overdue steps and machine-check \
        findings per rule; per department the quota, the share met and the ranking; per channel the \
        days since its last publication, flagged at 14. Computed in the database in one snapshot. \
        Recorded as a `bulletin_read` event first. `html` is a printable page with inline SVG bar \
        charts, no scripts and no external assets.",
    responses(
        (status = 200, description = "The bulletin", content(
            (Bulletin = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/html"),
        )),
        AdminListErrors,
        (status = 400, description = "Bad month or format", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/reports/bulletin")]
pub async fn bulletin(
    state: web::Data<AppState>,
    auditor: AuthUser,
    query: web::Query<BulletinQuery>,
) -> Result<HttpResponse, ApiError> {
    auditor.require(Role::Auditor)?;
    let month = Month::parse(&query.month)
        .ok_or_else(|| ApiError::Malformed("month must be YYYY-MM, e.g. 2026-11".into()))?;
    let format = query.format.as_deref().unwrap_or("json");
    if !["json", "csv", "xlsx", "html"].contains(&format) {
        return Err(ApiError::Malformed(
            "format must be json, csv, xlsx or html".into(),
        ));
    }
    let b = bulletins::bulletin(&state, &auditor, month, format).await?;
    let name = format!("bulletin-{}.{format}", b.month);
    Ok(match format {
        "csv" => HttpResponse::Ok()
            .content_type(CSV)
            .insert_header(attachment(&name))
            .body(render::csv(&b).map_err(ApiError::internal)?),
        "xlsx" => HttpResponse::Ok()
            .content_type(XLSX)
            .insert_header(attachment(&name))
            .body(render::xlsx(&b).map_err(ApiError::internal)?),
        "html" => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            // The page needs nothing from anywhere: say so to the browser.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ))
            .body(render::html(&b).map_err(ApiError::internal)?),
        _ => HttpResponse::Ok().json(b),
    })
}
