//! `/audit/lookup`'s query: the revisions carrying a content hash, with
//! their drafts as they stand now.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{drafts, revisions};
use crate::domain::vocabulary::Status;

/// One revision carrying the content, and its draft as it stands now.
#[derive(Debug, Queryable)]
pub struct Hit {
    pub draft_id: Uuid,
    pub revision: i32,
    pub title: String,
    pub channel: String,
    pub status: String,
    /// The draft's current revision number.
    pub current_revision: i32,
    pub published_url: Option<String>,
    /// The correction (SPEC §7) whose publication made the draft `corrected`.
    pub corrected_by: Option<Uuid>,
    /// The tier whose route the draft follows (SPEC §5).
    pub risk_level: String,
    /// The workflow version pinned at submission (none before it).
    pub workflow_version: Option<i32>,
}

impl Hit {
    /// Content cannot change once a draft is publishable, so a published
    /// (or later retracted or corrected) draft's current revision is the one that went live.
    pub fn was_published(&self) -> bool {
        let live = [
            Status::Published.as_str(),
            Status::Retracted.as_str(),
            Status::Corrected.as_str(),
        ];
        live.contains(&self.status.as_str()) && self.current_revision == self.revision
    }
}

/// Revisions with the hash (through `revisions_by_hash`), oldest first;
/// at most `limit`.
pub async fn hits(conn: &mut AsyncPgConnection, hash: &str, limit: i64) -> QueryResult<Vec<Hit>> {
    revisions::table
        .inner_join(drafts::table.on(drafts::id.eq(revisions::draft_id)))
        .filter(revisions::content_hash.eq(hash))
        .order((
            revisions::created_at.asc(),
            revisions::draft_id.asc(),
            revisions::number.asc(),
        ))
        .select((
            revisions::draft_id,
            revisions::number,
            revisions::title,
            drafts::channel,
            drafts::status,
            drafts::revision,
            drafts::published_url,
            drafts::corrected_by,
            drafts::risk_level,
            drafts::workflow_version,
        ))
        .limit(limit)
        .load(conn)
        .await
}
