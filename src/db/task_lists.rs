//! `/tasks`: drafts in review the signer may sign now, listed as
//! `draft_lists` lists them, with the eligibility and separation rules in
//! SQL.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::draft_lists::{BoxedDrafts, Listed, grant_covers_draft, listed};
use crate::db::page_limit::{Limited, limited};
use crate::db::partial;
use crate::db::schema::{delegations, drafts, grants, signoffs, users};

/// Drafts with an open stage `signer` may sign now, oldest first (by the
/// time they last moved): a grant for a stage of `current_stages` whose
/// scope covers the draft, not the author, and for that stage neither a
/// sign-off of it in this round nor one of an excluded stage on this
/// revision (two of a kind, or leader and anything else: SPEC §5 invariant
/// 3). The domain's `can_sign_now` is the rule; `tests/api/tasks_rule.rs`
/// holds this query to it.
///
/// The eligibility probes (grants, delegations, the separation rule over
/// the draft's sign-offs) run on spans of the due order, not on every draft
/// waiting at the signer's stages: with a year's backlog of 333 at one
/// stage, probing them all and sorting cost 3.4 ms for a page of 51 (issue
/// 19). A span starts at the page's size and doubles while probes turn
/// candidates down.
pub async fn tasks(
    conn: &mut AsyncPgConnection,
    signer: Uuid,
    after: Option<TaskCursor>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    let first = candidates(conn, signer, after, limit).await?;
    tasks_from(conn, signer, first, limit).await
}

/// The first span of a page's candidates, on a shared connection: a caller
/// sends it with its session check, in one round trip.
pub async fn candidates(
    mut conn: &AsyncPgConnection,
    signer: Uuid,
    after: Option<TaskCursor>,
    limit: i64,
) -> QueryResult<Vec<Candidate>> {
    candidates_query(signer, after, limit.max(1))
        .load(&mut conn)
        .await
}

/// A page of `/tasks` from its first span of candidates (`candidates`
/// with the same `limit`).
pub async fn tasks_from(
    conn: &mut AsyncPgConnection,
    signer: Uuid,
    first: Vec<Candidate>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    let mut page: Vec<Listed> = Vec::new();
    let mut span = limit.max(1);
    let mut candidates = first;
    while let Some(last) = candidates.last() {
        let from = TaskCursor {
            due_at: last.1,
            updated_at: last.2,
            id: last.0,
        };
        let ids: Vec<Uuid> = candidates.iter().map(|c| c.0).collect();
        let wanted = limit - page.len() as i64;
        let query = tasks_query(signer, &ids, wanted);
        let kept = query.wanted();
        let mut found: Vec<Listed> = query.load(conn).await?;
        found.truncate(kept);
        page.extend(found);
        if (candidates.len() as i64) < span || page.len() as i64 >= limit {
            break;
        }
        span = span.saturating_mul(2);
        candidates = candidates_query(signer, Some(from), span)
            .load(conn)
            .await?;
    }
    Ok(page)
}

/// A draft in review the signer might sign, in the order of `/tasks`: its
/// id, due time and last move.
pub type Candidate = (Uuid, Option<DateTime<Utc>>, DateTime<Utc>);

/// 代签: a delegation to `$signer` in force at `$now` from the holder of the
/// grant in scope, covering its stage, by a principal still enabled (SPEC
/// §8): such a grant counts as the signer's own. A macro, as diesel's
/// correlated subqueries have types too long to name.
macro_rules! delegated {
    ($signer:expr, $now:expr) => {
        delegations::table.filter(
            delegations::delegate_id
                .eq($signer)
                .and(delegations::principal_id.eq(grants::user_id))
                .and(delegations::revoked_at.is_null())
                .and(delegations::starts_at.le($now))
                .and(delegations::ends_at.gt($now))
                .and(delegations::stages.contains(diesel::dsl::array((grants::role,))))
                .and(not(exists(users::table.filter(
                    users::id.eq(delegations::principal_id).and(users::disabled),
                )))),
        )
    };
}

/// The next `span` drafts in review after `after` in the order of `/tasks`
/// that wait at a stage `signer` holds a grant for (own or delegated) and
/// that `signer` did not write: no probe yet. The stages are found once
/// (an InitPlan), and the GIN index on `current_stages` passes over drafts
/// at other stages.
pub fn candidates_query(
    signer: Uuid,
    after: Option<TaskCursor>,
    span: i64,
) -> drafts::BoxedQuery<
    'static,
    Pg,
    (
        diesel::sql_types::Uuid,
        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        diesel::sql_types::Timestamptz,
    ),
> {
    let now = Utc::now();
    let stages = diesel::dsl::array(
        grants::table.select(grants::role).filter(
            grants::user_id
                .eq(signer)
                .or(exists(delegated!(signer, now))),
        ),
    );
    let mut query = drafts::table
        .select((drafts::id, drafts::due_at, drafts::updated_at))
        .filter(partial::in_review())
        .filter(drafts::author_id.ne(signer))
        .filter(drafts::current_stages.overlaps_with(stages))
        .into_boxed();
    if let Some(c) = after {
        let later = drafts::updated_at
            .gt(c.updated_at)
            .or(drafts::updated_at.eq(c.updated_at).and(drafts::id.gt(c.id)));
        query = match c.due_at {
            Some(due) => query.filter(
                drafts::due_at
                    .gt(due)
                    .or(drafts::due_at.is_null())
                    .or(drafts::due_at.eq(due).and(later)),
            ),
            None => query.filter(drafts::due_at.is_null().and(later)),
        };
    }
    query
        .order((
            drafts::due_at.asc().nulls_last(),
            drafts::updated_at.asc(),
            drafts::id.asc(),
        ))
        .limit(span)
}

/// Of the drafts `among` (candidates), the first `limit` that `signer` may
/// sign now, in the order of `/tasks`. Apart, so that a test can EXPLAIN it.
pub fn tasks_query(signer: Uuid, among: &[Uuid], limit: i64) -> Limited<BoxedDrafts<'static>> {
    let both = |pattern: &'static str| {
        signoffs::stage
            .like(pattern)
            .and(grants::role.like(pattern))
    };
    let now = Utc::now();
    // Separation binds the signer and the grant's holder (the principal,
    // when delegated) at once.
    let involved = signoffs::signer_id
        .eq(signer)
        .or(signoffs::on_behalf_of.eq(signer))
        .or(signoffs::signer_id.eq(grants::user_id))
        .or(signoffs::on_behalf_of.eq(grants::user_id.nullable()));
    let barred = signoffs::table.filter(
        signoffs::draft_id
            .eq(drafts::id)
            .and(signoffs::revision.eq(drafts::revision))
            .and(involved)
            .and(
                // As the domain's `separation`: the same stage in this
                // round (approval or return), or an excluded stage in any.
                signoffs::stage
                    .eq(grants::role)
                    .and(signoffs::round.eq(drafts::round))
                    .or(signoffs::stage.ne(grants::role).and(
                        signoffs::stage
                            .eq("leader")
                            .or(grants::role.eq("leader"))
                            .or(both("review_%"))
                            .or(both("proofread_%")),
                    )),
            ),
    );
    let open_and_free = grants::table.filter(
        grants::user_id
            .eq(signer)
            .or(exists(delegated!(signer, now)))
            .and(drafts::author_id.ne(grants::user_id))
            .and(drafts::current_stages.contains(diesel::dsl::array((grants::role,))))
            .and(grant_covers_draft())
            .and(not(exists(barred))),
    );
    // No status filter: only drafts in review have open stages (a CHECK
    // says so), and `open_and_free` asks for one. Said again, it made the
    // planner AND the partial GIN index, read whole, with the 51 ids.
    limited(
        listed()
            .filter(drafts::id.eq_any(among.to_vec()))
            .filter(drafts::author_id.ne(signer))
            .filter(exists(open_and_free))
            .order((
                drafts::due_at.asc().nulls_last(),
                drafts::updated_at.asc(),
                drafts::id.asc(),
            )),
        limit,
    )
}

/// Where a page of `/tasks` ends: the order is (due time, nulls last;
/// when the draft last moved; id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskCursor {
    pub due_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub id: Uuid,
}
