//! The records columns of drafts (SPEC §7): source, and the links between a
//! correction and the draft it corrects.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::drafts::DraftRow;
use crate::db::schema::drafts;

pub async fn set_source(
    mut conn: &AsyncPgConnection,
    id: Uuid,
    kind: &str,
    origin: Option<&str>,
) -> QueryResult<()> {
    diesel::update(drafts::table.find(id))
        .set((
            drafts::source_kind.eq(kind),
            drafts::source_origin.eq(origin),
        ))
        .execute(&mut conn)
        .await
        .map(|_| ())
}

/// Marks `original` corrected by `correction` (from `published`; a draft
/// retracted meanwhile keeps its status and gains only the link).
pub async fn mark_corrected(
    mut conn: &AsyncPgConnection,
    original: Uuid,
    correction: Uuid,
    status: &str,
) -> QueryResult<DraftRow> {
    diesel::update(drafts::table.find(original))
        .set((
            drafts::status.eq(status),
            drafts::corrected_by.eq(Some(correction)),
            drafts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(DraftRow::as_returning())
        .get_result(&mut conn)
        .await
}
