//! What the workflow rules look at: the draft's facts under its row lock,
//! the channel's stage order, and the caller with their grants. Loaded by
//! `drafts::facts`, judged by `domain::workflow`.

use uuid::Uuid;

use crate::domain::vocabulary::{Decision, Role, Stage, Status};

/// A channel's stage order at one version (a permutation of the six).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub version: i32,
    pub stages: [Stage; 6],
}

impl Workflow {
    pub fn first(&self) -> Stage {
        self.stages[0]
    }

    pub fn after(&self, stage: Stage) -> Option<Stage> {
        let i = self.stages.iter().position(|s| *s == stage)?;
        self.stages.get(i + 1).copied()
    }
}

/// A grant as the rules see it: a role, optionally limited to a channel
/// and/or a department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
}

impl Grant {
    pub fn covers(&self, draft: &DraftFacts) -> bool {
        self.channel.as_deref().is_none_or(|c| c == draft.channel)
            && self
                .department_id
                .is_none_or(|d| Some(d) == draft.department_id)
    }
}

/// The caller, with the grants read from the database in the same
/// transaction as the lock (a grant revoked a second ago no longer counts).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub disabled: bool,
    pub grants: Vec<Grant>,
}

/// A sign-off (签字) of the draft's current revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub stage: Stage,
    pub signer_id: Uuid,
    pub decision: Decision,
    /// The submission round it was given in; only the current round's
    /// approvals move a draft towards publishable.
    pub round: i32,
}

/// What the rules need to know about a draft.
#[derive(Debug, Clone)]
pub struct DraftFacts {
    pub status: Status,
    pub author_id: Uuid,
    pub channel: String,
    pub department_id: Option<Uuid>,
    pub current_stage: Option<Stage>,
    pub workflow: Workflow,
    pub content_hash: String,
    pub round: i32,
    /// Every sign-off of the current revision, all rounds, oldest first.
    pub signatures: Vec<Signature>,
}
