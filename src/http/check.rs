//! The machine check (SPEC §6): `POST /check` (pre-flight, stored nowhere)
//! and `GET /drafts/{id}/check` (the report stored on submit).

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::check;
use crate::domain::check::{Finding, Report};
use crate::domain::content::Content;
use crate::domain::vocabulary::Format;
use crate::drafts::check_report;
use crate::http::error::{ApiError, FieldProblem};
use crate::http::json::ApiJson;
use crate::http::problems::{CreateErrors, FindErrors};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    #[schema(example = "wechat_official")]
    pub channel: String,
    #[schema(
        example = "关于开展安全生产检查的通知",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    #[schema(example = "", max_length = 120)]
    pub summary: Option<String>,
    #[schema(
        example = "联系人：张三，电话13800138000。",
        min_length = 1,
        max_length = 200000
    )]
    pub body: String,
    #[schema(value_type = Format)]
    pub format: String,
}

/// A machine-check report: `{content_hash, lexicon_versions, findings}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckReportView {
    /// The content_hash of the text checked.
    pub content_hash: String,
    /// The version of each lexicon applied, by code.
    #[schema(value_type = Object, example = json!({"banned": 3}))]
    pub lexicon_versions: std::collections::BTreeMap<String, i32>,
    pub findings: Vec<Finding>,
    /// Lowercase hex SHA-256 of the report's JCS form, as `check_run` records it.
    pub report_hash: String,
}

/// A report stored on submit.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredCheckView {
    #[serde(flatten)]
    pub report: CheckReportView,
    /// The revision checked.
    pub revision: i32,
    pub checked_at: DateTime<Utc>,
}

fn view(report: Report) -> CheckReportView {
    CheckReportView {
        report_hash: report.hash(),
        content_hash: report.content_hash,
        lexicon_versions: report.lexicon_versions,
        findings: report.findings,
    }
}

#[utoipa::path(operation_id = "preflight_check", tag = "check", security(("bearer" = [])), request_body = CheckRequest,
    description = "An editor or signer of the channel: the machine-check report of this content (lexicons of the channel and the personal-data detectors), stored nowhere.",
    responses(
        (status = 200, body = CheckReportView),
        CreateErrors,
    ))]
#[post("/check")]
pub async fn preflight(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CheckRequest>,
) -> Result<web::Json<CheckReportView>, ApiError> {
    let b = body.0;
    let content = Content::parse(b.title, b.summary, b.body, &b.format).map_err(|errors| {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|e| FieldProblem::new(e.field, e.message))
                .collect(),
        )
    })?;
    let report = check::preflight(&state, &user, &b.channel, content).await?;
    Ok(web::Json(view(report)))
}

#[utoipa::path(operation_id = "draft_check", tag = "check", security(("bearer" = [])), params(("id" = Uuid, Path)),
    description = "The machine-check report stored when the draft was last submitted, bound to that revision's content_hash and the lexicon versions used. 404 before the first submission.",
    responses(
        (status = 200, body = StoredCheckView),
        FindErrors,
    ))]
#[get("/drafts/{id}/check")]
pub async fn stored(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<StoredCheckView>, ApiError> {
    let stored = check_report::stored(&state, &user, *id).await?;
    let mut report = view(stored.report);
    report.report_hash = stored.report_hash;
    Ok(web::Json(StoredCheckView {
        report,
        revision: stored.revision,
        checked_at: stored.checked_at,
    }))
}
