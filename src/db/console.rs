//! What only the signing console asks of the database: which earlier
//! revision of a draft a signer last saw in review.

use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::signoffs;

/// The newest revision before `before` that `signer` signed (approved or
/// returned); `None` if they signed none.
pub async fn last_signed_by(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    before: i32,
    signer: Uuid,
) -> QueryResult<Option<i32>> {
    signoffs::table
        .filter(signoffs::draft_id.eq(draft_id))
        .filter(signoffs::revision.lt(before))
        .filter(signoffs::signer_id.eq(signer))
        .select(max(signoffs::revision))
        .first(conn)
        .await
}

/// The newest revision before `before` that anyone signed: the text the
/// last review round saw.
pub async fn last_signed(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    before: i32,
) -> QueryResult<Option<i32>> {
    signoffs::table
        .filter(signoffs::draft_id.eq(draft_id))
        .filter(signoffs::revision.lt(before))
        .select(max(signoffs::revision))
        .first(conn)
        .await
}
