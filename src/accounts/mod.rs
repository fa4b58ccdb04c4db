//! Administration use-cases: users, grants, departments, channels and their
//! workflows. Each function is one action in one transaction with its audit event.

pub mod catalog;
pub mod delegations;
pub mod grants;
pub mod users;
