//! `/tasks`: drafts in review the signer may sign now, listed as
//! `draft_lists` lists them, with the eligibility and separation rules in
//! SQL.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::draft_lists::{BoxedDrafts, Listed, grant_covers_draft, listed};
use crate::db::page_limit::{Limited, limited};
use crate::db::partial;
use crate::db::schema::{delegations, drafts, grants, signoffs, users};
use crate::db::union_all::{UnionAll, union_all};
use crate::domain::vocabulary::Stage;

/// Drafts with an open stage `signer` may sign now, oldest first (by due
/// time, nulls last, then by the time they last moved): a grant for a stage
/// of `current_stages` whose scope covers the draft, not the author, and
/// for that stage neither a sign-off of it in this round nor one of an
/// excluded stage on this revision (two of a kind, or leader and anything
/// else: SPEC §5 invariant 3). The domain's `can_sign_now` is the rule;
/// `tests/api/tasks_rule.rs` holds this query to it.
pub async fn tasks(
    conn: &AsyncPgConnection,
    signer: Uuid,
    after: Option<TaskCursor>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    let stages = stages_of(conn, signer).await?;
    tasks_at(conn, signer, &stages, after, limit).await
}

/// [`tasks`] at `stages` only: those `signer` holds a grant for, own or
/// delegated ([`stages_of`], or [`stages`] from grants already read).
pub async fn tasks_at(
    mut conn: &AsyncPgConnection,
    signer: Uuid,
    stages: &[Stage],
    after: Option<TaskCursor>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    if stages.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Listed> = tasks_query(signer, stages, after, limit)
        .load(&mut conn)
        .await?;
    Ok(merged(rows, limit))
}

/// The stages `signer` holds a grant for, or holds one for by a delegation
/// in force: [`stages`] of the two reads, sent together.
pub async fn stages_of(conn: &AsyncPgConnection, signer: Uuid) -> QueryResult<Vec<Stage>> {
    let mut reader = conn;
    let own = grants::table
        .filter(grants::user_id.eq(signer))
        .select(grants::role)
        .load::<String>(&mut reader);
    let (own, delegated) = futures_util::try_join!(own, delegated_stages(conn, signer))?;
    Ok(stages(own.iter().map(String::as_str), &delegated))
}

/// The stages of the delegations to `signer` in force now, a list each.
/// More than the delegations grant (the principal may hold no grant of a
/// stage, or be disabled): [`tasks_query`] judges each grant, this only
/// names the stages worth reading.
pub async fn delegated_stages(
    mut conn: &AsyncPgConnection,
    signer: Uuid,
) -> QueryResult<Vec<Vec<String>>> {
    let now = Utc::now();
    delegations::table
        .filter(delegations::delegate_id.eq(signer))
        .filter(delegations::revoked_at.is_null())
        .filter(delegations::starts_at.le(now))
        .filter(delegations::ends_at.gt(now))
        .select(delegations::stages)
        .load(&mut conn)
        .await
}

/// The stages among `roles` (a user's grants) and `delegated`, in the
/// order of [`Stage::ALL`], each once.
pub fn stages<'a>(
    roles: impl IntoIterator<Item = &'a str>,
    delegated: &'a [Vec<String>],
) -> Vec<Stage> {
    let named: Vec<Stage> = roles
        .into_iter()
        .chain(delegated.iter().flatten().map(String::as_str))
        .filter_map(Stage::parse)
        .collect();
    Stage::ALL
        .into_iter()
        .filter(|s| named.contains(s))
        .collect()
}

/// The first `limit` of the branches' rows in the order of `/tasks`, each
/// draft once (a draft at two of the signer's stages is in two branches).
fn merged(mut rows: Vec<Listed>, limit: i64) -> Vec<Listed> {
    rows.sort_by(|a, b| {
        let due = |d: &Listed| (d.due_at.is_none(), d.due_at);
        due(a)
            .cmp(&due(b))
            .then(a.updated_at.cmp(&b.updated_at))
            .then(a.id.cmp(&b.id))
    });
    rows.dedup_by_key(|d| d.id);
    rows.truncate(usize::try_from(limit.max(0)).unwrap_or(usize::MAX));
    rows
}

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

/// One branch per stage of `stages` (at least one), each the first
/// `limit` drafts at that stage that `signer` may sign now, read in order
/// from the stage's `drafts_due_*` index (migration 000180) and probed one
/// by one until the page is full. Read from the GIN index on the open
/// stages and sorted, a year's 393 drafts at one stage were all read for a
/// page of 51 (issue 19). Apart, so that a test can EXPLAIN it.
pub fn tasks_query(
    signer: Uuid,
    stages: &[Stage],
    after: Option<TaskCursor>,
    limit: i64,
) -> UnionAll<Limited<BoxedDrafts<'static>>> {
    union_all(
        stages
            .iter()
            .map(|stage| at_stage(signer, *stage, after, limit))
            .collect(),
    )
}

/// The branch of [`tasks_query`] for `stage`.
fn at_stage(
    signer: Uuid,
    stage: Stage,
    after: Option<TaskCursor>,
    limit: i64,
) -> Limited<BoxedDrafts<'static>> {
    let now = Utc::now();
    let role = stage.as_str();
    let both = |pattern: &'static str| {
        signoffs::stage
            .like(pattern)
            .and(grants::role.like(pattern))
    };
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
    // A grant of this stage, the signer's own or one delegated to them.
    let free = grants::table.filter(
        grants::role
            .eq(role)
            .and(
                grants::user_id
                    .eq(signer)
                    .or(exists(delegated!(signer, now))),
            )
            .and(drafts::author_id.ne(grants::user_id))
            .and(grant_covers_draft())
            .and(not(exists(barred))),
    );
    let mut query = listed()
        .filter(partial::open_at(stage))
        .filter(drafts::author_id.ne(signer))
        .filter(exists(free));
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
    limited(
        query.order((
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn draft(id: u128, due_days: Option<i64>, moved_days: i64) -> Listed {
        let at = |days| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(days);
        Listed {
            id: Uuid::from_u128(id),
            channel: "portal".into(),
            author_id: Uuid::nil(),
            department_id: None,
            risk_level: "normal".into(),
            status: "in_review".into(),
            current_stage: Some("review_1".into()),
            current_stages: vec!["review_1".into(), "proofread_1".into()],
            due_at: due_days.map(at),
            overdue: false,
            revision: 1,
            created_at: at(0),
            updated_at: at(moved_days),
            title: Some("t".into()),
            content_hash: Some("h".into()),
        }
    }

    /// The stages worth reading: a user's stage grants and the stages
    /// delegated to them, in the order of the route, each once; other
    /// roles name none.
    #[test]
    fn stages_come_from_grants_and_delegations_each_once() {
        let delegated = vec![
            vec!["leader".to_string(), "review_2".to_string()],
            vec!["review_2".to_string()],
        ];
        let roles = ["auditor", "proofread_3", "editor", "review_2"];
        assert_eq!(
            stages(roles, &delegated),
            [Stage::Review2, Stage::Proofread3, Stage::Leader]
        );
        assert_eq!(stages(["editor", "publisher"], &[]), []);
    }

    /// Two branches' rows: a draft at both stages comes once, those with a
    /// due time first (the soonest first), then by their last move and id.
    #[test]
    fn branches_merge_in_the_order_of_tasks_each_draft_once() {
        let rows = vec![
            draft(1, None, 1),
            draft(2, Some(9), 5),
            draft(3, None, 0),
            draft(2, Some(9), 5),
            draft(4, Some(3), 7),
            draft(5, None, 1),
        ];
        let ids = |rows: Vec<Listed>| rows.iter().map(|d| d.id.as_u128()).collect::<Vec<_>>();
        assert_eq!(ids(merged(rows.clone(), 51)), [4, 2, 3, 1, 5]);
        assert_eq!(ids(merged(rows.clone(), 2)), [4, 2]);
        assert_eq!(ids(merged(rows, 0)), Vec::<u128>::new());
    }
}
