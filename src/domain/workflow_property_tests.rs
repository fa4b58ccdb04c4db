//! `decide` over random valid routes (random order, parallel steps,
//! quorums, tiers) and random histories (escalations at random points),
//! held against a simple model; invariants 1 and 3 of SPEC §5 checked after
//! every step of every history.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

/// Random routes: each tier a random order of the six cut into steps of
/// one to three stages, quorum 1–3; `leader` last on some tiers.
fn route() -> impl Strategy<Value = Route> {
    (
        Just(Stage::SIX.to_vec()).prop_shuffle(),
        prop::collection::vec(1usize..4, 6),
        prop::collection::vec(
            prop_oneof![4 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8)],
            7,
        ),
        any::<bool>(),
    )
        .prop_map(|(order, cuts, quorums, leader)| {
            let mut steps = Vec::new();
            let mut rest = &order[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = cuts[i].min(rest.len());
                steps.push(Step {
                    stages: rest[..n].to_vec(),
                    quorum: quorums[i],
                    due_hours: None,
                });
                rest = &rest[n..];
                i += 1;
            }
            if leader {
                // In the last step: alone, or beside its stages.
                if quorums[6] == 1 {
                    steps.push(Step::single(Stage::Leader));
                } else if let Some(last) = steps.last_mut() {
                    last.stages.push(Stage::Leader);
                }
            }
            Route { steps }
        })
}

fn routes() -> impl Strategy<Value = Routes> {
    (route(), route(), route()).prop_map(|(normal, important, sensitive)| Routes {
        normal,
        important,
        sensitive,
    })
}

/// The author, three holders of each stage, two who hold a whole kind, one
/// who holds everything (the separation rules bite them).
fn people() -> Vec<Actor> {
    let mut all = vec![actor(&[Role::Editor])];
    for stage in Stage::ALL {
        for _ in 0..3 {
            all.push(actor(&[Role::for_stage(stage)]));
        }
    }
    all.push(actor(&[Role::Review1, Role::Review2, Role::Review3]));
    all.push(actor(&[
        Role::Proofread1,
        Role::Proofread2,
        Role::Proofread3,
    ]));
    all.push(actor(&Role::ALL[4..]));
    all
}

/// The model: the rules of SPEC §5 written as plainly as possible.
#[derive(Debug, Clone, Default)]
struct Model {
    /// Every sign-off of the current revision: (stage, person, round).
    signs: Vec<(Stage, usize, i32)>,
}

impl Model {
    fn approvals(&self, d: &DraftFacts, people: &[Actor]) -> BTreeMap<Stage, BTreeSet<usize>> {
        let mut by_stage: BTreeMap<Stage, BTreeSet<usize>> = BTreeMap::new();
        for s in &d.signatures {
            if s.round == d.round && s.decision == Decision::Approve {
                let who = people.iter().position(|p| p.user_id == s.signer_id);
                by_stage
                    .entry(s.stage)
                    .or_default()
                    .insert(who.unwrap_or(99));
            }
        }
        by_stage
    }

    /// The open stages: of the first step some stage of which lacks quorum.
    fn open(&self, d: &DraftFacts, route: &Route, people: &[Actor]) -> Vec<Stage> {
        if d.status != Status::InReview {
            return vec![];
        }
        let got = self.approvals(d, people);
        for step in &route.steps {
            let short: Vec<Stage> = step
                .stages
                .iter()
                .copied()
                .filter(|s| got.get(s).map_or(0, BTreeSet::len) < usize::from(step.quorum))
                .collect();
            if !short.is_empty() {
                return short;
            }
        }
        vec![]
    }

    fn may_sign(&self, d: &DraftFacts, who: usize, people: &[Actor], stage: Stage) -> bool {
        let me = &people[who];
        let kind_clash = |a: Stage, b: Stage| {
            a != b
                && (matches!((a.kind(), b.kind()), (StageKind::Review, StageKind::Review))
                    || matches!(
                        (a.kind(), b.kind()),
                        (StageKind::Proofread, StageKind::Proofread)
                    )
                    || a == Stage::Leader
                    || b == Stage::Leader)
        };
        me.grants.iter().any(|g| g.role == Role::for_stage(stage))
            && me.user_id != d.author_id
            && self.open(d, d.route(), people).contains(&stage)
            && !self.signs.iter().any(|(s, p, r)| {
                *p == who && (kind_clash(*s, stage) || (*s == stage && *r == d.round))
            })
    }
}

/// Invariants 1 and 3 of SPEC §5 on the facts as they stand.
fn invariants(d: &DraftFacts, m: &Model, people: &[Actor]) -> Result<(), TestCaseError> {
    if matches!(d.status, Status::Publishable | Status::Published) {
        let got = m.approvals(d, people);
        for step in &d.route().steps {
            for stage in &step.stages {
                prop_assert!(
                    got.get(stage).map_or(0, BTreeSet::len) >= usize::from(step.quorum),
                    "publishable with {stage:?} short of quorum"
                );
            }
        }
        prop_assert!(is_publishable(d));
    }
    for (i, (a, p, r)) in m.signs.iter().enumerate() {
        prop_assert!(*p != 0, "the author signed");
        for (b, q, s) in &m.signs[i + 1..] {
            if p == q {
                prop_assert!(!a.excludes(*b), "{p} signed {a:?} and {b:?}");
                prop_assert!(a != b || r != s, "{p} signed {a:?} twice in round {r}");
            }
        }
    }
    Ok(())
}

type Move = (usize, usize, usize, u8, u8);

fn moves() -> impl Strategy<Value = Vec<Move>> {
    prop::collection::vec((0usize..25, 0usize..24, 0usize..7, 0u8..8, 0u8..3), 1..250)
}

/// One history; returns whether it reached publishable on a route with a
/// quorum above one.
fn run(routes: Routes, moves: Vec<Move>) -> Result<bool, TestCaseError> {
    let people = people();
    let mut d = draft(&people[0], Status::Draft, None);
    d.workflow.routes = routes;
    d.round = 0;
    let mut m = Model::default();
    let mut reached = false;
    for (n, (who, what, stage_i, fresh, tier)) in moves.into_iter().enumerate() {
        let open = m.open(&d, d.route(), &people);
        // Mostly an open stage and one of its holders, so that histories move.
        let stage = if stage_i < 4 && !open.is_empty() {
            open[stage_i % open.len()]
        } else {
            Stage::ALL[stage_i]
        };
        let who = if who < 18 && (3..=16).contains(&what) {
            let s = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
            1 + s * 3 + who % 3
        } else {
            who % people.len()
        };
        let actor = &people[who];
        let hash = if fresh > 0 {
            d.content_hash.clone()
        } else {
            "stale".into()
        };
        let to = RiskLevel::ALL[usize::from(tier)];
        let action = match what {
            0 => Action::Edit,
            1 | 2 => Action::Submit {
                content_hash: &hash,
            },
            3..=16 => Action::Approve {
                stage,
                content_hash: &hash,
                checks: &Check::ALL,
            },
            17 => Action::Return {
                stage,
                content_hash: &hash,
            },
            18 | 19 => Action::SetRisk {
                to,
                reason: fresh > 1,
            },
            20 | 21 => Action::Publish {
                content_hash: &hash,
            },
            22 if fresh == 0 => Action::Withdraw,
            _ => Action::View,
        };
        let result = decide(&d, actor, &action);
        // The model's answer for the signing actions.
        if let Action::Approve {
            stage,
            content_hash,
            ..
        }
        | Action::Return {
            stage,
            content_hash,
        } = action
        {
            let model = m.may_sign(&d, who, &people, stage) && content_hash == d.content_hash;
            prop_assert_eq!(
                result.is_ok(),
                model,
                "{:?} by {} on {:?}: {:?}",
                action,
                who,
                d,
                result
            );
        }
        if let Action::SetRisk { to, reason } = action {
            let model = match d.status {
                Status::Draft | Status::Returned => who == 0,
                Status::InReview => {
                    open.iter()
                        .any(|s| actor.grants.iter().any(|g| g.role == Role::for_stage(*s)))
                        && to >= d.risk
                        && (reason || to == d.risk)
                }
                _ => false,
            };
            prop_assert_eq!(
                result.is_ok(),
                model,
                "{:?} by {}: {:?}",
                action,
                who,
                result
            );
        }
        if let Ok(effect) = result {
            apply(&mut d, &mut m, who, actor, &effect, &format!("rev{n}"));
            // Where the rules say the draft stands is where the model does.
            prop_assert_eq!(d.current_stages(), m.open(&d, d.route(), &people));
        }
        invariants(&d, &m, &people)?;
        if d.status == Status::Publishable && d.route().steps.iter().any(|s| s.quorum > 1) {
            reached = true;
        }
    }
    Ok(reached)
}

/// Stores an effect the way the use-case layer does.
fn apply(
    d: &mut DraftFacts,
    m: &mut Model,
    who: usize,
    actor: &Actor,
    effect: &Effect,
    new_hash: &str,
) {
    match effect {
        Effect::NewRevision => {
            d.content_hash = new_hash.into();
            d.signatures.clear();
            m.signs.clear();
        }
        Effect::Submit { .. } => d.round += 1,
        Effect::Approve { stage, .. } | Effect::Return { stage, .. } => {
            let decision = if matches!(effect, Effect::Return { .. }) {
                Decision::Return
            } else {
                Decision::Approve
            };
            d.signatures.push(Signature {
                stage: *stage,
                signer_id: actor.user_id,
                decision,
                round: d.round,
                on_behalf_of: None,
            });
            m.signs.push((*stage, who, d.round));
        }
        Effect::SetRisk { to, .. } => d.risk = *to,
        _ => {}
    }
    if let Some(status) = effect.to_status() {
        d.status = status;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn decide_agrees_with_the_model_and_keeps_invariants_1_and_3(r in routes(), m in moves()) {
        run(r, m)?;
    }
}

/// Guards the property against vacuity: co-signed routes must be completed
/// in a fair share of histories.
#[test]
fn the_random_histories_do_complete_cosigned_routes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (routes(), moves());
    let reached = (0..300)
        .filter(|_| {
            let (r, m) = strategy.new_tree(&mut runner).unwrap().current();
            run(r, m).unwrap()
        })
        .count();
    assert!(
        reached >= 15,
        "only {reached} of 300 histories completed a co-signed route"
    );
}
