//! The words the console shows for the domain's words: Chinese first, as
//! the people who sign read them, then English.

use crate::domain::vocabulary::{Check, RiskLevel, Stage, Status};

pub fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Review1 => "初审 Review 1",
        Stage::Proofread1 => "一校 Proofread 1",
        Stage::Review2 => "复审 Review 2",
        Stage::Proofread2 => "二校 Proofread 2",
        Stage::Review3 => "终审 Review 3",
        Stage::Proofread3 => "三校 Proofread 3",
        Stage::Leader => "审定 Leader",
    }
}

pub fn status(s: Status) -> &'static str {
    match s {
        Status::Draft => "草稿 Draft",
        Status::InReview => "审核中 In review",
        Status::Returned => "已退回 Returned",
        Status::Publishable => "可发布 Publishable",
        Status::Published => "已发布 Published",
        Status::Withdrawn => "已撤稿 Withdrawn",
        Status::Retracted => "已撤回 Retracted",
        Status::Corrected => "已更正 Corrected",
    }
}

pub fn risk(r: RiskLevel) -> &'static str {
    match r {
        RiskLevel::Normal => "普通 Normal",
        RiskLevel::Important => "重要 Important",
        RiskLevel::Sensitive => "敏感 Sensitive",
    }
}

pub fn check(c: Check) -> &'static str {
    match c {
        Check::Political => "政治 Political",
        Check::Legal => "法律 Legal",
        Check::Policy => "政策 Policy",
        Check::Secrecy => "保密 Secrecy",
        Check::Language => "文字 Language",
        Check::PublicOpinion => "舆情 Public opinion",
    }
}
