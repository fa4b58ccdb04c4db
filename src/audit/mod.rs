//! The audit trail: the hash chain (pure), appending inside transactions.

pub mod append;
pub mod chain;
pub mod cli;

pub use append::{NewEvent, Origin, append};
