//! Draft use-cases: the actions of SPEC §2 and the reads of SPEC §3.

pub mod actions;
pub mod comments;
pub mod corrections;
pub mod facts;
pub mod reads;
pub mod sheet;
pub mod sources;
pub mod views;

use crate::domain::workflow::Refusal;
use crate::error::{ApiError, FieldProblem};

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => ApiError::NotFound,
            Refusal::Forbidden(why) => ApiError::Forbidden(why.into()),
            Refusal::InvalidTransition { status } => ApiError::InvalidTransition(format!(
                "not allowed while the draft is {}",
                status.as_str()
            )),
            Refusal::StageMismatch { current } => ApiError::StageMismatch(match current {
                Some(stage) => format!("the current stage is {}", stage.as_str()),
                None => "the draft is at no stage".into(),
            }),
            Refusal::SeparationOfDuties(why) => ApiError::SeparationOfDuties(why.into()),
            Refusal::StaleContent => {
                ApiError::StaleContent("content_hash is not the current revision's".into())
            }
            Refusal::ChecksMissing(missing) => ApiError::Validation(vec![FieldProblem::new(
                "checks",
                format!(
                    "a review approval attests all six checks; missing: {}",
                    missing
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )]),
        }
    }
}
