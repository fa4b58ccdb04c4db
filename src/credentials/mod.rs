//! Credentials as mechanisms, below every use-case: argon2id password
//! hashing on dedicated threads, and access (JWT) and refresh tokens.

pub mod hashing;
mod phc;
mod scheduling;
pub mod token;
