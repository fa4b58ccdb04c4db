//! Who a caller is to a draft (SPEC §3, §5, §8): whether they see it, whether
//! they may sign a stage of it, and in whose name (代签), under the
//! separation rules (invariants 2–3). Pure; `workflow::decide` asks these.

use uuid::Uuid;

use crate::domain::draft_facts::{Actor, DraftFacts};
use crate::domain::vocabulary::{Role, Stage, StageKind};
use crate::domain::workflow::Refusal;

pub(crate) const SIGHTED: [Role; 8] = [
    Role::Publisher,
    Role::Review1,
    Role::Proofread1,
    Role::Review2,
    Role::Proofread2,
    Role::Review3,
    Role::Proofread3,
    Role::Leader,
];

pub(crate) fn holds(actor: &Actor, role: Role, draft: &DraftFacts) -> bool {
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
            || SIGHTED.iter().any(|r| holds(actor, *r, draft))
            || delegated_sight(draft, actor))
}

/// A delegate sees what the delegated stages of their principals cover.
fn delegated_sight(draft: &DraftFacts, actor: &Actor) -> bool {
    actor.principals.iter().any(|p| {
        let principal = p.as_actor();
        p.stages
            .iter()
            .any(|s| holds(&principal, Role::for_stage(*s), draft))
    })
}

/// Holds a grant for the stage's role whose scope covers the draft's channel
/// and department, and is not disabled.
pub fn eligible_signer(actor: &Actor, stage: Stage, draft: &DraftFacts) -> bool {
    holds(actor, Role::for_stage(stage), draft)
}

/// Invariants 2 and 3 (SPEC §5): the author signs nothing of their own
/// draft; on one revision a person signs at most one review stage, at most
/// one proofread stage, and a `leader` signer nothing else; and in one
/// round each stage at most once (a quorum is of distinct people).
/// With a delegation (代签) both the delegate and the principal must pass.
pub fn separation(draft: &DraftFacts, actor: &Actor, stage: Stage) -> Result<(), Refusal> {
    separation_of(draft, actor.user_id, stage)
}

fn separation_of(draft: &DraftFacts, person: Uuid, stage: Stage) -> Result<(), Refusal> {
    if person == draft.author_id {
        return Err(Refusal::SeparationOfDuties(
            "the author signs no stage of their own draft",
        ));
    }
    let mine = || draft.signatures.iter().filter(|s| s.involves(person));
    if let Some(other) = mine().find(|s| stage.excludes(s.stage)) {
        return Err(Refusal::SeparationOfDuties(
            match (stage.kind(), other.stage.kind()) {
                (StageKind::Leader, _) => "the leader signs nothing else of this revision",
                (_, StageKind::Leader) => "you signed leader on this revision; nothing else",
                (StageKind::Review, _) => {
                    "you already signed another review stage of this revision"
                }
                (StageKind::Proofread, _) => {
                    "you already signed another proofread stage of this revision"
                }
            },
        ));
    }
    if mine().any(|s| s.stage == stage && s.round == draft.round) {
        return Err(Refusal::SeparationOfDuties(
            "you already signed this stage in this round",
        ));
    }
    Ok(())
}

/// For `GET /tasks`: in review, with an open stage the caller is eligible
/// for and may sign under the separation rules.
pub fn can_sign_now(draft: &DraftFacts, actor: &Actor) -> bool {
    draft
        .current_stages()
        .into_iter()
        .any(|stage| signing_as(draft, actor, stage).is_ok())
}

/// Whose name a sign-off of `stage` by `actor` carries, or why there is
/// none: `None` when the caller signs for themselves (their own grant comes
/// first), else the principal of a delegation in force that covers the
/// stage, within the principal's grant scopes; the separation rules bind
/// the caller and that principal at once (SPEC §8).
pub fn signing_as(
    draft: &DraftFacts,
    actor: &Actor,
    stage: Stage,
) -> Result<Option<Uuid>, Refusal> {
    if eligible_signer(actor, stage, draft) {
        return separation(draft, actor, stage).map(|()| None);
    }
    let mut refusal = Refusal::Forbidden("you hold no grant for this stage covering this draft");
    for p in actor
        .principals
        .iter()
        .filter(|p| p.stages.contains(&stage))
    {
        if actor.disabled || !eligible_signer(&p.as_actor(), stage, draft) {
            continue;
        }
        match separation(draft, actor, stage).and_then(|()| separation_of(draft, p.user_id, stage))
        {
            Ok(()) => return Ok(Some(p.user_id)),
            Err(e) => refusal = e,
        }
    }
    Err(refusal)
}
