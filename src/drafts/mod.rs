//! Draft use-cases: the actions of SPEC §2 and the reads of SPEC §3.

pub mod actions;
pub mod approval_rows;
pub mod authoring;
pub mod check_report;
pub mod comments;
pub mod corrections;
pub mod deadlines;
pub mod facts;
pub mod reads;
pub mod risk;
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
            Refusal::StageMismatch { open } => ApiError::StageMismatch(if open.is_empty() {
                "the draft is at no stage".into()
            } else {
                format!(
                    "the open stages are {}",
                    open.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
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
            Refusal::ReasonRequired => {
                ApiError::validation("reason", "raising the tier during review needs a reason")
            }
            Refusal::RiskLowering { from } => ApiError::RiskLowering(format!(
                "the draft is {} and in review: a tier may be raised then, never lowered",
                from.as_str()
            )),
        }
    }
}
