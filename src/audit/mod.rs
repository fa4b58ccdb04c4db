//! The audit trail: the hash chain (pure), appending inside transactions,
//! and the chainer that links what was appended.

pub mod access;
pub mod export;
pub mod lookup;
pub mod query;
pub mod verify;

/// The pure chain and the queue's writer and chainer live below the
/// use-cases (`domain/`, `db/`); here under their old paths too.
pub use crate::db::audit_log::{NewEvent, Origin, append};
pub use crate::db::chainer;
pub use crate::domain::audit_chain as chain;

/// Runs CPU-bound work on tokio's blocking pool, so that the caller's
/// thread can read the next page from the database meanwhile; a panic in
/// `work` is the caller's panic, as if it had run inline.
pub(crate) async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}
