//! Reading drafts: one draft, lists, tasks, revisions, diffs, comments and
//! the approval sheet (审核签发单). Every read applies the visibility rule.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::audit::query::{self, EventFilter, Window};
use crate::auth::{AuthUser, TokenHolder};
use crate::db::draft_lists::{self, DraftFilter};
use crate::db::drafts::{self, CommentRow, RevisionRow};
use crate::db::task_lists;
use crate::db::{chainer, connect, sessions};
use crate::domain::audit_chain::AuditEvent;
use crate::domain::vocabulary::{RiskLevel, Role, Stage, Status};
use crate::domain::workflow::Action;
use crate::domain::workflow_cache::WorkflowCache;
use crate::drafts::facts::{self, Loaded};
use crate::drafts::views::{
    DraftSummary, DraftView, RevisionView, SignoffView, SourceView, WorkflowRef, route_view,
};
use crate::error::ApiError;
use crate::state::AppState;

/// Loads a draft the caller may see; 404 otherwise, whatever the reason.
pub async fn visible(
    conn: &mut AsyncPgConnection,
    workflows: &WorkflowCache,
    user: &AuthUser,
    id: Uuid,
) -> Result<Loaded, ApiError> {
    let loaded = facts::draft(conn, workflows, id).await?;
    let mut actor = facts::actor_of(user)?;
    facts::decided(conn, &loaded.facts, &mut actor, &Action::View).await?;
    Ok(loaded)
}

pub fn view(loaded: Loaded) -> Result<DraftView, ApiError> {
    let route = route_view(loaded.facts.route(), loaded.row.round, &loaded.signoffs)?;
    let standing = loaded.facts.standing();
    let current_stages = loaded.facts.current_stages();
    let source = super::sources::of(&loaded.row)?;
    let Loaded {
        row,
        revision,
        signoffs,
        facts,
    } = loaded;
    Ok(DraftView {
        id: row.id,
        channel: row.channel,
        author_id: row.author_id,
        department_id: row.department_id,
        risk_level: facts.risk,
        status: facts.status,
        current_stage: current_stages.first().copied(),
        current_step: standing
            .and_then(|s| s.step())
            .and_then(|s| i32::try_from(s).ok()),
        current_stages,
        route,
        due_at: row.due_at,
        overdue: row.overdue,
        revision: row.revision,
        round: row.round,
        content_hash: revision.content_hash.clone(),
        current: RevisionView::try_from(revision)?,
        workflow: WorkflowRef {
            version: facts.workflow.version,
            stages: facts.route().stages().collect(),
        },
        signoffs: signoffs
            .into_iter()
            .map(|(s, name)| SignoffView::new(s, name))
            .collect::<Result<_, _>>()?,
        published_url: row.published_url,
        created_at: row.created_at,
        updated_at: row.updated_at,
        source: SourceView::new(&source),
        corrects: row.corrects,
        correction_note: row.correction_note,
        corrected_by: row.corrected_by,
    })
}

/// Summaries for a page of drafts, as listed with their current revisions.
pub fn summaries(rows: Vec<draft_lists::Listed>) -> Result<Vec<DraftSummary>, ApiError> {
    rows.into_iter().map(DraftSummary::listed).collect()
}

/// Validates the list filters; a value that names nothing is a bad query.
pub fn filter(
    status: Option<String>,
    channel: Option<String>,
    author_id: Option<Uuid>,
    stage: Option<String>,
    risk_level: Option<String>,
) -> Result<DraftFilter, ApiError> {
    let bad = |what: &str| ApiError::Malformed(format!("{what} is not a known value"));
    if status
        .as_deref()
        .is_some_and(|s| Status::parse(s).is_none())
    {
        return Err(bad("status"));
    }
    let stage = match stage.as_deref().map(Stage::parse) {
        Some(None) => return Err(bad("stage")),
        Some(parsed) => parsed,
        None => None,
    };
    if risk_level
        .as_deref()
        .is_some_and(|s| RiskLevel::parse(s).is_none())
    {
        return Err(bad("risk_level"));
    }
    let code_like = |c: &str| {
        (1..=32).contains(&c.len())
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    if channel.as_deref().is_some_and(|c| !code_like(c)) {
        return Err(bad("channel"));
    }
    Ok(DraftFilter {
        status,
        channel,
        author_id,
        stage,
        risk_level,
    })
}

pub fn is_auditor(user: &AuthUser) -> bool {
    user.has_role(Role::Auditor)
}

pub fn revision_view(row: RevisionRow) -> Result<RevisionView, ApiError> {
    RevisionView::try_from(row)
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    filter: &DraftFilter,
    after: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<draft_lists::Listed>, ApiError> {
    Ok(draft_lists::page(conn, user.user_id, is_auditor(user), filter, after, limit).await?)
}

// The read use-cases the handlers call: each takes one connection from the
// pool, applies the visibility rule, and returns rows or read models for
// the handler to render. Pages are read with one extra row so the handler
// can tell whether a next page exists.

type TimeCursor = Option<(chrono::DateTime<chrono::Utc>, Uuid)>;

/// One draft as the caller may see it.
pub async fn get(state: &AppState, user: &AuthUser, id: Uuid) -> Result<DraftView, ApiError> {
    let mut conn = connect(&state.pool).await?;
    view(visible(&mut conn, &state.workflows, user, id).await?)
}

/// As [`get`] for a caller whose session is still to be checked: the check
/// and the draft's reads go to the database in one round trip.
pub async fn get_as(
    state: &AppState,
    holder: &TokenHolder,
    id: Uuid,
) -> Result<DraftView, ApiError> {
    let mut conn = connect(&state.pool).await?;
    let (loaded, _, mut actor) =
        facts::load_as(&mut conn, &state.workflows, id, holder, false).await?;
    facts::decided(&conn, &loaded.facts, &mut actor, &Action::View).await?;
    view(loaded)
}

/// Up to `limit` summaries of the drafts the caller may see, newest first.
pub async fn page(
    state: &AppState,
    user: &AuthUser,
    filter: &DraftFilter,
    after: TimeCursor,
    limit: i64,
) -> Result<Vec<DraftSummary>, ApiError> {
    let mut conn = connect(&state.pool).await?;
    let rows = list(&mut conn, user, filter, after, limit).await?;
    summaries(rows)
}

/// Up to `limit` summaries of drafts the caller may sign now, oldest first.
/// The session check, which reads the caller's grants, goes with the
/// stages delegated to them, in one round trip; the drafts at those stages
/// are read in a second, only if there are any.
pub async fn tasks(
    state: &AppState,
    holder: &TokenHolder,
    after: Option<task_lists::TaskCursor>,
    limit: i64,
) -> Result<Vec<DraftSummary>, ApiError> {
    let conn = connect(&state.pool).await?;
    let shared: &AsyncPgConnection = &conn;
    let (delegated, live) = futures_util::try_join!(
        task_lists::delegated_stages(shared, holder.user_id),
        sessions::check(shared, holder.session_id, holder.user_id),
    )?;
    let user = holder.admit(live)?;
    tasks_at_stages(shared, &user, &delegated, after, limit).await
}

/// As [`tasks`] for a caller whose session is already checked (the
/// console): their grants are at hand, the delegations are read.
pub async fn tasks_of(
    state: &AppState,
    user: &AuthUser,
    limit: i64,
) -> Result<Vec<DraftSummary>, ApiError> {
    let conn = connect(&state.pool).await?;
    let delegated = task_lists::delegated_stages(&conn, user.user_id).await?;
    tasks_at_stages(&conn, user, &delegated, None, limit).await
}

/// The page of `user`'s tasks at the stages of their grants and of
/// `delegated`.
async fn tasks_at_stages(
    conn: &AsyncPgConnection,
    user: &AuthUser,
    delegated: &[Vec<String>],
    after: Option<task_lists::TaskCursor>,
    limit: i64,
) -> Result<Vec<DraftSummary>, ApiError> {
    let roles = user.grants.iter().map(|g| g.role.as_str());
    let stages = task_lists::stages(roles, delegated);
    summaries(task_lists::tasks_at(conn, user.user_id, &stages, after, limit).await?)
}

/// Every revision of a visible draft, oldest first.
pub async fn revisions(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<RevisionRow>, ApiError> {
    let mut conn = connect(&state.pool).await?;
    visible(&mut conn, &state.workflows, user, id).await?;
    Ok(drafts::revisions_of(&mut conn, id).await?)
}

/// Revision `n` of a visible draft; 404 if it has none.
pub async fn revision(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    n: i32,
) -> Result<RevisionRow, ApiError> {
    let mut conn = connect(&state.pool).await?;
    visible(&mut conn, &state.workflows, user, id).await?;
    drafts::revision(&conn, id, n)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Revisions `from` and `to` of a visible draft; 404 if either is missing.
pub async fn revision_pair(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    from: i32,
    to: i32,
) -> Result<(RevisionRow, RevisionRow), ApiError> {
    let mut conn = connect(&state.pool).await?;
    visible(&mut conn, &state.workflows, user, id).await?;
    let old = drafts::revision(&conn, id, from)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new = drafts::revision(&conn, id, to)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((old, new))
}

/// Up to `limit` comments on a visible draft with their authors' names, oldest first.
pub async fn comments(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    after: TimeCursor,
    limit: i64,
) -> Result<Vec<(CommentRow, String)>, ApiError> {
    let mut conn = connect(&state.pool).await?;
    visible(&mut conn, &state.workflows, user, id).await?;
    Ok(drafts::comments_of(&mut conn, id, after, limit).await?)
}

/// The most events an approval sheet shows; `/audit/events?draft_id=` pages through more.
const TRAIL_EVENTS: i64 = 10_000;

/// A visible draft with every committed audit event of it, in chain order.
pub async fn trail(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
) -> Result<(Loaded, Vec<AuditEvent>), ApiError> {
    let mut conn = connect(&state.pool).await?;
    let loaded = visible(&mut conn, &state.workflows, user, id).await?;
    let filter = EventFilter {
        draft_id: Some(id),
        ..EventFilter::default()
    };
    // The sheet shows every committed event of the draft, linked or not yet.
    chainer::chain_committed(&mut conn).await?;
    let events = query::page(&mut conn, &filter, Window::default(), TRAIL_EVENTS).await?;
    Ok((loaded, events))
}
