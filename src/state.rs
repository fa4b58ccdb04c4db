//! What every handler shares: the pool, token keys and the password hasher.

use crate::auth::hashing::Hasher;
use crate::auth::token::Tokens;
use crate::db::DbPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub tokens: Tokens,
    pub hasher: Hasher,
}
