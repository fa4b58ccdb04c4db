//! What the approval sheet (审核签发单) names beside the draft: people by
//! id, and the title of a linked draft.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{drafts, revisions, users};

/// (id, username, display_name) of each of `ids` that exists.
pub async fn people(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username, users::display_name))
        .load(conn)
        .await
}

/// The current title of a draft.
pub async fn current_title(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<String>> {
    revisions::table
        .inner_join(
            drafts::table.on(drafts::id
                .eq(revisions::draft_id)
                .and(drafts::revision.eq(revisions::number))),
        )
        .filter(drafts::id.eq(id))
        .select(revisions::title)
        .first(conn)
        .await
        .optional()
}
