//! Machine check use-cases (机审, SPEC §6): lexicon administration, the
//! pre-flight check, and the two hooks of the workflow: the gate on submit
//! and the acknowledgement rule on approve.

pub mod gate;
pub mod lexicons;
mod memory;
pub mod run;

pub use gate::{gate_on_submit, in_first_step, require_acknowledged, stored_report};
pub use run::preflight;
