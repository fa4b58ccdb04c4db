//! Authentication: argon2 hashing, tokens, the `AuthUser` extractor, login
//! throttling, and the session use-cases (login, refresh, logout, password).

pub mod extractor;
pub mod hashing;
pub mod sessions;
pub mod throttle;
pub mod token;

pub use extractor::{AuthUser, TokenHolder};
