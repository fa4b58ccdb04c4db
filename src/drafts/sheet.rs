//! The printable approval sheet (审核签发单, SPEC §9) as a read model: what
//! the paper copy says, already in the words printed on it. Every per-step
//! row comes from one list (`steps`), so routes of other lengths,
//! co-signers (会签) and delegates (代签) each add rows, not layout.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::query::{self, EventFilter, Window};
use crate::auth::AuthUser;
use crate::check::{self, gate::StoredReport};
use crate::db::{chainer, connect, sheets, users};
use crate::domain::audit_chain::AuditEvent;
use crate::domain::check::Severity;
use crate::domain::content::Source;
use crate::domain::vocabulary::{Check, RetractReason, RiskLevel, Stage, Status};
use crate::drafts::{approval_rows, reads};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct Sheet {
    pub draft_id: Uuid,
    pub channel: String,
    pub department: String,
    pub author: String,
    pub tier: &'static str,
    pub status: &'static str,
    pub source: String,
    pub title: String,
    pub summary: String,
    pub revision: i32,
    pub content_hash: String,
    pub workflow_version: i32,
    /// One row per signature, in route order; an unsigned stage is one
    /// row with no signer (a blank line on paper).
    pub steps: Vec<SheetStep>,
    /// The machine check's summary (SPEC §6) of the printed text: when,
    /// findings by severity, how many warnings the signers acknowledged,
    /// the lexicon versions and the report's hash (as `check_run` records
    /// it); none when that text was never checked.
    pub machine_check: Option<String>,
    pub publication: Option<Publication>,
    pub retraction: Option<Retraction>,
    pub corrects: Option<LinkedDraft>,
    pub correction_note: Option<String>,
    pub corrected_by: Option<LinkedDraft>,
    pub printed_at: String,
}

#[derive(Debug, Serialize)]
pub struct SheetStep {
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub signer: Option<String>,
    /// For a delegated signature (代签): whom the signer signed for.
    pub on_behalf_of: Option<String>,
    pub signed_at: Option<String>,
    pub comment: Option<String>,
    /// The attested checks, in their printed names (review stages).
    pub checks: Vec<&'static str>,
    /// Machine-check warnings the signer acknowledged (SPEC §6).
    pub acknowledged_findings: Vec<String>,
}

/// The publish event, so a paper copy can be matched to the chain.
#[derive(Debug, Serialize)]
pub struct Publication {
    pub at: String,
    pub url: Option<String>,
    pub by: Option<String>,
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Serialize)]
pub struct Retraction {
    pub at: String,
    pub reason_code: Option<&'static str>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LinkedDraft {
    pub id: Uuid,
    pub title: Option<String>,
    pub sheet: String,
}

/// The sheet of a draft the caller may see (the trail's visibility).
pub async fn sheet(state: &AppState, user: &AuthUser, id: Uuid) -> Result<Sheet, ApiError> {
    let mut conn = connect(&state.pool).await?;
    let loaded = reads::visible(&mut conn, &state.workflows, user, id).await?;
    // The publish event's seq and hash are printed: link what has committed.
    chainer::chain_committed(&mut conn).await?;
    let last = async |conn: &mut _, action: &str| -> Result<Option<AuditEvent>, ApiError> {
        let filter = EventFilter {
            draft_id: Some(id),
            action: Some(action.into()),
            ..EventFilter::default()
        };
        Ok(query::page(conn, &filter, Window::default(), 100)
            .await?
            .pop())
    };
    let published = last(&mut conn, "draft_published").await?;
    let retracted = last(&mut conn, "draft_retracted").await?;
    let row = &loaded.row;
    let rows = approval_rows::rows(loaded.facts.route(), row.round, &loaded.signoffs)?;
    let mut ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| r.signer_id.into_iter().chain(r.on_behalf_of))
        .collect();
    ids.push(row.author_id);
    ids.extend(published.as_ref().and_then(|e| e.actor_id));
    let people = sheets::people(&mut conn, &ids).await?;
    let name = |id: Uuid| {
        people
            .iter()
            .find(|p| p.0 == id)
            .map_or_else(|| id.to_string(), |p| format!("{}（{}）", p.2, p.1))
    };
    // One row per (stage, signer) in route order; a stage short of its
    // quorum keeps a blank row per missing signature (会签).
    let steps: Vec<SheetStep> = rows
        .into_iter()
        .map(|r| SheetStep {
            signer: r.signer_id.map(name),
            on_behalf_of: r.on_behalf_of.map(name),
            signed_at: r.signed_at.map(printed),
            comment: r.comment,
            checks: Check::ALL
                .into_iter()
                .filter(|c| r.checks.contains(c))
                .map(check_label)
                .collect(),
            acknowledged_findings: r.acknowledged,
            ..SheetStep::unsigned(r.stage)
        })
        .collect();
    let acknowledged: BTreeSet<String> = steps
        .iter()
        .flat_map(|s| s.acknowledged_findings.iter().cloned())
        .collect();
    let machine_check =
        check::gate::stored_report_for(&mut conn, row.id, &loaded.revision.content_hash)
            .await?
            .map(|stored| check_summary(&stored, &acknowledged));
    let department = match row.department_id {
        Some(d) => users::department(&mut conn, d).await?.map(|d| d.name),
        None => None,
    };
    let channel = crate::db::channels::find(&mut conn, &row.channel)
        .await?
        .map_or_else(|| row.channel.clone(), |c| c.name);
    let mut link = async |id: Option<Uuid>| -> Result<Option<LinkedDraft>, ApiError> {
        let Some(id) = id else { return Ok(None) };
        Ok(Some(LinkedDraft {
            id,
            title: sheets::current_title(&mut conn, id).await?,
            sheet: format!("/api/v1/drafts/{id}/sheet"),
        }))
    };
    let corrects = link(row.corrects).await?;
    let corrected_by = link(row.corrected_by).await?;
    Ok(Sheet {
        draft_id: row.id,
        channel: format!("{}（{}）", channel, row.channel),
        department: department.unwrap_or_else(|| "—".into()),
        author: name(row.author_id),
        tier: tier_label(loaded.facts.risk),
        status: status_label(loaded.facts.status),
        source: match super::sources::of(row)? {
            Source::Original => "原创".into(),
            Source::Reprint(origin) => format!("转载：{origin}"),
        },
        title: loaded.revision.title.clone(),
        summary: loaded.revision.summary.clone(),
        revision: row.revision,
        content_hash: loaded.revision.content_hash.clone(),
        workflow_version: loaded.facts.workflow.version,
        steps,
        machine_check,
        publication: published.map(|e| Publication {
            url: e
                .detail
                .get("url")
                .and_then(|u| u.as_str())
                .map(String::from),
            by: e.actor_id.map(name),
            at: event_time(&e.occurred_at),
            seq: e.seq,
            hash: e.hash,
        }),
        retraction: retracted.map(|e| Retraction {
            at: event_time(&e.occurred_at),
            reason_code: e
                .detail
                .get("reason_code")
                .and_then(|c| c.as_str())
                .and_then(RetractReason::parse)
                .map(reason_label),
            reason: e
                .detail
                .get("reason")
                .and_then(|r| r.as_str())
                .map(String::from),
        }),
        corrects,
        correction_note: row.correction_note.clone(),
        corrected_by,
        printed_at: printed(Utc::now()),
    })
}

impl SheetStep {
    fn unsigned(stage: Stage) -> SheetStep {
        SheetStep {
            stage: stage.as_str(),
            stage_label: stage_label(stage),
            signer: None,
            on_behalf_of: None,
            signed_at: None,
            comment: None,
            checks: Vec::new(),
            acknowledged_findings: Vec::new(),
        }
    }
}

/// Times are printed in UTC (the sheet's headings say so), to the second,
/// as the chain records them.
/// One line of the sheet: `2026-12-03 10:00:00 机审：阻断 0 条，提示 2 条
/// （已确认 2 条）；词库 banned v3；报告 SHA-256 …`.
fn check_summary(stored: &StoredReport, acknowledged: &BTreeSet<String>) -> String {
    let findings = &stored.report.findings;
    let blocks = findings
        .iter()
        .filter(|f| f.severity == Severity::Block)
        .count();
    let warns: Vec<&str> = findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .map(|f| f.id.as_str())
        .collect();
    let confirmed = warns
        .iter()
        .filter(|id| acknowledged.contains(**id))
        .count();
    let lexicons = if stored.report.lexicon_versions.is_empty() {
        "无词库".to_string()
    } else {
        let list: Vec<String> = stored
            .report
            .lexicon_versions
            .iter()
            .map(|(code, v)| format!("{code} v{v}"))
            .collect();
        format!("词库 {}", list.join("、"))
    };
    format!(
        "{} 机审：阻断 {blocks} 条，提示 {} 条（已确认 {confirmed} 条）；{lexicons}；报告 SHA-256 {}",
        printed(stored.checked_at),
        warns.len(),
        stored.report_hash
    )
}

fn printed(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn event_time(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map_or_else(|_| rfc3339.to_string(), |t| printed(t.with_timezone(&Utc)))
}

pub fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Review1 => "初审",
        Stage::Proofread1 => "一校",
        Stage::Review2 => "复审",
        Stage::Proofread2 => "二校",
        Stage::Review3 => "终审",
        Stage::Proofread3 => "三校",
        Stage::Leader => "审定",
    }
}

fn check_label(check: Check) -> &'static str {
    match check {
        Check::Political => "政治",
        Check::Legal => "法律",
        Check::Policy => "政策",
        Check::Secrecy => "保密",
        Check::Language => "文字",
        Check::PublicOpinion => "舆情",
    }
}

fn tier_label(risk: RiskLevel) -> &'static str {
    match risk {
        RiskLevel::Normal => "普通",
        RiskLevel::Important => "重要",
        RiskLevel::Sensitive => "敏感",
    }
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Draft => "草稿",
        Status::InReview => "审核中",
        Status::Returned => "已退回",
        Status::Publishable => "待发布",
        Status::Published => "已发布",
        Status::Withdrawn => "已撤稿",
        Status::Retracted => "已撤回",
        Status::Corrected => "已更正",
    }
}

fn reason_label(code: RetractReason) -> &'static str {
    match code {
        RetractReason::Error => "内容有误",
        RetractReason::Outdated => "内容过时",
        RetractReason::Legal => "法律原因",
        RetractReason::Secrecy => "涉密",
        RetractReason::Other => "其他",
    }
}
