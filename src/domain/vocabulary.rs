//! The words of the domain: stages, statuses, roles, risk levels, checks.
//!
//! Each enum is stored as its snake_case text (CHECK constraints in the
//! migrations list the same words) and serialized the same way in the API.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One of the six sign-off stages of 三审三校, or `leader` (审定, SPEC §5).
/// A stage name is also the signing role that may sign it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 初审 — first review.
    #[serde(rename = "review_1")]
    Review1,
    /// 一校 — first proofread.
    #[serde(rename = "proofread_1")]
    Proofread1,
    /// 复审 — second review.
    #[serde(rename = "review_2")]
    Review2,
    /// 二校 — second proofread.
    #[serde(rename = "proofread_2")]
    Proofread2,
    /// 终审 — final review.
    #[serde(rename = "review_3")]
    Review3,
    /// 三校 — third proofread.
    #[serde(rename = "proofread_3")]
    Proofread3,
    /// 审定 — the principal leader's decision (SPEC §5).
    Leader,
}

/// Whether a stage is one of the three reviews, one of the three
/// proofreads, or the leader's decision (a kind of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Review,
    Proofread,
    Leader,
}

impl Stage {
    /// The six stages of part one, which every route holds exactly once.
    pub const SIX: [Stage; 6] = [
        Stage::Review1,
        Stage::Proofread1,
        Stage::Review2,
        Stage::Proofread2,
        Stage::Review3,
        Stage::Proofread3,
    ];

    /// Every stage: the six and `leader`.
    pub const ALL: [Stage; 7] = [
        Stage::Review1,
        Stage::Proofread1,
        Stage::Review2,
        Stage::Proofread2,
        Stage::Review3,
        Stage::Proofread3,
        Stage::Leader,
    ];

    /// The default order of SPEC §1: each level reviews, then proofreads.
    pub const DEFAULT_ORDER: [Stage; 6] = Stage::SIX;

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Review1 => "review_1",
            Stage::Proofread1 => "proofread_1",
            Stage::Review2 => "review_2",
            Stage::Proofread2 => "proofread_2",
            Stage::Review3 => "review_3",
            Stage::Proofread3 => "proofread_3",
            Stage::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn kind(self) -> StageKind {
        match self {
            Stage::Review1 | Stage::Review2 | Stage::Review3 => StageKind::Review,
            Stage::Proofread1 | Stage::Proofread2 | Stage::Proofread3 => StageKind::Proofread,
            Stage::Leader => StageKind::Leader,
        }
    }

    /// Invariant 3 of SPEC §5: one person may not sign both `self` and
    /// `other` of one revision — two stages of one kind, or `leader` and
    /// anything else. (The same stage twice is a matter of rounds.)
    pub fn excludes(self, other: Stage) -> bool {
        self != other
            && (self.kind() == other.kind()
                || self.kind() == StageKind::Leader
                || other.kind() == StageKind::Leader)
    }
}

/// Where a draft (稿件) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Returned,
    Publishable,
    Published,
    Withdrawn,
    Retracted,
    /// 已更正 — a published item whose correction (SPEC §7) was published; final.
    Corrected,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::InReview,
        Status::Returned,
        Status::Publishable,
        Status::Published,
        Status::Withdrawn,
        Status::Retracted,
        Status::Corrected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Returned => "returned",
            Status::Publishable => "publishable",
            Status::Published => "published",
            Status::Withdrawn => "withdrawn",
            Status::Retracted => "retracted",
            Status::Corrected => "corrected",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A role a grant confers: four capability roles and the seven signing roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Auditor,
    Editor,
    Publisher,
    #[serde(rename = "review_1")]
    Review1,
    #[serde(rename = "proofread_1")]
    Proofread1,
    #[serde(rename = "review_2")]
    Review2,
    #[serde(rename = "proofread_2")]
    Proofread2,
    #[serde(rename = "review_3")]
    Review3,
    #[serde(rename = "proofread_3")]
    Proofread3,
    /// 审定 — signs the `leader` stage.
    Leader,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Admin,
        Role::Auditor,
        Role::Editor,
        Role::Publisher,
        Role::Review1,
        Role::Proofread1,
        Role::Review2,
        Role::Proofread2,
        Role::Review3,
        Role::Proofread3,
        Role::Leader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Editor => "editor",
            Role::Publisher => "publisher",
            Role::Review1 => "review_1",
            Role::Proofread1 => "proofread_1",
            Role::Review2 => "review_2",
            Role::Proofread2 => "proofread_2",
            Role::Review3 => "review_3",
            Role::Proofread3 => "proofread_3",
            Role::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The stage this role signs, if it is a signing role.
    pub fn stage(self) -> Option<Stage> {
        Stage::parse(self.as_str())
    }

    pub fn for_stage(stage: Stage) -> Role {
        match stage {
            Stage::Review1 => Role::Review1,
            Stage::Proofread1 => Role::Proofread1,
            Stage::Review2 => Role::Review2,
            Stage::Proofread2 => Role::Proofread2,
            Stage::Review3 => Role::Review3,
            Stage::Proofread3 => Role::Proofread3,
            Stage::Leader => Role::Leader,
        }
    }
}

/// How carefully an item must be handled: 普通 / 重要 / 敏感. Ordered
/// from lowest to highest: escalation (SPEC §5) only ever raises.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    #[default]
    Normal,
    Important,
    Sensitive,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 3] = [
        RiskLevel::Normal,
        RiskLevel::Important,
        RiskLevel::Sensitive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Normal => "normal",
            RiskLevel::Important => "important",
            RiskLevel::Sensitive => "sensitive",
        }
    }

    pub fn parse(s: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The six checks a reviewer attests before approving a review stage.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// 政治
    Political,
    /// 法律
    Legal,
    /// 政策
    Policy,
    /// 保密
    Secrecy,
    /// 文字
    Language,
    /// 舆情
    PublicOpinion,
}

impl Check {
    pub const ALL: [Check; 6] = [
        Check::Political,
        Check::Legal,
        Check::Policy,
        Check::Secrecy,
        Check::Language,
        Check::PublicOpinion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Political => "political",
            Check::Legal => "legal",
            Check::Policy => "policy",
            Check::Secrecy => "secrecy",
            Check::Language => "language",
            Check::PublicOpinion => "public_opinion",
        }
    }
}

/// A signer's decision on a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Return,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Return => "return",
        }
    }
}

/// The content format of a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Html,
    Markdown,
    Text,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Html, Format::Markdown, Format::Text];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Why a published item is retracted (撤回, SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetractReason {
    /// 内容有误
    Error,
    /// 已过时
    Outdated,
    /// 法律原因
    Legal,
    /// 涉密
    Secrecy,
    Other,
}

impl RetractReason {
    pub const ALL: [RetractReason; 5] = [
        RetractReason::Error,
        RetractReason::Outdated,
        RetractReason::Legal,
        RetractReason::Secrecy,
        RetractReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RetractReason::Error => "error",
            RetractReason::Outdated => "outdated",
            RetractReason::Legal => "legal",
            RetractReason::Secrecy => "secrecy",
            RetractReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<RetractReason> {
        RetractReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
