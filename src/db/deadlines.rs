//! The deadline runner's queries (SPEC §8): drafts whose open step fell due,
//! claimed with `SKIP LOCKED` so that runners of several instances share
//! the work, and the once-only record of each overdue step.

use chrono::{DateTime, Utc};
use diesel::dsl::not;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::drafts::DraftRow;
use crate::db::partial;
use crate::db::schema::{drafts, overdue_steps};

/// Up to `limit` drafts in review whose step fell due by `now`, locked for
/// the caller's transaction; rows another runner holds are skipped.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<DraftRow>> {
    drafts::table
        .filter(partial::in_review())
        .filter(not(drafts::overdue))
        .filter(drafts::due_at.le(now))
        .order(drafts::due_at.asc())
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(DraftRow::as_select())
        .load(conn)
        .await
}

/// Records the overdue step and flags the draft; false when this (draft,
/// round, step) was already recorded (by any runner), so nothing is written twice.
pub async fn mark_overdue(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    round: i32,
    step: i32,
    due_at: DateTime<Utc>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(overdue_steps::table)
        .values((
            overdue_steps::draft_id.eq(draft_id),
            overdue_steps::round.eq(round),
            overdue_steps::step.eq(step),
            overdue_steps::due_at.eq(due_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::update(drafts::table.find(draft_id))
        .set(drafts::overdue.eq(true))
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// The earliest deadline still to fall, if any.
pub async fn next_due(conn: &mut AsyncPgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    drafts::table
        .filter(partial::in_review())
        .filter(not(drafts::overdue))
        .select(diesel::dsl::min(drafts::due_at))
        .first(conn)
        .await
}
