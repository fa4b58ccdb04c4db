//! The audit trail: the hash chain (pure), appending inside transactions,
//! and the chainer that links what was appended.

pub mod access;
pub mod append;
pub mod chain;
pub mod chainer;
pub mod cli;
pub mod export;
pub mod lookup;
pub mod query;
pub mod verify;

pub use append::{NewEvent, Origin, append};
