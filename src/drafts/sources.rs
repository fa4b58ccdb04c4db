//! A draft's source (来源, SPEC §7) changed with its content: not part of
//! the content hash, so a change of source alone makes no revision, but it
//! is a change of the draft and has its own event.

use diesel_async::AsyncPgConnection;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::corrections;
use crate::db::drafts::DraftRow;
use crate::domain::content::Source;
use crate::drafts::facts::Loaded;
use crate::error::ApiError;

/// Inside the edit's transaction, after its rules passed: records a source
/// that differs from the stored one. `None` keeps the stored source.
pub async fn change(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    loaded: &Loaded,
    source: Option<&Source>,
) -> Result<(), ApiError> {
    let row = &loaded.row;
    let stored = of(row)?;
    let Some(source) = source.filter(|s| **s != stored) else {
        return Ok(());
    };
    let shared: &AsyncPgConnection = conn;
    corrections::set_source(shared, row.id, source.kind(), source.origin()).await?;
    let event = NewEvent::new("source_changed", &user.origin)
        .by(user.user_id, &user.username)
        .on_draft(row.id, row.revision, &loaded.revision.content_hash)
        .with("previous_kind", stored.kind())
        .with("previous_origin", stored.origin())
        .with("kind", source.kind())
        .with("origin", source.origin());
    append(shared, event).await?;
    Ok(())
}

/// The draft's stored source; a pair the columns' CHECK should have refused
/// is an internal error, never read as an original.
pub fn of(row: &DraftRow) -> Result<Source, ApiError> {
    Source::from_stored(&row.source_kind, row.source_origin.clone()).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "drafts.source_kind/source_origin hold {:?}/{:?}",
            row.source_kind,
            row.source_origin
        ))
    })
}
