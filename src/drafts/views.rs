//! Read models of drafts (what the API returns): drafts, revisions,
//! sign-offs, comments; built by the draft reads, rendered by `http/`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::drafts::{CommentRow, DraftRow, RevisionRow, SignoffRow};
use crate::domain::content::Source;
use crate::domain::vocabulary::{Check, Decision, Format, RiskLevel, Stage, Status};

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
    pub fn new(kind: &str, origin: Option<String>) -> SourceView {
        let source = Source::from_stored(kind, origin);
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
    pub stages: Vec<Stage>,
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

impl From<RevisionRow> for RevisionView {
    fn from(r: RevisionRow) -> Self {
        RevisionView {
            number: r.number,
            title: r.title,
            summary: r.summary,
            body: r.body,
            format: Format::parse(&r.format).unwrap_or(Format::Text),
            content_hash: r.content_hash,
            author_id: r.author_id,
            created_at: r.created_at,
        }
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
}

impl SignoffView {
    pub fn new(row: SignoffRow, signer: String) -> SignoffView {
        let checks = row
            .checks
            .iter()
            .filter_map(|c| Check::ALL.into_iter().find(|k| k.as_str() == c))
            .collect();
        SignoffView {
            id: row.id,
            stage: Stage::parse(&row.stage).unwrap_or(Stage::Review1),
            decision: if row.decision == "approve" {
                Decision::Approve
            } else {
                Decision::Return
            },
            signer_id: row.signer_id,
            signer,
            revision: row.revision,
            round: row.round,
            content_hash: row.content_hash,
            comment: row.comment,
            checks,
            signed_at: row.signed_at,
        }
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
    pub current_stage: Option<Stage>,
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
    pub revision: i32,
    pub content_hash: String,
    #[schema(example = "关于开展2026年度安全生产检查的通知")]
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DraftSummary {
    pub fn new(d: DraftRow, title: String, content_hash: String) -> DraftSummary {
        DraftSummary {
            id: d.id,
            risk_level: RiskLevel::parse(&d.risk_level).unwrap_or_default(),
            status: Status::parse(&d.status).unwrap_or(Status::Draft),
            current_stage: d.current_stage.as_deref().and_then(Stage::parse),
            channel: d.channel,
            author_id: d.author_id,
            department_id: d.department_id,
            revision: d.revision,
            content_hash,
            title,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
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
