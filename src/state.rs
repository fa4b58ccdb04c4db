//! What every handler shares: the pool, token keys, the password hasher and
//! the audit chainer's doorbell.

use crate::audit::chainer::Chainer;
use crate::auth::hashing::Hasher;
use crate::auth::token::Tokens;
use crate::db::DbPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub tokens: Tokens,
    pub hasher: Hasher,
    pub chainer: Chainer,
}
