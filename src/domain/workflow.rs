//! The 三审三校 workflow of SPEC §2 and §5 as one pure function: who may do what to
//! a draft, in which state, and what follows. No I/O: the caller loads the
//! facts (under the draft's row lock), asks `decide`, and stores the `Effect`.
//!
//! Checks run in one fixed order, so each refusal maps to one SPEC code:
//! not visible → 404 `not_found`; no capability for this action on this
//! draft → 403 `forbidden`; wrong status → 409 `invalid_transition`; not the
//! open stage → 409 `stage_mismatch`; author, second stage of a kind, leader
//! and anything else, or a stage twice in a round → 403
//! `separation_of_duties`; wrong content_hash → 409 `stale_content`;
//! incomplete attestation → 422 `validation_failed`. Risk changes
//! (escalation, SPEC §5) are judged in `domain::escalation`.

use uuid::Uuid;

pub use crate::domain::draft_facts::{Actor, DraftFacts, Grant, Principal, Signature, Workflow};
use crate::domain::eligibility::{SIGHTED, holds};
pub use crate::domain::eligibility::{
    can_sign_now, can_view, eligible_signer, separation, signing_as,
};
use crate::domain::escalation;
pub use crate::domain::route::Standing;
use crate::domain::vocabulary::{Check, RiskLevel, Role, Stage, StageKind, Status};

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
    /// `POST /drafts/{id}/risk`; `reason` says whether one was given.
    SetRisk {
        to: RiskLevel,
        reason: bool,
    },
}

/// What the caller must write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Visible,
    Comment,
    /// A new revision; the status stays (`draft` or `returned`).
    NewRevision,
    /// To `in_review` at the route's first step, in a new round.
    Submit {
        next: Standing,
    },
    /// A sign-off; then where the draft stands: the same or a later step,
    /// or `publishable` once every stage has its quorum.
    Approve {
        stage: Stage,
        next: Standing,
        /// The principal the caller signs for (代签), if not for themselves.
        on_behalf_of: Option<Uuid>,
    },
    /// A sign-off, and the draft goes back to `returned`.
    Return {
        stage: Stage,
        on_behalf_of: Option<Uuid>,
    },
    Withdraw,
    Publish,
    Retract,
    /// The tier changes; in review, where the draft then stands on the
    /// higher route (approvals of the round carry over).
    SetRisk {
        from: RiskLevel,
        to: RiskLevel,
        next: Option<Standing>,
    },
}

impl Effect {
    /// The status the draft has after this effect, if it changes.
    pub fn to_status(&self) -> Option<Status> {
        match self {
            Effect::Submit {
                next: Standing::Complete,
            }
            | Effect::Approve {
                next: Standing::Complete,
                ..
            }
            | Effect::SetRisk {
                next: Some(Standing::Complete),
                ..
            } => Some(Status::Publishable),
            Effect::Submit { .. } | Effect::Approve { .. } => Some(Status::InReview),
            Effect::Return { .. } => Some(Status::Returned),
            Effect::Withdraw => Some(Status::Withdrawn),
            Effect::Publish => Some(Status::Published),
            Effect::Retract => Some(Status::Retracted),
            Effect::Visible | Effect::Comment | Effect::NewRevision | Effect::SetRisk { .. } => {
                None
            }
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
        open: Vec<Stage>,
    },
    SeparationOfDuties(&'static str),
    StaleContent,
    /// The six checks were not all attested; lists the missing ones.
    ChecksMissing(Vec<Check>),
    /// A tier may be raised during review, never lowered (SPEC §5).
    RiskLowering {
        from: RiskLevel,
    },
    /// Raising a tier during review needs a reason.
    ReasonRequired,
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
            Refusal::ChecksMissing(_) | Refusal::ReasonRequired => "validation_failed",
            Refusal::RiskLowering { .. } => "risk_lowering",
        }
    }
}

/// Invariant 1 (SPEC §5) as a predicate: every stage of the route has its
/// quorum of approvals in the current round, by signatures that keep
/// invariants 2–3.
pub fn is_publishable(draft: &DraftFacts) -> bool {
    let approvals = draft.approvals();
    let apart = approvals.iter().enumerate().all(|(i, (stage, signer))| {
        *signer != draft.author_id
            && approvals[i + 1..]
                .iter()
                .all(|(s, u)| u != signer || (s != stage && !s.excludes(*stage)))
    });
    apart && draft.route().standing(&approvals) == Standing::Complete
}

pub(crate) fn require_status(draft: &DraftFacts, allowed: &[Status]) -> Result<(), Refusal> {
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

pub(crate) fn require_author(draft: &DraftFacts, actor: &Actor) -> Result<(), Refusal> {
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
            // A new round: no approval counts yet.
            Ok(Effect::Submit {
                next: draft.route().standing(&[]),
            })
        }
        Action::Approve {
            stage,
            content_hash,
            checks,
        } => {
            let on_behalf_of = sign(draft, actor, stage, content_hash)?;
            if stage.kind() == StageKind::Review {
                let missing: Vec<Check> = Check::ALL
                    .into_iter()
                    .filter(|c| !checks.contains(c))
                    .collect();
                if !missing.is_empty() {
                    return Err(Refusal::ChecksMissing(missing));
                }
            }
            let mut approvals = draft.approvals();
            approvals.push((stage, actor.user_id));
            Ok(Effect::Approve {
                stage,
                next: draft.route().standing(&approvals),
                on_behalf_of,
            })
        }
        Action::Return {
            stage,
            content_hash,
        } => {
            let on_behalf_of = sign(draft, actor, stage, content_hash)?;
            Ok(Effect::Return {
                stage,
                on_behalf_of,
            })
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
        Action::SetRisk { to, reason } => escalation::decide(draft, actor, to, reason),
    }
}

/// The common checks of approve and return, in the documented order;
/// returns the principal signed for, if any (代签).
fn sign(
    draft: &DraftFacts,
    actor: &Actor,
    stage: Stage,
    content_hash: &str,
) -> Result<Option<Uuid>, Refusal> {
    let may = |a: &Actor| eligible_signer(a, stage, draft);
    let delegated = actor
        .principals
        .iter()
        .any(|p| !actor.disabled && p.stages.contains(&stage) && may(&p.as_actor()));
    if !may(actor) && !delegated {
        return Err(Refusal::Forbidden(
            "you hold no grant for this stage covering this draft",
        ));
    }
    require_status(draft, &[Status::InReview])?;
    let open = draft.current_stages();
    if !open.contains(&stage) {
        return Err(Refusal::StageMismatch { open });
    }
    let on_behalf_of = signing_as(draft, actor, stage)?;
    require_current(draft, content_hash)?;
    Ok(on_behalf_of)
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

#[cfg(test)]
#[path = "delegation_tests.rs"]
mod delegation_tests;
