//! The draft lists: `GET /drafts` under the visibility rules (`/tasks` is
//! in `task_lists`, on the rows listed here).
//!
//! Visibility (SPEC §3) is one SQL predicate so that a page never holds a
//! draft the caller may not see and no row is checked one query at a time.

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::drafts::DraftRow;
use crate::db::page_limit::{Limited, limited};
use crate::db::partial;
use crate::db::schema::{delegations, drafts, grants};
use crate::domain::vocabulary::Stage;

#[derive(Debug, Default, Clone)]
pub struct DraftFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub author_id: Option<Uuid>,
    pub stage: Option<Stage>,
    pub risk_level: Option<String>,
}

/// A listed draft: the columns a summary shows and no more (a page reads
/// 51 rows, and every column is decoded and copied for each), with its
/// current revision's title and content hash as the row carries them
/// (migration 000160: read from `revisions`, they were two probes per
/// listed row, half of a page's execution at a year's scale, issue 19).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = drafts)]
pub struct Listed {
    pub id: Uuid,
    pub channel: String,
    pub author_id: Uuid,
    pub department_id: Option<Uuid>,
    pub risk_level: String,
    pub status: String,
    pub current_stage: Option<String>,
    pub current_stages: Vec<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// NULL only inside the transaction that creates the draft.
    pub title: Option<String>,
    pub content_hash: Option<String>,
}

impl From<(DraftRow, String, String)> for Listed {
    /// A draft read whole, as a list would show it with this title and hash.
    fn from((d, title, content_hash): (DraftRow, String, String)) -> Listed {
        Listed {
            id: d.id,
            channel: d.channel,
            author_id: d.author_id,
            department_id: d.department_id,
            risk_level: d.risk_level,
            status: d.status,
            current_stage: d.current_stage,
            current_stages: d.current_stages,
            due_at: d.due_at,
            overdue: d.overdue,
            revision: d.revision,
            created_at: d.created_at,
            updated_at: d.updated_at,
            title: Some(title),
            content_hash: Some(content_hash),
        }
    }
}

pub type BoxedDrafts<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<drafts::table, diesel::dsl::AsSelect<Listed, Pg>>,
    Pg,
>;

/// Drafts as listed.
pub(crate) fn listed<'a>() -> BoxedDrafts<'a> {
    drafts::table.select(Listed::as_select()).into_boxed()
}

/// The grant's scope (its channel and department, either open) covers
/// the draft: for sight here and for signing in `task_lists`.
#[diesel::dsl::auto_type]
pub(crate) fn grant_covers_draft() -> _ {
    grants::channel
        .is_null()
        .or(grants::channel.eq(drafts::channel.nullable()))
        .and(
            grants::department_id
                .is_null()
                .or(grants::department_id.eq(drafts::department_id)),
        )
}

/// Drafts `viewer` may see; `auditor` sees all.
fn visible_to<'a>(viewer: Uuid, auditor: bool) -> BoxedDrafts<'a> {
    let query = listed();
    if auditor {
        return query;
    }
    // A delegate sees what the delegated stages of a principal cover, as
    // the domain's `can_view`.
    let now = Utc::now();
    let delegated_stage = delegations::table.filter(
        delegations::delegate_id
            .eq(viewer)
            .and(delegations::principal_id.eq(grants::user_id))
            .and(delegations::revoked_at.is_null())
            .and(delegations::starts_at.le(now))
            .and(delegations::ends_at.gt(now))
            .and(delegations::stages.contains(diesel::dsl::array((grants::role,)))),
    );
    // The roles whose grants let one see the drafts their scope covers,
    // written into the SQL: bound as one array, of a length the generic
    // plan does not know, they made a signer's page cost a fifth more
    // generic than custom, and PostgreSQL planned the page on every call
    // (docs/benchmarks.md, round eleven).
    let c = partial::constant;
    let sighted_roles = diesel::dsl::array((
        c("publisher"),
        c("review_1"),
        c("review_2"),
        c("review_3"),
        c("proofread_1"),
        c("proofread_2"),
        c("proofread_3"),
        c("leader"),
    ));
    let covering_grant = grants::table.filter(
        grants::user_id
            .eq(viewer)
            .or(exists(delegated_stage))
            .and(grants::role.eq_any(sighted_roles))
            .and(grant_covers_draft()),
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
) -> QueryResult<Vec<Listed>> {
    let query = page_query(viewer, auditor, filter, after, limit);
    let wanted = query.wanted();
    let mut rows: Vec<Listed> = query.load(conn).await?;
    rows.truncate(wanted);
    Ok(rows)
}

/// The query `page` runs, apart, so that a test can EXPLAIN it.
pub fn page_query(
    viewer: Uuid,
    auditor: bool,
    filter: &DraftFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Limited<BoxedDrafts<'static>> {
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
        // An open stage of the current step (SPEC §5), not only the first.
        // The stage as a literal lets that stage's ordered index serve.
        // Only drafts in review have open stages (a CHECK says so); said as
        // well, the planner took the two for independent and expected a
        // handful of rows (migration 000170).
        query = query.filter(partial::open_at(*v));
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
    limited(
        query.order((drafts::created_at.desc(), drafts::id.desc())),
        limit,
    )
}
