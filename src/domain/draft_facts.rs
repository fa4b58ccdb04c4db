//! What the workflow rules look at: the draft's facts under its row lock,
//! the channel's routes, and the caller with their grants. Loaded by
//! `drafts::facts`, judged by `domain::workflow`.

use uuid::Uuid;

use crate::domain::route::{Route, Routes, Standing};
use crate::domain::vocabulary::{Decision, RiskLevel, Role, Stage, Status};

/// A channel's workflow at one version: a route per risk tier (SPEC §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub version: i32,
    pub routes: Routes,
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
    /// Whose signing the caller may do now (代签, SPEC §8): the principals
    /// of the delegations in force that the caller received.
    pub principals: Vec<Principal>,
}

/// Someone who delegated signing to the caller, with the grants that bound
/// what the delegate may sign in their place.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub disabled: bool,
    pub grants: Vec<Grant>,
    /// The stages the delegation covers.
    pub stages: Vec<Stage>,
}

impl Principal {
    /// The principal as a signer of their own, for the grant checks.
    pub fn as_actor(&self) -> Actor {
        Actor {
            user_id: self.user_id,
            disabled: self.disabled,
            grants: self.grants.clone(),
            principals: Vec::new(),
        }
    }
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
    /// The principal the signer signed for (代签), if any.
    pub on_behalf_of: Option<Uuid>,
}

impl Signature {
    /// Whether `person` answers for this sign-off: as its signer, or as
    /// the principal it was signed for (invariants 2–3 bind both).
    pub fn involves(&self, person: Uuid) -> bool {
        self.signer_id == person || self.on_behalf_of == Some(person)
    }
}

/// What the rules need to know about a draft.
#[derive(Debug, Clone)]
pub struct DraftFacts {
    pub status: Status,
    pub author_id: Uuid,
    pub channel: String,
    pub department_id: Option<Uuid>,
    pub risk: RiskLevel,
    pub workflow: Workflow,
    pub content_hash: String,
    pub round: i32,
    /// Every sign-off of the current revision, all rounds, oldest first.
    pub signatures: Vec<Signature>,
}

impl DraftFacts {
    /// The route of the draft's tier in its workflow version.
    pub fn route(&self) -> &Route {
        self.workflow.routes.of(self.risk)
    }

    /// The approvals that move the draft: this round's, on this revision.
    pub fn approvals(&self) -> Vec<(Stage, Uuid)> {
        self.signatures
            .iter()
            .filter(|s| s.round == self.round && s.decision == Decision::Approve)
            .map(|s| (s.stage, s.signer_id))
            .collect()
    }

    /// Where the draft stands on its route; `None` unless in review.
    pub fn standing(&self) -> Option<Standing> {
        (self.status == Status::InReview).then(|| self.route().standing(&self.approvals()))
    }

    /// The stages of the current step still short of quorum (SPEC §5
    /// `current_stages`); empty unless in review.
    pub fn current_stages(&self) -> Vec<Stage> {
        self.standing()
            .map(|s| s.open().to_vec())
            .unwrap_or_default()
    }
}
