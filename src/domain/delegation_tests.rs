//! Delegation (代签, SPEC §8) in the workflow rules: a deputy signs what the
//! principal could, within the principal's scopes, and the separation rules
//! bind both people at once.

use uuid::Uuid;

use crate::domain::route::Routes;
use crate::domain::vocabulary::{Check, Decision, RiskLevel, Role, Stage, Status};
use crate::domain::workflow::*;

const HASH: &str = "aaaa";

fn person(roles: &[Role], channel: Option<&str>) -> Actor {
    Actor {
        user_id: Uuid::new_v4(),
        disabled: false,
        grants: roles
            .iter()
            .map(|r| Grant {
                role: *r,
                channel: channel.map(String::from),
                department_id: None,
            })
            .collect(),
        principals: Vec::new(),
    }
}

fn delegated(mut deputy: Actor, principal: &Actor, stages: &[Stage]) -> Actor {
    deputy.principals.push(Principal {
        user_id: principal.user_id,
        disabled: principal.disabled,
        grants: principal.grants.clone(),
        stages: stages.to_vec(),
    });
    deputy
}

/// In review at `review_3`, the stages before it approved by others.
fn at_review_3(author: Uuid) -> DraftFacts {
    let signatures = [
        Stage::Review1,
        Stage::Proofread1,
        Stage::Review2,
        Stage::Proofread2,
    ]
    .into_iter()
    .map(|stage| Signature {
        stage,
        signer_id: Uuid::new_v4(),
        decision: Decision::Approve,
        round: 1,
        on_behalf_of: None,
    })
    .collect();
    DraftFacts {
        status: Status::InReview,
        author_id: author,
        channel: "portal".into(),
        department_id: None,
        risk: RiskLevel::Normal,
        workflow: Workflow {
            version: 1,
            routes: Routes::seeded(Stage::DEFAULT_ORDER),
        },
        content_hash: HASH.into(),
        round: 1,
        signatures,
    }
}

fn approve_review_3() -> Action<'static> {
    Action::Approve {
        stage: Stage::Review3,
        content_hash: HASH,
        checks: &Check::ALL,
    }
}

fn signed_by(d: &mut DraftFacts, who: Uuid, stage: Stage, on_behalf_of: Option<Uuid>) {
    d.signatures.push(Signature {
        stage,
        signer_id: who,
        decision: Decision::Approve,
        round: 1,
        on_behalf_of,
    });
}

#[test]
fn a_deputy_signs_the_delegated_stage_for_the_principal() {
    let leader = person(&[Role::Review3], None);
    let deputy = delegated(person(&[], None), &leader, &[Stage::Review3]);
    let d = at_review_3(Uuid::new_v4());
    assert!(can_view(&d, &deputy));
    assert!(can_sign_now(&d, &deputy));
    match decide(&d, &deputy, &approve_review_3()) {
        Ok(Effect::Approve { on_behalf_of, .. }) => assert_eq!(on_behalf_of, Some(leader.user_id)),
        other => panic!("{other:?}"),
    }
    let returned = decide(
        &d,
        &deputy,
        &Action::Return {
            stage: Stage::Review3,
            content_hash: HASH,
        },
    );
    assert_eq!(
        returned,
        Ok(Effect::Return {
            stage: Stage::Review3,
            on_behalf_of: Some(leader.user_id)
        })
    );
}

#[test]
fn own_grant_comes_first_and_nothing_beyond_the_delegation_or_its_scope() {
    let leader = person(&[Role::Review3], None);
    let d = at_review_3(Uuid::new_v4());
    // Holding review_3 oneself: signs as oneself.
    let both = delegated(person(&[Role::Review3], None), &leader, &[Stage::Review3]);
    assert!(matches!(
        decide(&d, &both, &approve_review_3()),
        Ok(Effect::Approve {
            on_behalf_of: None,
            ..
        })
    ));
    // A delegation of other stages gives nothing here.
    let other = delegated(person(&[], None), &leader, &[Stage::Proofread3]);
    assert_eq!(
        decide(&d, &other, &approve_review_3()).unwrap_err().code(),
        "not_found"
    );
    // The principal's scope binds the deputy: a grant for another channel.
    let elsewhere = person(&[Role::Review3], Some("wechat"));
    let scoped = delegated(
        person(&[Role::Publisher], None),
        &elsewhere,
        &[Stage::Review3],
    );
    assert_eq!(
        decide(&d, &scoped, &approve_review_3()).unwrap_err().code(),
        "forbidden"
    );
    assert!(!can_sign_now(&d, &scoped));
}

#[test]
fn separation_binds_the_deputy_and_the_principal_at_once() {
    let leader = person(&[Role::Review3], None);
    let deputy_actor = person(&[Role::Review1], None);
    let deputy = delegated(deputy_actor.clone(), &leader, &[Stage::Review3]);

    // The principal wrote the draft: nobody signs it for them.
    let d = at_review_3(leader.user_id);
    assert_eq!(
        decide(&d, &deputy, &approve_review_3()).unwrap_err().code(),
        "separation_of_duties"
    );
    // The deputy wrote it.
    let d = at_review_3(deputy.user_id);
    assert_eq!(
        decide(&d, &deputy, &approve_review_3()).unwrap_err().code(),
        "separation_of_duties"
    );
    // The deputy signed another review stage of this revision.
    let mut d = at_review_3(Uuid::new_v4());
    d.signatures[0].signer_id = deputy.user_id;
    assert_eq!(
        decide(&d, &deputy, &approve_review_3()).unwrap_err().code(),
        "separation_of_duties"
    );
    // The principal signed another review stage, themselves…
    let mut d = at_review_3(Uuid::new_v4());
    d.signatures[2].signer_id = leader.user_id;
    assert_eq!(
        decide(&d, &deputy, &approve_review_3()).unwrap_err().code(),
        "separation_of_duties"
    );
    // …or through someone signing for them.
    let mut d = at_review_3(Uuid::new_v4());
    d.signatures[2].on_behalf_of = Some(leader.user_id);
    assert_eq!(
        decide(&d, &deputy, &approve_review_3()).unwrap_err().code(),
        "separation_of_duties"
    );
    assert!(!can_sign_now(&d, &deputy));
    // The principal, once a deputy signed for them, signs no other review.
    let mut d = at_review_3(Uuid::new_v4());
    signed_by(&mut d, deputy.user_id, Stage::Review3, Some(leader.user_id));
    let principal_elsewhere = person(&[Role::Review3, Role::Review2], None);
    assert!(
        !d.signatures
            .last()
            .unwrap()
            .involves(principal_elsewhere.user_id)
    );
    assert!(d.signatures.last().unwrap().involves(leader.user_id));
}

/// `facts::judged` decides without the caller's delegations first and reads
/// them only on a refusal: sound only if delegations never turn an allowed
/// action into another answer. Over every role, stage and status mix.
mod delegations_only_widen {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::correction::may_correct;

    /// The members of `all` whose bit is set in `mask`.
    fn pick<T: Copy>(all: &[T], mask: u16) -> Vec<T> {
        all.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, x)| *x)
            .collect()
    }

    fn actions() -> Vec<Action<'static>> {
        let mut all = vec![
            Action::View,
            Action::Comment,
            Action::Edit,
            Action::Submit { content_hash: HASH },
            Action::Withdraw,
            Action::Publish { content_hash: HASH },
            Action::Retract,
        ];
        for stage in Stage::ALL {
            all.push(Action::Approve {
                stage,
                content_hash: HASH,
                checks: &Check::ALL,
            });
            all.push(Action::Return {
                stage,
                content_hash: HASH,
            });
        }
        for to in RiskLevel::ALL {
            all.push(Action::SetRisk { to, reason: true });
        }
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn an_allowed_action_is_the_same_with_delegations(
            own in any::<u16>(),
            theirs in any::<u16>(),
            delegated_stages in any::<u8>(),
            scoped in any::<bool>(),
            status in 0..Status::ALL.len(),
            risk in 0..RiskLevel::ALL.len(),
            signed_by_principal in any::<u8>(),
            deputy_disabled in any::<bool>(),
        ) {
            let author = Uuid::new_v4();
            let mut deputy = person(&pick(&Role::ALL, own), None);
            deputy.disabled = deputy_disabled;
            let principal = person(&pick(&Role::ALL, theirs), scoped.then_some("portal"));
            let mut draft = at_review_3(author);
            draft.status = Status::ALL[status];
            draft.risk = RiskLevel::ALL[risk];
            for (i, s) in draft.signatures.iter_mut().enumerate() {
                if signed_by_principal & (1 << i) != 0 {
                    s.signer_id = principal.user_id;
                }
            }
            let with = delegated(deputy.clone(), &principal, &pick(&Stage::ALL, delegated_stages.into()));
            for action in actions() {
                if let Ok(effect) = decide(&draft, &deputy, &action) {
                    prop_assert_eq!(decide(&draft, &with, &action), Ok(effect), "{:?}", action);
                }
            }
            if may_correct(&draft, &deputy).is_ok() {
                prop_assert!(may_correct(&draft, &with).is_ok());
            }
        }
    }
}
