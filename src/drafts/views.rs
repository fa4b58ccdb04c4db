//! Read models of drafts (what the API returns): drafts, revisions,
//! sign-offs, comments; built by the draft reads, rendered by `http/`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::draft_lists::Listed;
use crate::db::drafts::{CommentRow, DraftRow, RevisionRow, SignoffRow};
use crate::domain::content::Source;
use crate::domain::route::{Route, count};
use crate::domain::vocabulary::{Check, Decision, Format, RiskLevel, Stage, Status};
use crate::drafts::facts::{parse_decision, parse_risk, parse_stage, parse_status};
use crate::error::ApiError;

/// Where an item comes from (来源, SPEC §7): `{"kind":"original"}` (原创)
/// or `{"kind":"reprint","origin":"…"}` (转载).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    /// original or reprint
    #[schema(example = "reprint")]
    pub kind: String,
    /// A reprint's origin, 1–200 characters; absent for an original.
    #[schema(example = "新华社")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl SourceView {
    pub fn new(source: &Source) -> SourceView {
        SourceView {
            kind: source.kind().into(),
            origin: source.origin().map(String::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowRef {
    /// The version the draft was submitted under (or would be, if not yet submitted).
    #[schema(example = 1)]
    pub version: i32,
    /// The stages of the draft's route (its risk tier's) in route order.
    pub stages: Vec<Stage>,
}

/// An approval of the current round on the current revision, as a route
/// step shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepApproval {
    pub stage: Stage,
    pub signer_id: Uuid,
    #[schema(example = "li.na")]
    pub signer: String,
    pub signed_at: DateTime<Utc>,
}

/// A step of the draft's route (SPEC §5) with the approvals so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// Signed in any order (parallel).
    pub stages: Vec<Stage>,
    /// Approvals by distinct signers each stage needs (会签).
    #[schema(example = 1)]
    pub quorum: u8,
    pub due_hours: Option<u32>,
    pub approvals: Vec<StepApproval>,
    /// Every stage of the step has its quorum.
    pub complete: bool,
}

/// The route with this round's approvals on this revision, step by step.
pub fn route_view(
    route: &Route,
    round: i32,
    signoffs: &[(SignoffRow, String)],
) -> Result<Vec<StepView>, ApiError> {
    let mut approvals = Vec::new();
    for (row, name) in signoffs {
        if row.round == round && parse_decision(&row.decision)? == Decision::Approve {
            approvals.push((parse_stage(&row.stage)?, row, name));
        }
    }
    let pairs: Vec<(Stage, Uuid)> = approvals
        .iter()
        .map(|(s, r, _)| (*s, r.signer_id))
        .collect();
    Ok(route
        .steps
        .iter()
        .map(|step| StepView {
            stages: step.stages.clone(),
            quorum: step.quorum,
            due_hours: step.due_hours,
            approvals: approvals
                .iter()
                .filter(|(s, _, _)| step.stages.contains(s))
                .map(|(stage, row, name)| StepApproval {
                    stage: *stage,
                    signer_id: row.signer_id,
                    signer: (*name).clone(),
                    signed_at: row.signed_at,
                })
                .collect(),
            complete: step
                .stages
                .iter()
                .all(|s| count(&pairs, *s) >= usize::from(step.quorum)),
        })
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    #[schema(example = 2)]
    pub number: i32,
    #[schema(example = "关于开展2026年度安全生产检查的通知")]
    pub title: String,
    #[schema(example = "各科室于12月15日前完成自查")]
    pub summary: String,
    #[schema(example = "各科室：\n根据上级部署，现就开展年度安全生产检查通知如下……")]
    pub body: String,
    pub format: Format,
    /// SHA-256 of the JCS form of {body, channel, format, summary, title}.
    #[schema(example = "3f8a2c0e9b7d4f61a5c3e2d1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1")]
    pub content_hash: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<RevisionRow> for RevisionView {
    type Error = ApiError;

    fn try_from(r: RevisionRow) -> Result<Self, ApiError> {
        Ok(RevisionView {
            number: r.number,
            title: r.title,
            summary: r.summary,
            body: r.body,
            format: crate::error::stored(Format::parse(&r.format), "revisions.format", &r.format)?,
            content_hash: r.content_hash,
            author_id: r.author_id,
            created_at: r.created_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignoffView {
    /// The sign-off's id, as `/audit/verify` names one whose event is missing.
    pub id: Uuid,
    pub stage: Stage,
    pub decision: Decision,
    pub signer_id: Uuid,
    #[schema(example = "li.na")]
    pub signer: String,
    pub revision: i32,
    /// The submission round; only the current round's approvals count.
    #[schema(example = 1)]
    pub round: i32,
    pub content_hash: String,
    #[schema(example = "同意，请二校注意数字格式。")]
    pub comment: Option<String>,
    /// The checks attested (review stages): political, legal, policy, secrecy, language, public_opinion.
    pub checks: Vec<Check>,
    pub signed_at: DateTime<Utc>,
    /// The principal the signer signed for (代签), if any.
    pub on_behalf_of: Option<Uuid>,
    /// Machine-check finding ids the signer acknowledged (SPEC §6).
    #[schema(example = json!(["body:12-23:mobile"]))]
    pub acknowledged: Vec<String>,
}

impl SignoffView {
    pub fn new(row: SignoffRow, signer: String) -> Result<SignoffView, ApiError> {
        let checks = row
            .checks
            .iter()
            .filter_map(|c| Check::ALL.into_iter().find(|k| k.as_str() == c))
            .collect();
        Ok(SignoffView {
            id: row.id,
            stage: parse_stage(&row.stage)?,
            decision: parse_decision(&row.decision)?,
            signer_id: row.signer_id,
            signer,
            revision: row.revision,
            round: row.round,
            content_hash: row.content_hash,
            comment: row.comment,
            checks,
            signed_at: row.signed_at,
            on_behalf_of: row.on_behalf_of,
            acknowledged: row.acknowledged,
        })
    }
}

/// A draft with its current revision and the sign-offs of the current round.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftView {
    pub id: Uuid,
    #[schema(example = "wechat_official")]
    pub channel: String,
    pub author_id: Uuid,
    pub department_id: Option<Uuid>,
    pub risk_level: RiskLevel,
    pub status: Status,
    /// The first of `current_stages`, for part-one clients.
    pub current_stage: Option<Stage>,
    /// In review: the current step of the route (0-based).
    pub current_step: Option<i32>,
    /// In review: the stages of the current step still short of quorum.
    pub current_stages: Vec<Stage>,
    /// The route of the draft's tier, with this round's approvals.
    pub route: Vec<StepView>,
    /// In review: when the open step falls due (its `due_hours`, SPEC §8).
    pub due_at: Option<DateTime<Utc>>,
    /// The open step's deadline has passed (the deadline runner saw it).
    pub overdue: bool,
    /// The current revision number.
    #[schema(example = 2)]
    pub revision: i32,
    /// The submission round (0 before the first submission).
    pub round: i32,
    pub content_hash: String,
    pub current: RevisionView,
    pub workflow: WorkflowRef,
    pub signoffs: Vec<SignoffView>,
    #[schema(example = "https://mp.weixin.qq.com/s/abc123")]
    pub published_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source: SourceView,
    /// The published draft this one corrects (更正), if it is a correction.
    pub corrects: Option<Uuid>,
    /// The correction's 更正说明.
    #[schema(example = "原文第二段日期有误，应为12月15日。")]
    pub correction_note: Option<String>,
    /// The correction whose publication made this draft `corrected`.
    pub corrected_by: Option<Uuid>,
}

/// A draft as listed: without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftSummary {
    pub id: Uuid,
    pub channel: String,
    pub author_id: Uuid,
    pub department_id: Option<Uuid>,
    pub risk_level: RiskLevel,
    pub status: Status,
    pub current_stage: Option<Stage>,
    /// In review: the stages of the current step still short of quorum.
    pub current_stages: Vec<Stage>,
    /// In review: when the open step falls due (SPEC §8).
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub revision: i32,
    pub content_hash: String,
    #[schema(example = "关于开展2026年度安全生产检查的通知")]
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DraftSummary {
    /// A draft read whole, with its current revision's title and hash.
    pub fn new(d: DraftRow, title: String, content_hash: String) -> Result<DraftSummary, ApiError> {
        DraftSummary::listed(Listed::from((d, title, content_hash)))
    }

    /// A draft as a list reads it.
    pub fn listed(d: Listed) -> Result<DraftSummary, ApiError> {
        Ok(DraftSummary {
            id: d.id,
            risk_level: parse_risk(&d.risk_level)?,
            status: parse_status(&d.status)?,
            current_stage: d.current_stage.as_deref().map(parse_stage).transpose()?,
            current_stages: d
                .current_stages
                .iter()
                .map(|s| parse_stage(s))
                .collect::<Result<_, _>>()?,
            due_at: d.due_at,
            overdue: d.overdue,
            channel: d.channel,
            author_id: d.author_id,
            department_id: d.department_id,
            revision: d.revision,
            content_hash: d.content_hash.unwrap_or_default(),
            title: d.title.unwrap_or_default(),
            created_at: d.created_at,
            updated_at: d.updated_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub author_id: Uuid,
    #[schema(example = "wang.fang")]
    pub author: String,
    #[schema(example = "第三段数据请再核对一次来源。")]
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl CommentView {
    pub fn new(c: CommentRow, author: String) -> CommentView {
        CommentView {
            id: c.id,
            author_id: c.author_id,
            author,
            body: c.body,
            created_at: c.created_at,
        }
    }
}
