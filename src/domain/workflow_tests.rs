//! One test per rule of SPEC §2 and §5; the property over random routes
//! and histories is in `workflow_property_tests.rs`.

use uuid::Uuid;

use super::*;
use crate::domain::route::{Route, Routes, Step};
use crate::domain::vocabulary::{Check, Decision, RiskLevel, Role, Stage, Status};

const HASH: &str = "aaaa";

fn actor(roles: &[Role]) -> Actor {
    Actor {
        user_id: Uuid::new_v4(),
        disabled: false,
        principals: Vec::new(),
        grants: roles
            .iter()
            .map(|r| Grant {
                role: *r,
                channel: None,
                department_id: None,
            })
            .collect(),
    }
}

/// A draft on the default routes; in review at `stage`, the stages before
/// it approved in this round by people nobody else in the test is.
fn draft(author: &Actor, status: Status, stage: Option<Stage>) -> DraftFacts {
    let mut d = DraftFacts {
        status,
        author_id: author.user_id,
        channel: "portal".into(),
        department_id: None,
        risk: RiskLevel::Normal,
        workflow: Workflow {
            version: 1,
            routes: Routes::seeded(Stage::DEFAULT_ORDER),
        },
        content_hash: HASH.into(),
        round: 1,
        signatures: vec![],
    };
    if let Some(stage) = stage {
        d.signatures = before(stage);
    }
    d
}

/// Approvals of round 1 of every default-order stage before `stage`.
fn before(stage: Stage) -> Vec<Signature> {
    Stage::DEFAULT_ORDER
        .iter()
        .take_while(|s| **s != stage)
        .map(|s| Signature {
            stage: *s,
            signer_id: Uuid::new_v4(),
            decision: Decision::Approve,
            round: 1,
            on_behalf_of: None,
        })
        .collect()
}

fn at(step: usize, open: &[Stage]) -> Standing {
    Standing::At {
        step,
        open: open.to_vec(),
    }
}

fn approve(stage: Stage) -> Action<'static> {
    Action::Approve {
        stage,
        content_hash: HASH,
        checks: &Check::ALL,
    }
}

#[test]
fn only_the_author_edits_and_only_while_draft_or_returned() {
    let author = actor(&[Role::Editor]);
    let other = actor(&[Role::Editor, Role::Review1]);
    assert_eq!(
        decide(&draft(&author, Status::Draft, None), &author, &Action::Edit),
        Ok(Effect::NewRevision)
    );
    assert_eq!(
        decide(
            &draft(&author, Status::Returned, None),
            &author,
            &Action::Edit
        ),
        Ok(Effect::NewRevision)
    );
    assert_eq!(
        decide(&draft(&author, Status::Draft, None), &other, &Action::Edit)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    for status in [
        Status::InReview,
        Status::Publishable,
        Status::Published,
        Status::Withdrawn,
        Status::Retracted,
    ] {
        let stage = (status == Status::InReview).then_some(Stage::Review1);
        assert_eq!(
            decide(&draft(&author, status, stage), &author, &Action::Edit)
                .unwrap_err()
                .code(),
            "invalid_transition"
        );
    }
}

#[test]
fn submit_names_the_current_content_and_starts_at_the_first_stage() {
    let author = actor(&[Role::Editor]);
    let mut d = draft(&author, Status::Draft, None);
    d.workflow.routes = Routes::uniform([
        Stage::Proofread1,
        Stage::Review1,
        Stage::Proofread2,
        Stage::Review2,
        Stage::Proofread3,
        Stage::Review3,
    ]);
    assert_eq!(
        decide(&d, &author, &Action::Submit { content_hash: HASH }),
        Ok(Effect::Submit {
            next: at(0, &[Stage::Proofread1])
        })
    );
    assert_eq!(
        decide(
            &d,
            &author,
            &Action::Submit {
                content_hash: "bbbb"
            }
        ),
        Err(Refusal::StaleContent)
    );
}

#[test]
fn approval_needs_an_eligible_signer_of_the_current_stage() {
    let author = actor(&[Role::Editor]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    let r1 = actor(&[Role::Review1]);
    let r2 = actor(&[Role::Review2]);
    assert_eq!(
        decide(&d, &r1, &approve(Stage::Review1)),
        Ok(Effect::Approve {
            stage: Stage::Review1,
            next: at(1, &[Stage::Proofread1]),
            on_behalf_of: None,
        })
    );
    assert_eq!(
        decide(&d, &r2, &approve(Stage::Review1))
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        decide(&d, &r2, &approve(Stage::Review2)),
        Err(Refusal::StageMismatch {
            open: vec![Stage::Review1]
        })
    );
}

#[test]
fn scopes_limit_eligibility_and_sight() {
    let author = actor(&[Role::Editor]);
    let dept = Uuid::new_v4();
    let mut d = draft(&author, Status::InReview, Some(Stage::Review1));
    d.department_id = Some(dept);
    let scoped = |channel: Option<&str>, department: Option<Uuid>| Actor {
        user_id: Uuid::new_v4(),
        disabled: false,
        principals: Vec::new(),
        grants: vec![Grant {
            role: Role::Review1,
            channel: channel.map(String::from),
            department_id: department,
        }],
    };
    assert!(eligible_signer(
        &scoped(Some("portal"), Some(dept)),
        Stage::Review1,
        &d
    ));
    assert!(eligible_signer(
        &scoped(None, Some(dept)),
        Stage::Review1,
        &d
    ));
    assert!(!eligible_signer(
        &scoped(Some("qq_group"), None),
        Stage::Review1,
        &d
    ));
    assert!(!eligible_signer(
        &scoped(None, Some(Uuid::new_v4())),
        Stage::Review1,
        &d
    ));
    assert_eq!(
        decide(
            &d,
            &scoped(Some("qq_group"), None),
            &approve(Stage::Review1)
        ),
        Err(Refusal::NotFound)
    );
}

#[test]
fn a_disabled_signer_is_not_eligible() {
    let author = actor(&[Role::Editor]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    let mut r1 = actor(&[Role::Review1]);
    r1.disabled = true;
    assert!(!eligible_signer(&r1, Stage::Review1, &d));
}

#[test]
fn the_author_signs_no_stage_of_their_own_draft() {
    let author = actor(&[Role::Editor, Role::Review1]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    assert_eq!(
        decide(&d, &author, &approve(Stage::Review1))
            .unwrap_err()
            .code(),
        "separation_of_duties"
    );
    assert_eq!(
        decide(
            &d,
            &author,
            &Action::Return {
                stage: Stage::Review1,
                content_hash: HASH
            }
        )
        .unwrap_err()
        .code(),
        "separation_of_duties"
    );
}

#[test]
fn nobody_signs_two_stages_of_one_kind_of_one_revision() {
    let author = actor(&[Role::Editor]);
    let both = actor(&[Role::Review1, Role::Review2, Role::Proofread1]);
    let mut d = draft(&author, Status::InReview, Some(Stage::Review2));
    d.signatures[0].signer_id = both.user_id;
    assert_eq!(
        decide(&d, &both, &approve(Stage::Review2))
            .unwrap_err()
            .code(),
        "separation_of_duties"
    );
    // A review and a proofread by one person is allowed.
    d.signatures.pop();
    assert!(decide(&d, &both, &approve(Stage::Proofread1)).is_ok());
    // Signatures of an earlier round of the same revision still count.
    let mut d = draft(&author, Status::InReview, Some(Stage::Review2));
    for s in &mut d.signatures {
        s.round = 2;
    }
    d.signatures.push(Signature {
        stage: Stage::Review1,
        signer_id: both.user_id,
        decision: Decision::Approve,
        round: 1,
        on_behalf_of: None,
    });
    d.round = 2;
    assert_eq!(
        decide(&d, &both, &approve(Stage::Review2))
            .unwrap_err()
            .code(),
        "separation_of_duties"
    );
}

#[test]
fn an_approval_must_name_the_current_content_hash() {
    let author = actor(&[Role::Editor]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    let r1 = actor(&[Role::Review1]);
    let stale = Action::Approve {
        stage: Stage::Review1,
        content_hash: "bbbb",
        checks: &Check::ALL,
    };
    assert_eq!(decide(&d, &r1, &stale), Err(Refusal::StaleContent));
    let stale = Action::Return {
        stage: Stage::Review1,
        content_hash: "bbbb",
    };
    assert_eq!(decide(&d, &r1, &stale), Err(Refusal::StaleContent));
}

#[test]
fn a_review_approval_attests_all_six_checks_and_a_proofread_none() {
    let author = actor(&[Role::Editor]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    let r1 = actor(&[Role::Review1]);
    let five = [
        Check::Political,
        Check::Legal,
        Check::Policy,
        Check::Secrecy,
        Check::Language,
    ];
    let partial = Action::Approve {
        stage: Stage::Review1,
        content_hash: HASH,
        checks: &five,
    };
    assert_eq!(
        decide(&d, &r1, &partial),
        Err(Refusal::ChecksMissing(vec![Check::PublicOpinion]))
    );
    let p1 = actor(&[Role::Proofread1]);
    let d = draft(&author, Status::InReview, Some(Stage::Proofread1));
    let none = Action::Approve {
        stage: Stage::Proofread1,
        content_hash: HASH,
        checks: &[],
    };
    assert!(decide(&d, &p1, &none).is_ok());
}

#[test]
fn the_last_approval_makes_it_publishable() {
    let author = actor(&[Role::Editor]);
    let p3 = actor(&[Role::Proofread3]);
    let d = draft(&author, Status::InReview, Some(Stage::Proofread3));
    let effect = decide(&d, &p3, &approve(Stage::Proofread3)).unwrap();
    assert_eq!(
        effect,
        Effect::Approve {
            stage: Stage::Proofread3,
            next: Standing::Complete,
            on_behalf_of: None,
        }
    );
    assert_eq!(effect.to_status(), Some(Status::Publishable));
}

#[test]
fn return_needs_the_current_stage_and_sends_it_back() {
    let author = actor(&[Role::Editor]);
    let r1 = actor(&[Role::Review1]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    let effect = decide(
        &d,
        &r1,
        &Action::Return {
            stage: Stage::Review1,
            content_hash: HASH,
        },
    )
    .unwrap();
    assert_eq!(effect.to_status(), Some(Status::Returned));
    let d = draft(&author, Status::Draft, None);
    assert_eq!(
        decide(
            &d,
            &r1,
            &Action::Return {
                stage: Stage::Review1,
                content_hash: HASH
            }
        )
        .unwrap_err()
        .code(),
        "invalid_transition"
    );
}

#[test]
fn withdraw_is_the_authors_and_final() {
    let author = actor(&[Role::Editor]);
    for status in [
        Status::Draft,
        Status::InReview,
        Status::Returned,
        Status::Publishable,
    ] {
        assert_eq!(
            decide(&draft(&author, status, None), &author, &Action::Withdraw),
            Ok(Effect::Withdraw)
        );
    }
    for status in [Status::Published, Status::Withdrawn, Status::Retracted] {
        assert_eq!(
            decide(&draft(&author, status, None), &author, &Action::Withdraw)
                .unwrap_err()
                .code(),
            "invalid_transition"
        );
    }
    let r1 = actor(&[Role::Review1]);
    assert_eq!(
        decide(&draft(&author, Status::Draft, None), &r1, &Action::Withdraw)
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

fn fully_signed(author: &Actor) -> DraftFacts {
    let mut d = draft(author, Status::Publishable, None);
    d.signatures = Stage::DEFAULT_ORDER
        .iter()
        .map(|s| Signature {
            stage: *s,
            signer_id: Uuid::new_v4(),
            decision: Decision::Approve,
            round: 1,
            on_behalf_of: None,
        })
        .collect();
    d
}

#[test]
fn publish_needs_the_channels_publisher_and_a_publishable_draft() {
    let author = actor(&[Role::Editor]);
    let d = fully_signed(&author);
    let publisher = actor(&[Role::Publisher]);
    assert_eq!(
        decide(&d, &publisher, &Action::Publish { content_hash: HASH }),
        Ok(Effect::Publish)
    );
    assert_eq!(
        decide(
            &d,
            &publisher,
            &Action::Publish {
                content_hash: "bbbb"
            }
        ),
        Err(Refusal::StaleContent)
    );
    let elsewhere = Actor {
        user_id: Uuid::new_v4(),
        disabled: false,
        principals: Vec::new(),
        grants: vec![Grant {
            role: Role::Publisher,
            channel: Some("wechat_official".into()),
            department_id: None,
        }],
    };
    assert_eq!(
        decide(&d, &elsewhere, &Action::Publish { content_hash: HASH }),
        Err(Refusal::NotFound)
    );
    let mut d = d;
    d.status = Status::Published;
    assert_eq!(
        decide(&d, &publisher, &Action::Retract),
        Ok(Effect::Retract)
    );
    assert_eq!(
        decide(&d, &publisher, &Action::Publish { content_hash: HASH })
            .unwrap_err()
            .code(),
        "invalid_transition"
    );
}

#[test]
fn publishable_means_six_ordered_separate_approvals_in_this_round() {
    let author = actor(&[Role::Editor]);
    let good = fully_signed(&author);
    assert!(is_publishable(&good));
    let mut old_round = good.clone();
    old_round.round = 2;
    assert!(!is_publishable(&old_round));
    let mut same_reviewer = good.clone();
    same_reviewer.signatures[2].signer_id = same_reviewer.signatures[0].signer_id;
    assert!(!is_publishable(&same_reviewer));
    let mut by_author = good.clone();
    by_author.signatures[5].signer_id = author.user_id;
    assert!(!is_publishable(&by_author));
    // SPEC §5: the route's quorums, not the order of signing (approvals
    // carried over by an escalation may precede their step).
    let mut out_of_order = good.clone();
    out_of_order.signatures.swap(0, 1);
    assert!(is_publishable(&out_of_order));
    let mut short = good;
    short.signatures.pop();
    assert!(!is_publishable(&short));
}

#[test]
fn admins_see_nothing_and_auditors_see_all_but_comment_on_nothing() {
    let author = actor(&[Role::Editor]);
    let d = draft(&author, Status::InReview, Some(Stage::Review1));
    assert_eq!(
        decide(&d, &actor(&[Role::Admin]), &Action::View),
        Err(Refusal::NotFound)
    );
    let auditor = actor(&[Role::Auditor]);
    assert_eq!(decide(&d, &auditor, &Action::View), Ok(Effect::Visible));
    assert_eq!(
        decide(&d, &auditor, &Action::Comment).unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(
        decide(&d, &auditor, &approve(Stage::Review1))
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        decide(&d, &actor(&[Role::Review2]), &Action::Comment),
        Ok(Effect::Comment)
    );
}

#[test]
fn tasks_apply_eligibility_and_separation() {
    let author = actor(&[Role::Editor]);
    let both = actor(&[Role::Review1, Role::Review2]);
    let mut d = draft(&author, Status::InReview, Some(Stage::Review2));
    assert!(can_sign_now(&d, &both));
    d.signatures[0].signer_id = both.user_id;
    assert!(!can_sign_now(&d, &both));
    assert!(!can_sign_now(&draft(&author, Status::Draft, None), &both));
}

#[path = "workflow_property_tests.rs"]
mod property;
