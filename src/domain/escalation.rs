//! Escalation (SPEC §5): who may set a draft's risk tier, when, and where
//! the draft then stands. Part of `decide`; kept apart for its size.
//!
//! Order of checks, as in `workflow`: status (409 `invalid_transition`),
//! who (403 `forbidden`), lowering during review (409 `risk_lowering`),
//! a raise during review without a reason (422 `validation_failed`).

use crate::domain::vocabulary::{RiskLevel, Status};
use crate::domain::workflow::{
    Actor, DraftFacts, Effect, Refusal, eligible_signer, require_author, require_status,
};

pub fn decide(
    draft: &DraftFacts,
    actor: &Actor,
    to: RiskLevel,
    reason: bool,
) -> Result<Effect, Refusal> {
    require_status(draft, &[Status::Draft, Status::Returned, Status::InReview])?;
    let from = draft.risk;
    if draft.status != Status::InReview {
        // Before review the author alone chooses, freely.
        require_author(draft, actor)?;
        return Ok(Effect::SetRisk {
            from,
            to,
            next: None,
        });
    }
    let open = draft.current_stages();
    if !open.iter().any(|s| eligible_signer(actor, *s, draft)) {
        return Err(Refusal::Forbidden(
            "during review only an eligible signer of an open stage may raise the tier",
        ));
    }
    if to < from {
        return Err(Refusal::RiskLowering { from });
    }
    if to > from && !reason {
        return Err(Refusal::ReasonRequired);
    }
    // The higher route of the same pinned version; this round's approvals
    // on this revision carry over, so the current step is the first one
    // not complete (it may be complete outright: then publishable).
    let next = draft.workflow.routes.of(to).standing(&draft.approvals());
    Ok(Effect::SetRisk {
        from,
        to,
        next: Some(next),
    })
}
