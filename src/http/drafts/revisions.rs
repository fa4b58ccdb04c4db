//! A draft's revisions and the diff between two of them.

use actix_web::get;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use similar::ChangeTag;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::diff as line_diff;
use crate::domain::vocabulary::Format;
use crate::drafts::reads;
use crate::drafts::views::RevisionView;
use crate::error::stored;
use crate::http::error::ApiError;
use crate::http::pagination::{self, Page};
use crate::http::problems::{FindErrors, ReadErrors};
use crate::http::users::ListQuery;
use crate::state::AppState;

/// A revision as listed: without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionSummary {
    pub number: i32,
    pub title: String,
    pub summary: String,
    pub format: Format,
    pub content_hash: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

#[utoipa::path(tag = "drafts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ListQuery), description = "Oldest first.",
    responses(
        (status = 200, body = Page<RevisionSummary>),
        ReadErrors,
    ))]
#[get("/drafts/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<RevisionSummary>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_seq_cursor(query.cursor.as_deref())?.unwrap_or(0);
    let rows = reads::revisions(&state, &user, *id).await?;
    let rows = rows
        .into_iter()
        .filter(|r| i64::from(r.number) > after)
        .take(usize::try_from(limit + 1).unwrap_or(0))
        .map(|r| {
            Ok(RevisionSummary {
                number: r.number,
                format: stored(Format::parse(&r.format), "revisions.format", &r.format)?,
                title: r.title,
                summary: r.summary,
                content_hash: r.content_hash,
                author_id: r.author_id,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(web::Json(pagination::page_of(
        rows,
        limit,
        |r| pagination::encode_seq_cursor(r.number.into()),
        |r| r,
    )))
}

#[utoipa::path(tag = "drafts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("n" = i32, Path)),
    responses(
        (status = 200, body = RevisionView),
        FindErrors,
    ))]
#[get("/drafts/{id}/revisions/{n}")]
pub async fn revision(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, i32)>,
) -> Result<web::Json<RevisionView>, ApiError> {
    let (id, n) = path.into_inner();
    let row = reads::revision(&state, &user, id, n).await?;
    Ok(web::Json(reads::revision_view(row)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// Revision number to compare from.
    #[param(minimum = 1)]
    pub from: i32,
    /// Revision number to compare to.
    #[param(minimum = 1)]
    pub to: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffLine {
    /// equal, delete or insert
    #[schema(example = "insert")]
    pub op: &'static str,
    /// 1-based line in `from` (null for inserts).
    pub old_line: Option<usize>,
    /// 1-based line in `to` (null for deletes).
    pub new_line: Option<usize>,
    #[schema(example = "各科室于12月20日前完成自查\n")]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffView {
    pub from: i32,
    pub to: i32,
    pub from_hash: String,
    pub to_hash: String,
    /// Which of title, summary, format differ.
    pub fields_changed: Vec<String>,
    /// The body, line by line.
    pub lines: Vec<DiffLine>,
    /// The same as a unified diff.
    pub unified: String,
    /// False when the search for the shortest diff hit its time bound: the
    /// diff is still correct (both revisions rebuild from it) but may mark
    /// more lines changed than needed.
    pub minimal: bool,
}

static DIFFS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

#[utoipa::path(tag = "drafts", security(("bearer" = [])),
    params(("id" = Uuid, Path), DiffQuery), description = "A line diff of the bodies of two revisions.",
    responses(
        (status = 200, body = DiffView),
        ReadErrors,
    ))]
#[get("/drafts/{id}/diff")]
pub async fn diff(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<DiffQuery>,
) -> Result<web::Json<DiffView>, ApiError> {
    let (old, new) = reads::revision_pair(&state, &user, *id, query.from, query.to).await?;
    // Off the request threads, one diff at a time per process: a diff of
    // two large bodies is CPU-bound work that must not hold other requests.
    let _turn = DIFFS.acquire().await.map_err(ApiError::internal)?;
    let headers = (
        format!("revision {}", old.number),
        format!("revision {}", new.number),
    );
    let (old_body, new_body) = (old.body, new.body);
    let computed = tokio::task::spawn_blocking(move || {
        line_diff::line_diff(
            &old_body,
            &new_body,
            (&headers.0, &headers.1),
            line_diff::TIME_BOUND,
        )
    })
    .await
    .map_err(ApiError::internal)?;
    let lines = computed
        .lines
        .into_iter()
        .map(|l| DiffLine {
            op: match l.op {
                ChangeTag::Equal => "equal",
                ChangeTag::Delete => "delete",
                ChangeTag::Insert => "insert",
            },
            old_line: l.old_line,
            new_line: l.new_line,
            text: l.text,
        })
        .collect();
    let unified = computed.unified;
    let mut fields_changed = Vec::new();
    for (name, a, b) in [
        ("title", &old.title, &new.title),
        ("summary", &old.summary, &new.summary),
        ("format", &old.format, &new.format),
    ] {
        if a != b {
            fields_changed.push(name.to_string());
        }
    }
    Ok(web::Json(DiffView {
        from: old.number,
        to: new.number,
        from_hash: old.content_hash,
        to_hash: new.content_hash,
        fields_changed,
        lines,
        unified,
        minimal: computed.minimal,
    }))
}
