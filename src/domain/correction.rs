//! Who may open a correction (更正, SPEC §7) of a published item, and the
//! risk level it starts at. Pure: the facts are the original's.

use crate::domain::draft_facts::{Actor, DraftFacts};
use crate::domain::vocabulary::{RiskLevel, Role, Status};
use crate::domain::workflow::{Refusal, can_view};

/// The original's author or a publisher of its channel (scope covering it),
/// while it is `published`. A caller who may not see it learns nothing
/// (404), as for every other action.
pub fn may_correct(original: &DraftFacts, actor: &Actor) -> Result<(), Refusal> {
    if !can_view(original, actor) {
        return Err(Refusal::NotFound);
    }
    let publisher = actor
        .grants
        .iter()
        .any(|g| g.role == Role::Publisher && g.covers(original));
    if actor.user_id != original.author_id && !publisher {
        return Err(Refusal::Forbidden(
            "only the author or a publisher of its channel corrects an item",
        ));
    }
    if original.status != Status::Published {
        return Err(Refusal::InvalidTransition {
            status: original.status,
        });
    }
    Ok(())
}

/// A correction runs at least the original's tier: the requested level if
/// it is not lower, else `None` (the caller reports the field).
pub fn correction_risk(original: RiskLevel, requested: Option<RiskLevel>) -> Option<RiskLevel> {
    let rank = |r: RiskLevel| RiskLevel::ALL.iter().position(|x| *x == r);
    match requested {
        None => Some(original),
        Some(r) if rank(r) >= rank(original) => Some(r),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft_facts::{Grant, Workflow};
    use crate::domain::vocabulary::Stage;
    use uuid::Uuid;

    fn original(status: Status) -> DraftFacts {
        DraftFacts {
            status,
            author_id: Uuid::from_u128(1),
            channel: "portal".into(),
            department_id: None,
            risk: crate::domain::vocabulary::RiskLevel::Normal,
            workflow: Workflow {
                version: 1,
                routes: crate::domain::route::Routes::seeded(Stage::DEFAULT_ORDER),
            },
            content_hash: "0".repeat(64),
            round: 1,
            signatures: Vec::new(),
        }
    }

    fn actor(id: u128, grants: &[(Role, Option<&str>)]) -> Actor {
        Actor {
            user_id: Uuid::from_u128(id),
            disabled: false,
            grants: grants
                .iter()
                .map(|(role, channel)| Grant {
                    role: *role,
                    channel: channel.map(String::from),
                    department_id: None,
                })
                .collect(),
            principals: Vec::new(),
        }
    }

    #[test]
    fn the_author_or_a_publisher_of_the_channel_corrects_a_published_item() {
        let published = original(Status::Published);
        assert_eq!(may_correct(&published, &actor(1, &[])), Ok(()));
        let publisher = actor(2, &[(Role::Publisher, Some("portal"))]);
        assert_eq!(may_correct(&published, &publisher), Ok(()));
        let elsewhere = actor(3, &[(Role::Publisher, Some("qq_group"))]);
        assert_eq!(may_correct(&published, &elsewhere), Err(Refusal::NotFound));
        let reviewer = actor(4, &[(Role::Review1, None)]);
        assert!(matches!(
            may_correct(&published, &reviewer),
            Err(Refusal::Forbidden(_))
        ));
        for status in [Status::Publishable, Status::Retracted, Status::Corrected] {
            assert_eq!(
                may_correct(&original(status), &actor(1, &[])),
                Err(Refusal::InvalidTransition { status })
            );
        }
    }

    #[test]
    fn a_correction_is_never_of_a_lower_tier() {
        use RiskLevel::*;
        assert_eq!(correction_risk(Important, None), Some(Important));
        assert_eq!(correction_risk(Important, Some(Sensitive)), Some(Sensitive));
        assert_eq!(correction_risk(Important, Some(Normal)), None);
        assert_eq!(correction_risk(Normal, Some(Normal)), Some(Normal));
    }
}
