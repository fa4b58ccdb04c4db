//! Routes of SPEC §5 (分级审核、会签): a workflow version holds one route
//! per risk tier; a route is an ordered list of steps; the stages of a step
//! are signed in any order, each by `quorum` distinct signers. Pure: the
//! shape, its validation, the seeded defaults, and where a draft stands.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::vocabulary::{RiskLevel, Stage};

/// The most signers one stage may require (会签 of up to five).
pub const MAX_QUORUM: u8 = 5;
/// A deadline longer than a year is a typing mistake, not a deadline.
pub const MAX_DUE_HOURS: u32 = 24 * 365;

/// One step: its stages open together and may be signed in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub stages: Vec<Stage>,
    /// Approvals by distinct eligible signers each stage of the step needs (1–5).
    #[schema(example = 1, minimum = 1, maximum = 5)]
    pub quorum: u8,
    /// Hours the step may stay open (stored; deadlines come with SPEC §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 24, minimum = 1, maximum = 8760)]
    pub due_hours: Option<u32>,
}

impl Step {
    pub fn single(stage: Stage) -> Step {
        Step {
            stages: vec![stage],
            quorum: 1,
            due_hours: None,
        }
    }
}

/// The ordered steps a draft of one tier climbs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Route {
    pub steps: Vec<Step>,
}

/// The three routes of a workflow version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Routes {
    // `Route` is transparent in JSON (a list of steps); utoipa does not
    // follow serde(transparent), so the documented type is said here.
    #[schema(value_type = Vec<Step>)]
    pub normal: Route,
    #[schema(value_type = Vec<Step>)]
    pub important: Route,
    #[schema(value_type = Vec<Step>)]
    pub sensitive: Route,
}

/// Where a draft in review stands on its route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The first step not complete (0-based) and its stages short of quorum.
    At { step: usize, open: Vec<Stage> },
    /// Every stage has its quorum: publishable.
    Complete,
}

impl Standing {
    pub fn open(&self) -> &[Stage] {
        match self {
            Standing::At { open, .. } => open,
            Standing::Complete => &[],
        }
    }

    pub fn step(&self) -> Option<usize> {
        match self {
            Standing::At { step, .. } => Some(*step),
            Standing::Complete => None,
        }
    }
}

impl Route {
    /// One step per stage, quorum 1: part one's chain.
    pub fn chain(order: &[Stage]) -> Route {
        Route {
            steps: order.iter().copied().map(Step::single).collect(),
        }
    }

    /// Every stage of the route, in route order.
    pub fn stages(&self) -> impl Iterator<Item = Stage> + '_ {
        self.steps.iter().flat_map(|s| s.stages.iter().copied())
    }

    pub fn quorum_of(&self, stage: Stage) -> Option<u8> {
        self.steps
            .iter()
            .find(|s| s.stages.contains(&stage))
            .map(|s| s.quorum)
    }

    /// Where a draft stands given the approvals of its current round on its
    /// current revision, as (stage, signer): the first step with a stage
    /// short of quorum. Distinct signers count, so a repeated signature
    /// (which the rules refuse anyway) cannot make a quorum.
    pub fn standing(&self, approvals: &[(Stage, Uuid)]) -> Standing {
        for (i, step) in self.steps.iter().enumerate() {
            let open: Vec<Stage> = step
                .stages
                .iter()
                .copied()
                .filter(|stage| count(approvals, *stage) < usize::from(step.quorum))
                .collect();
            if !open.is_empty() {
                return Standing::At { step: i, open };
            }
        }
        Standing::Complete
    }
}

/// Distinct signers of `stage` among `approvals`.
pub fn count(approvals: &[(Stage, Uuid)], stage: Stage) -> usize {
    let mut signers: Vec<Uuid> = approvals
        .iter()
        .filter(|(s, _)| *s == stage)
        .map(|(_, u)| *u)
        .collect();
    signers.sort_unstable();
    signers.dedup();
    signers.len()
}

impl Routes {
    /// The seeded default of SPEC §5 around an order of the six: `normal`
    /// the chain; `important` then `[leader]`; `sensitive` as important with
    /// `review_3` at quorum 2.
    pub fn seeded(order: [Stage; 6]) -> Routes {
        let normal = Route::chain(&order);
        let mut important = normal.clone();
        important.steps.push(Step::single(Stage::Leader));
        let mut sensitive = important.clone();
        for step in &mut sensitive.steps {
            if step.stages == [Stage::Review3] {
                step.quorum = 2;
            }
        }
        Routes {
            normal,
            important,
            sensitive,
        }
    }

    /// The old form `{"stages": […six…]}`: all three routes the same chain.
    pub fn uniform(order: [Stage; 6]) -> Routes {
        let chain = Route::chain(&order);
        Routes {
            normal: chain.clone(),
            important: chain.clone(),
            sensitive: chain,
        }
    }

    pub fn of(&self, risk: RiskLevel) -> &Route {
        match risk {
            RiskLevel::Normal => &self.normal,
            RiskLevel::Important => &self.important,
            RiskLevel::Sensitive => &self.sensitive,
        }
    }
}

/// A route as sent, before validation: names as text, numbers unchecked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    #[schema(value_type = Vec<Stage>, example = json!(["review_3"]))]
    pub stages: Vec<String>,
    /// 1–5, default 1.
    #[schema(example = 2, minimum = 1, maximum = 5)]
    #[serde(default, deserialize_with = "crate::domain::whole_number::optional")]
    pub quorum: Option<i64>,
    /// 1–8760 (a year).
    #[schema(example = 24, minimum = 1, maximum = 8760)]
    #[serde(default, deserialize_with = "crate::domain::whole_number::optional")]
    pub due_hours: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutesInput {
    pub normal: Vec<StepInput>,
    pub important: Vec<StepInput>,
    pub sensitive: Vec<StepInput>,
}

/// A rule a route breaks, naming the field (`routes.sensitive[4].quorum`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteProblem {
    pub field: String,
    pub message: String,
}

fn problem(field: String, message: impl Into<String>) -> RouteProblem {
    RouteProblem {
        field,
        message: message.into(),
    }
}

impl RoutesInput {
    /// The routes if every rule of SPEC §5 holds, else every problem.
    pub fn validate(&self) -> Result<Routes, Vec<RouteProblem>> {
        let mut problems = Vec::new();
        let normal = parse_route("normal", &self.normal, &mut problems);
        let important = parse_route("important", &self.important, &mut problems);
        let sensitive = parse_route("sensitive", &self.sensitive, &mut problems);
        if problems.is_empty() {
            Ok(Routes {
                normal,
                important,
                sensitive,
            })
        } else {
            Err(problems)
        }
    }
}

fn parse_route(tier: &str, steps: &[StepInput], problems: &mut Vec<RouteProblem>) -> Route {
    let at = format!("routes.{tier}");
    if steps.is_empty() {
        problems.push(problem(at, "must hold at least one step"));
        return Route { steps: Vec::new() };
    }
    let mut route = Route { steps: Vec::new() };
    for (i, input) in steps.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let mut stages = Vec::new();
        if input.stages.is_empty() {
            problems.push(problem(
                format!("{here}.stages"),
                "must name at least one stage",
            ));
        }
        for (j, name) in input.stages.iter().enumerate() {
            match Stage::parse(name) {
                None => problems.push(problem(
                    format!("{here}.stages[{j}]"),
                    "is not a stage name",
                )),
                Some(stage)
                    if route
                        .stages()
                        .chain(stages.iter().copied())
                        .any(|s| s == stage) =>
                {
                    problems.push(problem(
                        format!("{here}.stages[{j}]"),
                        format!("{} appears more than once in the route", stage.as_str()),
                    ))
                }
                Some(Stage::Leader) if i + 1 != steps.len() => problems.push(problem(
                    format!("{here}.stages[{j}]"),
                    "leader may only be in the last step",
                )),
                Some(stage) => stages.push(stage),
            }
        }
        let quorum = input.quorum.unwrap_or(1);
        if !(1..=i64::from(MAX_QUORUM)).contains(&quorum) {
            problems.push(problem(format!("{here}.quorum"), "must be 1–5"));
        }
        let due_hours = input.due_hours;
        if due_hours.is_some_and(|h| !(1..=i64::from(MAX_DUE_HOURS)).contains(&h)) {
            problems.push(problem(format!("{here}.due_hours"), "must be 1–8760"));
        }
        route.steps.push(Step {
            stages,
            quorum: u8::try_from(quorum).unwrap_or(1),
            due_hours: due_hours.and_then(|h| u32::try_from(h).ok()),
        });
    }
    for stage in Stage::SIX {
        if !route.stages().any(|s| s == stage) {
            problems.push(problem(
                at.clone(),
                format!("{} is missing", stage.as_str()),
            ));
        }
    }
    route
}

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
