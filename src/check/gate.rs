//! The machine check's two hooks into the workflow: on submit the check
//! runs, its report is stored and audited, and a `block` finding refuses
//! the submission; on approve, a signer of the first step acknowledges
//! every `warn` finding of the stored report.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::run::{OwnedSubject, matchers, report};
use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::check_reports::{self, NewReport, ReportRow};
use crate::db::drafts::{DraftRow, RevisionRow};
use crate::domain::check::{Finding, Report, counts};
use crate::domain::route::Route;
use crate::domain::vocabulary::{Format, Stage};
use crate::error::ApiError;
use crate::state::AppState;

/// Inside the submit transaction, before the draft changes: checks the
/// revision, refuses with 422 `check_failed` on any `block` finding (the
/// transaction then rolls back: nothing stored, no event), else stores
/// the report and writes `check_run`.
pub async fn gate_on_submit(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user: &AuthUser,
    draft: &DraftRow,
    revision: &RevisionRow,
) -> Result<(), ApiError> {
    let compiled = matchers(conn, state, &draft.channel).await?;
    let subject = OwnedSubject {
        title: revision.title.clone(),
        summary: revision.summary.clone(),
        body: revision.body.clone(),
        format: crate::error::stored(
            Format::parse(&revision.format),
            "revisions.format",
            &revision.format,
        )?,
    };
    let report = report(subject, compiled, revision.content_hash.clone()).await?;
    if report.blocks() {
        return Err(ApiError::CheckFailed(report.findings));
    }
    let hash = report.hash();
    let row = NewReport {
        draft_id: draft.id,
        revision: revision.number,
        content_hash: &revision.content_hash,
        lexicon_versions: serde_json::to_value(&report.lexicon_versions)
            .map_err(ApiError::internal)?,
        findings: serde_json::to_value(&report.findings).map_err(ApiError::internal)?,
        report_hash: &hash,
    };
    check_reports::insert(conn, &row).await?;
    let event = NewEvent::new("check_run", &user.origin)
        .by(user.user_id, &user.username)
        .on_draft(draft.id, revision.number, &revision.content_hash)
        .with(
            "counts",
            serde_json::to_value(counts(&report.findings)).map_err(ApiError::internal)?,
        )
        .with("report_hash", hash)
        .with(
            "lexicon_versions",
            serde_json::to_value(&report.lexicon_versions).map_err(ApiError::internal)?,
        );
    append(conn, event).await?;
    Ok(())
}

/// Whether `stage` belongs to the first step of the draft's route (its
/// signers acknowledge the warnings, SPEC §6).
pub fn in_first_step(route: &Route, stage: Stage) -> bool {
    route
        .steps
        .first()
        .is_some_and(|step| step.stages.contains(&stage))
}

/// Inside the approve transaction, before the sign-off is written: the ids
/// must name findings of the report stored for the revision read (else 422
/// `validation_failed` on `acknowledged`); a signer of the first step must
/// name every `warn` finding (else 422 `findings_unacknowledged`).
pub async fn require_acknowledged(
    conn: &mut AsyncPgConnection,
    draft: &DraftRow,
    revision: &RevisionRow,
    route: &Route,
    stage: Stage,
    acknowledged: &[String],
) -> Result<(), ApiError> {
    // Past the first step with nothing acknowledged, the report has nothing
    // to say: no read (the approve path's hottest case).
    if acknowledged.is_empty() && !in_first_step(route, stage) {
        return Ok(());
    }
    let stored = check_reports::latest_for(conn, draft.id, &revision.content_hash).await?;
    let report = match stored {
        Some(row) => to_report(row)?.0,
        None if acknowledged.is_empty() => return Ok(()),
        // Submitted before machine checks existed: nothing to acknowledge.
        None => Report {
            content_hash: revision.content_hash.clone(),
            lexicon_versions: Default::default(),
            findings: Vec::new(),
        },
    };
    if let Some(unknown) = acknowledged
        .iter()
        .find(|id| !report.findings.iter().any(|f| &f.id == *id))
    {
        return Err(ApiError::validation(
            "acknowledged",
            format!("{unknown:?} is no finding of this revision's check report"),
        ));
    }
    if !in_first_step(route, stage) {
        return Ok(());
    }
    let missing = report.unacknowledged(acknowledged);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::FindingsUnacknowledged(
            missing.into_iter().map(String::from).collect(),
        ))
    }
}

/// A stored report with what the API shows beside it.
pub struct StoredReport {
    pub report: Report,
    pub report_hash: String,
    pub revision: i32,
    pub checked_at: chrono::DateTime<chrono::Utc>,
}

/// The newest stored report of a draft (the caller has checked that the
/// draft is visible).
pub async fn stored_report(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
) -> Result<Option<StoredReport>, ApiError> {
    check_reports::latest(conn, draft_id)
        .await?
        .map(stored)
        .transpose()
}

/// The newest stored report of a draft on `content_hash` (the text the
/// signers attest), if the draft was checked on that text.
pub async fn stored_report_for(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    content_hash: &str,
) -> Result<Option<StoredReport>, ApiError> {
    check_reports::latest_for(conn, draft_id, content_hash)
        .await?
        .map(stored)
        .transpose()
}

fn stored(row: ReportRow) -> Result<StoredReport, ApiError> {
    let (report, row) = to_report(row)?;
    Ok(StoredReport {
        report,
        report_hash: row.report_hash,
        revision: row.revision,
        checked_at: row.created_at,
    })
}

fn to_report(row: ReportRow) -> Result<(Report, ReportRow), ApiError> {
    let findings: Vec<Finding> =
        serde_json::from_value(row.findings.clone()).map_err(ApiError::internal)?;
    let lexicon_versions =
        serde_json::from_value(row.lexicon_versions.clone()).map_err(ApiError::internal)?;
    Ok((
        Report {
            content_hash: row.content_hash.clone(),
            lexicon_versions,
            findings,
        },
        row,
    ))
}
