//! Authentication: argon2 hashing, tokens, who the caller is, login
//! throttling, and the session use-cases (login, refresh, logout, password).

pub mod caller;
pub mod sessions;
pub mod throttle;

/// Kept at their old paths for callers outside the crate.
pub use crate::credentials::{hashing, token};
pub use caller::{AuthUser, TokenHolder};
