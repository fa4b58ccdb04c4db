//! The draft lists: `GET /drafts` under the visibility rules, and `/tasks`.
//!
//! Visibility (SPEC §3) is one SQL predicate so that a page never holds a
//! draft the caller may not see and no row is checked one query at a time.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::drafts::DraftRow;
use crate::db::schema::{drafts, grants, signoffs};

/// Roles whose grants let one see the drafts their scope covers.
const SIGHTED_ROLES: [&str; 7] = [
    "publisher",
    "review_1",
    "review_2",
    "review_3",
    "proofread_1",
    "proofread_2",
    "proofread_3",
];

#[derive(Debug, Default, Clone)]
pub struct DraftFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub author_id: Option<Uuid>,
    pub stage: Option<String>,
    pub risk_level: Option<String>,
}

pub type BoxedDrafts<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<drafts::table, diesel::dsl::AsSelect<DraftRow, Pg>>,
    Pg,
>;

/// Drafts `viewer` may see; `auditor` sees all.
fn visible_to<'a>(viewer: Uuid, auditor: bool) -> BoxedDrafts<'a> {
    let query = drafts::table.select(DraftRow::as_select()).into_boxed();
    if auditor {
        return query;
    }
    let covering_grant = grants::table.filter(
        grants::user_id
            .eq(viewer)
            .and(grants::role.eq_any(SIGHTED_ROLES))
            .and(
                grants::channel
                    .is_null()
                    .or(grants::channel.eq(drafts::channel.nullable())),
            )
            .and(
                grants::department_id
                    .is_null()
                    .or(grants::department_id.eq(drafts::department_id)),
            ),
    );
    query.filter(drafts::author_id.eq(viewer).or(exists(covering_grant)))
}

/// One page, newest first; `after` is the last (created_at, id) seen.
pub async fn page(
    conn: &mut AsyncPgConnection,
    viewer: Uuid,
    auditor: bool,
    filter: &DraftFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<DraftRow>> {
    page_query(viewer, auditor, filter, after, limit)
        .load(conn)
        .await
}

/// The query `page` runs, apart, so that a test can EXPLAIN it.
pub fn page_query(
    viewer: Uuid,
    auditor: bool,
    filter: &DraftFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> BoxedDrafts<'static> {
    let mut query = visible_to(viewer, auditor);
    if let Some(v) = &filter.status {
        query = query.filter(drafts::status.eq(v.clone()));
    }
    if let Some(v) = &filter.channel {
        query = query.filter(drafts::channel.eq(v.clone()));
    }
    if let Some(v) = filter.author_id {
        query = query.filter(drafts::author_id.eq(v));
    }
    if let Some(v) = &filter.stage {
        query = query.filter(drafts::current_stage.eq(v.clone()));
    }
    if let Some(v) = &filter.risk_level {
        query = query.filter(drafts::risk_level.eq(v.clone()));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            drafts::created_at
                .lt(at)
                .or(drafts::created_at.eq(at).and(drafts::id.lt(id))),
        );
    }
    query
        .order((drafts::created_at.desc(), drafts::id.desc()))
        .limit(limit)
}

/// Drafts whose current stage `signer` may sign now, oldest first (by the
/// time they reached that stage): eligible by grant and scope, not the
/// author, and not already a signer of another stage of the same kind on
/// this revision (SPEC §2 invariants 2 and 3). The domain's `can_sign_now`
/// is the rule; `tests/tasks_rule.rs` holds this query to it.
pub async fn tasks(
    conn: &mut AsyncPgConnection,
    signer: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<DraftRow>> {
    tasks_query(signer, after, limit).load(conn).await
}

/// The query `tasks` runs, apart, so that a test can EXPLAIN it.
pub fn tasks_query(
    signer: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> BoxedDrafts<'static> {
    let eligible = grants::table.filter(
        grants::user_id
            .eq(signer)
            .and(grants::role.nullable().eq(drafts::current_stage))
            .and(
                grants::channel
                    .is_null()
                    .or(grants::channel.eq(drafts::channel.nullable())),
            )
            .and(
                grants::department_id
                    .is_null()
                    .or(grants::department_id.eq(drafts::department_id)),
            ),
    );
    let same_kind_signed = signoffs::table.filter(
        signoffs::draft_id
            .eq(drafts::id)
            .and(signoffs::revision.eq(drafts::revision))
            .and(signoffs::signer_id.eq(signer))
            // As the domain's `separation`: any sign-off, approval or
            // return, of another stage of the same kind on this revision.
            .and(signoffs::stage.nullable().ne(drafts::current_stage))
            .and(
                signoffs::stage
                    .like("review_%")
                    .and(drafts::current_stage.like("review_%"))
                    .or(signoffs::stage
                        .like("proofread_%")
                        .and(drafts::current_stage.like("proofread_%"))),
            ),
    );
    let mut query = drafts::table
        .select(DraftRow::as_select())
        .filter(drafts::status.eq("in_review"))
        .filter(drafts::author_id.ne(signer))
        .filter(exists(eligible))
        .filter(not(exists(same_kind_signed)))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            drafts::updated_at
                .gt(at)
                .or(drafts::updated_at.eq(at).and(drafts::id.gt(id))),
        );
    }
    query
        .order((drafts::updated_at.asc(), drafts::id.asc()))
        .limit(limit)
}
