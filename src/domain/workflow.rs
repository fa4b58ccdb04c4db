//! The 三审三校 workflow of SPEC §2 as one pure function: who may do what to
//! a draft, in which state, and what follows. No I/O: the caller loads the
//! facts (under the draft's row lock), asks `decide`, and stores the `Effect`.
//!
//! Checks run in one fixed order, so each refusal maps to one SPEC code:
//! not visible → 404 `not_found`; no capability for this action on this
//! draft → 403 `forbidden`; wrong status → 409 `invalid_transition`; not the
//! current stage → 409 `stage_mismatch`; author or second stage of a kind →
//! 403 `separation_of_duties`; wrong content_hash → 409 `stale_content`;
//! incomplete attestation → 422 `validation_failed`.

use uuid::Uuid;

pub use crate::domain::draft_facts::{Actor, DraftFacts, Grant, Signature, Workflow};
use crate::domain::vocabulary::{Check, Decision, Role, Stage, StageKind, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    View,
    Comment,
    Edit,
    Submit {
        content_hash: &'a str,
    },
    Approve {
        stage: Stage,
        content_hash: &'a str,
        checks: &'a [Check],
    },
    Return {
        stage: Stage,
        content_hash: &'a str,
    },
    Withdraw,
    Publish {
        content_hash: &'a str,
    },
    Retract,
}

/// What the caller must write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Visible,
    Comment,
    /// A new revision; the status stays (`draft` or `returned`).
    NewRevision,
    /// To `in_review` at the workflow's first stage, in a new round.
    Submit {
        first_stage: Stage,
    },
    /// A sign-off; then the next stage, or `publishable` after the last.
    Approve {
        stage: Stage,
        next: Option<Stage>,
    },
    /// A sign-off, and the draft goes back to `returned`.
    Return {
        stage: Stage,
    },
    Withdraw,
    Publish,
    Retract,
}

impl Effect {
    /// The status the draft has after this effect, if it changes.
    pub fn to_status(&self) -> Option<Status> {
        match self {
            Effect::Submit { .. } => Some(Status::InReview),
            Effect::Approve { next: None, .. } => Some(Status::Publishable),
            Effect::Approve { .. } => Some(Status::InReview),
            Effect::Return { .. } => Some(Status::Returned),
            Effect::Withdraw => Some(Status::Withdrawn),
            Effect::Publish => Some(Status::Published),
            Effect::Retract => Some(Status::Retracted),
            Effect::Visible | Effect::Comment | Effect::NewRevision => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    Forbidden(&'static str),
    InvalidTransition {
        status: Status,
    },
    StageMismatch {
        current: Option<Stage>,
    },
    SeparationOfDuties(&'static str),
    StaleContent,
    /// The six checks were not all attested; lists the missing ones.
    ChecksMissing(Vec<Check>),
}

impl Refusal {
    /// The SPEC §3 error code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound => "not_found",
            Refusal::Forbidden(_) => "forbidden",
            Refusal::InvalidTransition { .. } => "invalid_transition",
            Refusal::StageMismatch { .. } => "stage_mismatch",
            Refusal::SeparationOfDuties(_) => "separation_of_duties",
            Refusal::StaleContent => "stale_content",
            Refusal::ChecksMissing(_) => "validation_failed",
        }
    }
}

const SIGHTED: [Role; 7] = [
    Role::Publisher,
    Role::Review1,
    Role::Proofread1,
    Role::Review2,
    Role::Proofread2,
    Role::Review3,
    Role::Proofread3,
];

fn holds(actor: &Actor, role: Role, draft: &DraftFacts) -> bool {
    !actor.disabled
        && actor
            .grants
            .iter()
            .any(|g| g.role == role && g.covers(draft))
}

/// SPEC §3: the author; signing or publisher grants covering the draft;
/// auditors see all; `admin` alone sees nothing.
pub fn can_view(draft: &DraftFacts, actor: &Actor) -> bool {
    !actor.disabled
        && (actor.user_id == draft.author_id
            || actor.grants.iter().any(|g| g.role == Role::Auditor)
            || SIGHTED.iter().any(|r| holds(actor, *r, draft)))
}

/// Holds a grant for the stage's role whose scope covers the draft's channel
/// and department, and is not disabled.
pub fn eligible_signer(actor: &Actor, stage: Stage, draft: &DraftFacts) -> bool {
    holds(actor, Role::for_stage(stage), draft)
}

/// Invariants 2 and 3: the author signs nothing of their own draft; nobody
/// signs two stages of one kind (review, proofread) of one revision.
fn separation(draft: &DraftFacts, actor: &Actor, stage: Stage) -> Result<(), Refusal> {
    if actor.user_id == draft.author_id {
        return Err(Refusal::SeparationOfDuties(
            "the author signs no stage of their own draft",
        ));
    }
    let signed_another = draft.signatures.iter().any(|s| {
        s.signer_id == actor.user_id && s.stage != stage && s.stage.kind() == stage.kind()
    });
    if signed_another {
        return Err(Refusal::SeparationOfDuties(match stage.kind() {
            StageKind::Review => "you already signed another review stage of this revision",
            StageKind::Proofread => "you already signed another proofread stage of this revision",
        }));
    }
    Ok(())
}

/// For `GET /tasks`: in review, eligible for the current stage, and the
/// separation rules already applied.
pub fn can_sign_now(draft: &DraftFacts, actor: &Actor) -> bool {
    match (draft.status, draft.current_stage) {
        (Status::InReview, Some(stage)) => {
            eligible_signer(actor, stage, draft) && separation(draft, actor, stage).is_ok()
        }
        _ => false,
    }
}

/// Invariant 1 as a predicate: the current round holds an approval for every
/// stage, in the workflow's order, by six signatures that keep invariants 2–3.
pub fn is_publishable(draft: &DraftFacts) -> bool {
    let approvals: Vec<&Signature> = draft
        .signatures
        .iter()
        .filter(|s| s.round == draft.round && s.decision == Decision::Approve)
        .collect();
    let in_order = approvals.len() == 6
        && approvals
            .iter()
            .zip(draft.workflow.stages)
            .all(|(s, stage)| s.stage == stage);
    let apart = |kind: StageKind| {
        let signers: Vec<Uuid> = approvals
            .iter()
            .filter(|s| s.stage.kind() == kind)
            .map(|s| s.signer_id)
            .collect();
        signers
            .iter()
            .enumerate()
            .all(|(i, a)| !signers[i + 1..].contains(a))
    };
    in_order
        && approvals.iter().all(|s| s.signer_id != draft.author_id)
        && apart(StageKind::Review)
        && apart(StageKind::Proofread)
}

fn require_status(draft: &DraftFacts, allowed: &[Status]) -> Result<(), Refusal> {
    if allowed.contains(&draft.status) {
        Ok(())
    } else {
        Err(Refusal::InvalidTransition {
            status: draft.status,
        })
    }
}

fn require_current(draft: &DraftFacts, content_hash: &str) -> Result<(), Refusal> {
    if draft.content_hash == content_hash {
        Ok(())
    } else {
        Err(Refusal::StaleContent)
    }
}

fn require_author(draft: &DraftFacts, actor: &Actor) -> Result<(), Refusal> {
    if actor.user_id == draft.author_id {
        Ok(())
    } else {
        Err(Refusal::Forbidden("only the author may do this"))
    }
}

pub fn decide(draft: &DraftFacts, actor: &Actor, action: &Action) -> Result<Effect, Refusal> {
    if !can_view(draft, actor) {
        return Err(Refusal::NotFound);
    }
    const EDITABLE: [Status; 2] = [Status::Draft, Status::Returned];
    match *action {
        Action::View => Ok(Effect::Visible),
        Action::Comment => {
            let participant =
                actor.user_id == draft.author_id || SIGHTED.iter().any(|r| holds(actor, *r, draft));
            if participant {
                Ok(Effect::Comment)
            } else {
                Err(Refusal::Forbidden("auditors read; they do not comment"))
            }
        }
        Action::Edit => {
            require_author(draft, actor)?;
            require_status(draft, &EDITABLE)?;
            Ok(Effect::NewRevision)
        }
        Action::Submit { content_hash } => {
            require_author(draft, actor)?;
            require_status(draft, &EDITABLE)?;
            require_current(draft, content_hash)?;
            Ok(Effect::Submit {
                first_stage: draft.workflow.first(),
            })
        }
        Action::Approve {
            stage,
            content_hash,
            checks,
        } => {
            sign(draft, actor, stage, content_hash)?;
            if stage.kind() == StageKind::Review {
                let missing: Vec<Check> = Check::ALL
                    .into_iter()
                    .filter(|c| !checks.contains(c))
                    .collect();
                if !missing.is_empty() {
                    return Err(Refusal::ChecksMissing(missing));
                }
            }
            Ok(Effect::Approve {
                stage,
                next: draft.workflow.after(stage),
            })
        }
        Action::Return {
            stage,
            content_hash,
        } => {
            sign(draft, actor, stage, content_hash)?;
            Ok(Effect::Return { stage })
        }
        Action::Withdraw => {
            require_author(draft, actor)?;
            require_status(
                draft,
                &[
                    Status::Draft,
                    Status::InReview,
                    Status::Returned,
                    Status::Publishable,
                ],
            )?;
            Ok(Effect::Withdraw)
        }
        Action::Publish { content_hash } => {
            publisher(draft, actor)?;
            require_status(draft, &[Status::Publishable])?;
            require_current(draft, content_hash)?;
            if !is_publishable(draft) {
                // Unreachable while the rules hold; refusing keeps invariant 1 even if they did not.
                return Err(Refusal::InvalidTransition {
                    status: draft.status,
                });
            }
            Ok(Effect::Publish)
        }
        Action::Retract => {
            publisher(draft, actor)?;
            require_status(draft, &[Status::Published])?;
            Ok(Effect::Retract)
        }
    }
}

/// The common checks of approve and return, in the documented order.
fn sign(
    draft: &DraftFacts,
    actor: &Actor,
    stage: Stage,
    content_hash: &str,
) -> Result<(), Refusal> {
    if !eligible_signer(actor, stage, draft) {
        return Err(Refusal::Forbidden(
            "you hold no grant for this stage covering this draft",
        ));
    }
    require_status(draft, &[Status::InReview])?;
    if draft.current_stage != Some(stage) {
        return Err(Refusal::StageMismatch {
            current: draft.current_stage,
        });
    }
    separation(draft, actor, stage)?;
    require_current(draft, content_hash)
}

fn publisher(draft: &DraftFacts, actor: &Actor) -> Result<(), Refusal> {
    if holds(actor, Role::Publisher, draft) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            "you hold no publisher grant for this channel",
        ))
    }
}

#[cfg(test)]
#[path = "workflow_tests.rs"]
mod tests;
