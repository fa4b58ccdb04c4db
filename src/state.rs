//! What every handler shares: the pool, token keys, the password hasher and
//! the audit chainer's doorbell.

use crate::background::Job;
use crate::clock::Clock;
use crate::config::TrustedProxies;
use crate::credentials::hashing::Hasher;
use crate::credentials::token::Tokens;
use crate::db::chainer::Chainer;
use crate::db::{DbPool, PoolSettings};
use crate::domain::check::cache::MatcherCache;
use crate::domain::workflow_cache::WorkflowCache;

#[derive(Clone)]
pub struct AppState {
    /// The pool of the thread this state is on: the background one (the
    /// chainer, start-up), or an HTTP worker's own (see [`AppState::for_worker`]).
    pub pool: DbPool,
    pub pools: PoolSettings,
    pub tokens: Tokens,
    pub hasher: Hasher,
    pub chainer: Chainer,
    /// The webhook sender's doorbell (SPEC §8): rung after each change.
    pub webhooks: Job,
    /// Whose `X-Forwarded-For` names the client (`SANSHEN_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Compiled lexicons (SPEC §6), shared by all workers of this process.
    pub matchers: MatcherCache,
    /// Workflow versions read so far; a version never changes.
    pub workflows: WorkflowCache,
    /// Now, for deadlines (SPEC §8); tests move it forward.
    pub clock: Clock,
    /// The deadline runner's doorbell (SPEC §8).
    pub deadlines: Job,
}

impl AppState {
    /// The state for one of `workers` HTTP worker threads, with a pool of
    /// its own built on that thread, holding its share of the connections.
    ///
    /// A connection's I/O runs as a task on the runtime that opened it. With
    /// one pool shared by the workers (each a runtime on its own thread),
    /// every query on a connection another worker opened crossed threads
    /// twice, and waited when that worker was busy: one worker served more
    /// sign-offs and reads than two (docs/benchmarks.md).
    pub fn for_worker(&self, workers: usize) -> AppState {
        let mut state = self.clone();
        match self.pools.build(self.pools.size.div_ceil(workers.max(1))) {
            Ok(pool) => state.pool = pool,
            // Only a setting already accepted at start-up goes in, so this
            // is not expected; the shared pool still works.
            Err(e) => tracing::warn!(error = %e, "worker pool: using the shared pool"),
        }
        state
    }
}
