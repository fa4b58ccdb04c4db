//! One test per rule of SPEC §2, and a property over random action sequences.

use super::*;
use crate::domain::vocabulary::{Check, Decision, Role, Stage, Status};

const HASH: &str = "aaaa";

fn actor(roles: &[Role]) -> Actor {
    Actor {
        user_id: Uuid::new_v4(),
        disabled: false,
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

fn draft(author: &Actor, status: Status, stage: Option<Stage>) -> DraftFacts {
    DraftFacts {
        status,
        author_id: author.user_id,
        channel: "portal".into(),
        department_id: None,
        current_stage: stage,
        workflow: Workflow {
            version: 1,
            stages: Stage::DEFAULT_ORDER,
        },
        content_hash: HASH.into(),
        round: 1,
        signatures: vec![],
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
    d.workflow.stages = [
        Stage::Proofread1,
        Stage::Review1,
        Stage::Proofread2,
        Stage::Review2,
        Stage::Proofread3,
        Stage::Review3,
    ];
    assert_eq!(
        decide(&d, &author, &Action::Submit { content_hash: HASH }),
        Ok(Effect::Submit {
            first_stage: Stage::Proofread1
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
            next: Some(Stage::Proofread1)
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
            current: Some(Stage::Review1)
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
    d.signatures = vec![Signature {
        stage: Stage::Review1,
        signer_id: both.user_id,
        decision: Decision::Approve,
        round: 1,
    }];
    assert_eq!(
        decide(&d, &both, &approve(Stage::Review2))
            .unwrap_err()
            .code(),
        "separation_of_duties"
    );
    // A review and a proofread by one person is allowed.
    d.current_stage = Some(Stage::Proofread1);
    assert!(decide(&d, &both, &approve(Stage::Proofread1)).is_ok());
    // Signatures of an earlier round of the same revision still count.
    d.current_stage = Some(Stage::Review2);
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
            next: None
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
    let mut out_of_order = good;
    out_of_order.signatures.swap(0, 1);
    assert!(!is_publishable(&out_of_order));
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
    d.signatures = vec![Signature {
        stage: Stage::Review1,
        signer_id: both.user_id,
        decision: Decision::Approve,
        round: 1,
    }];
    assert!(!can_sign_now(&d, &both));
    assert!(!can_sign_now(&draft(&author, Status::Draft, None), &both));
}

mod property {
    use proptest::prelude::*;

    use super::*;

    /// Applies an effect the way the use-case layer stores it.
    fn apply(d: &mut DraftFacts, actor: &Actor, effect: &Effect, new_hash: &str) {
        match *effect {
            Effect::NewRevision => {
                d.content_hash = new_hash.into();
                d.signatures.clear();
            }
            Effect::Submit { first_stage } => {
                d.round += 1;
                d.current_stage = Some(first_stage);
            }
            Effect::Approve { stage, next } => {
                d.signatures.push(Signature {
                    stage,
                    signer_id: actor.user_id,
                    decision: Decision::Approve,
                    round: d.round,
                });
                d.current_stage = next;
            }
            Effect::Return { stage } => {
                d.signatures.push(Signature {
                    stage,
                    signer_id: actor.user_id,
                    decision: Decision::Return,
                    round: d.round,
                });
                d.current_stage = None;
            }
            _ => {}
        }
        if let Some(status) = effect.to_status() {
            d.status = status;
            if status != Status::InReview {
                d.current_stage = None;
            }
        }
    }

    fn people() -> Vec<Actor> {
        let mut all = vec![actor(&[Role::Editor])];
        // Several holders of each signing role, some holding two of a kind,
        // one holding everything, and a publisher.
        for roles in [
            vec![Role::Review1],
            vec![Role::Review2],
            vec![Role::Review3],
            vec![Role::Proofread1],
            vec![Role::Proofread2],
            vec![Role::Proofread3],
            vec![Role::Review1, Role::Review2, Role::Review3],
            vec![Role::Proofread1, Role::Proofread2, Role::Proofread3],
            vec![
                Role::Review1,
                Role::Proofread1,
                Role::Review2,
                Role::Proofread2,
                Role::Review3,
                Role::Proofread3,
                Role::Publisher,
            ],
            vec![Role::Publisher],
        ] {
            all.push(actor(&roles));
        }
        all
    }

    type Step = (usize, usize, usize, u8, bool);

    /// Biased towards progress (the current stage, the current hash, all
    /// checks) so that runs do reach publishable, with noise throughout.
    fn steps() -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(
            (
                0usize..11,
                0usize..20,
                0usize..10,
                0u8..5,
                prop::bool::weighted(0.8),
            ),
            1..300,
        )
    }

    /// Runs one sequence; returns whether it reached publishable. Fails if
    /// publishable is ever reached without six valid approvals.
    fn run(steps: Vec<Step>) -> Result<bool, TestCaseError> {
        let people = people();
        let author = people[0].clone();
        let mut d = draft(&author, Status::Draft, None);
        d.round = 0;
        let mut reached = false;
        for (n, (who, what, stage_i, fresh, all_checks)) in steps.into_iter().enumerate() {
            let actor = &people[who];
            let stage = Stage::ALL
                .get(stage_i)
                .copied()
                .or(d.current_stage)
                .unwrap_or(Stage::Review1);
            let hash = if fresh > 0 {
                d.content_hash.clone()
            } else {
                "stale".to_string()
            };
            let checks: &[Check] = if all_checks {
                &Check::ALL
            } else {
                &Check::ALL[..3]
            };
            let action = match what {
                0 => Action::Edit,
                1 | 2 => Action::Submit {
                    content_hash: &hash,
                },
                3..=13 => Action::Approve {
                    stage,
                    content_hash: &hash,
                    checks,
                },
                14 => Action::Return {
                    stage,
                    content_hash: &hash,
                },
                15 => Action::Withdraw,
                16 | 17 => Action::Publish {
                    content_hash: &hash,
                },
                _ => Action::Retract,
            };
            if let Ok(effect) = decide(&d, actor, &action) {
                apply(&mut d, actor, &effect, &format!("rev{n}"));
            }
            if matches!(d.status, Status::Publishable | Status::Published) {
                reached = true;
                prop_assert!(
                    is_publishable(&d),
                    "reached {:?} without six valid approvals: {:?}",
                    d.status,
                    d.signatures
                );
            }
        }
        Ok(reached)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn publishable_only_with_six_valid_approvals_on_one_hash(steps in steps()) {
            run(steps)?;
        }
    }

    /// Guards the property above against vacuity: the generator must reach
    /// publishable in a fair share of runs.
    #[test]
    fn the_random_runs_do_reach_publishable() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = steps();
        let reached = (0..300)
            .filter(|_| run(strategy.new_tree(&mut runner).unwrap().current()).unwrap())
            .count();
        assert!(
            reached >= 15,
            "only {reached} of 300 runs reached publishable"
        );
    }
}
