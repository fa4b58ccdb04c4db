use super::*;

fn step(stages: &[&str], quorum: Option<i64>) -> StepInput {
    StepInput {
        stages: stages.iter().map(|s| s.to_string()).collect(),
        quorum,
        due_hours: None,
    }
}

fn six() -> Vec<StepInput> {
    Stage::SIX
        .iter()
        .map(|s| step(&[s.as_str()], None))
        .collect()
}

fn input(normal: Vec<StepInput>) -> RoutesInput {
    RoutesInput {
        normal,
        important: six(),
        sensitive: six(),
    }
}

fn fields(r: Result<Routes, Vec<RouteProblem>>) -> Vec<String> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.field)
        .collect()
}

#[test]
fn the_seeded_default_is_spec_5() {
    let r = Routes::seeded(Stage::DEFAULT_ORDER);
    assert_eq!(r.normal, Route::chain(&Stage::SIX));
    assert_eq!(r.important.steps.len(), 7);
    assert_eq!(r.important.steps[6], Step::single(Stage::Leader));
    assert_eq!(r.sensitive.quorum_of(Stage::Review3), Some(2));
    assert_eq!(r.sensitive.quorum_of(Stage::Review2), Some(1));
    assert_eq!(r.sensitive.steps.len(), 7);
}

#[test]
fn parallel_steps_quorum_and_due_hours_are_accepted() {
    let mut normal = vec![
        step(&["review_1", "proofread_1"], Some(2)),
        step(&["review_2", "proofread_2", "review_3"], None),
        step(&["proofread_3", "leader"], Some(5)),
    ];
    normal[0].due_hours = Some(24);
    let routes = input(normal).validate().unwrap();
    assert_eq!(routes.normal.steps[0].quorum, 2);
    assert_eq!(routes.normal.steps[0].due_hours, Some(24));
    assert_eq!(routes.normal.steps[1].quorum, 1);
}

#[test]
fn each_rule_names_its_step() {
    let cases: Vec<(Vec<StepInput>, &str)> = vec![
        (vec![], "routes.normal"),
        (
            {
                let mut s = six();
                s[2] = step(&["review_2", "review_9"], None);
                s
            },
            "routes.normal[2].stages[1]",
        ),
        (
            {
                let mut s = six();
                s[3].quorum = Some(6);
                s
            },
            "routes.normal[3].quorum",
        ),
        (
            {
                let mut s = six();
                s[1].quorum = Some(0);
                s
            },
            "routes.normal[1].quorum",
        ),
        (
            {
                let mut s = six();
                s[0].due_hours = Some(0);
                s
            },
            "routes.normal[0].due_hours",
        ),
        (
            {
                let mut s = six();
                s.insert(2, step(&["leader"], None));
                s
            },
            "routes.normal[2].stages[0]",
        ),
        (
            {
                let mut s = six();
                s.push(step(&["review_1"], None));
                s
            },
            "routes.normal[6].stages[0]",
        ),
        (
            {
                let mut s = six();
                s.push(step(&[], None));
                s
            },
            "routes.normal[6].stages",
        ),
        (
            {
                let mut s = six();
                s.pop();
                s
            },
            "routes.normal",
        ),
    ];
    for (normal, field) in cases {
        let got = fields(input(normal.clone()).validate());
        assert_eq!(got, vec![field.to_string()], "{normal:?}");
    }
}

#[test]
fn standing_follows_quorum_and_parallel_stages() {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let route = Route {
        steps: vec![
            Step {
                stages: vec![Stage::Review1, Stage::Proofread1],
                quorum: 2,
                due_hours: None,
            },
            Step::single(Stage::Leader),
        ],
    };
    assert_eq!(
        route.standing(&[]),
        Standing::At {
            step: 0,
            open: vec![Stage::Review1, Stage::Proofread1]
        }
    );
    // The same signer twice is one approval.
    let twice = [(Stage::Review1, a), (Stage::Review1, a)];
    assert_eq!(
        route.standing(&twice).open(),
        [Stage::Review1, Stage::Proofread1]
    );
    let r1 = [(Stage::Review1, a), (Stage::Review1, b)];
    assert_eq!(route.standing(&r1).open(), [Stage::Proofread1]);
    let all = [
        (Stage::Review1, a),
        (Stage::Review1, b),
        (Stage::Proofread1, a),
        (Stage::Proofread1, b),
    ];
    assert_eq!(route.standing(&all).step(), Some(1));
    let mut done = all.to_vec();
    done.push((Stage::Leader, Uuid::new_v4()));
    assert_eq!(route.standing(&done), Standing::Complete);
}
