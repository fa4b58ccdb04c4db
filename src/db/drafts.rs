//! Drafts, revisions, sign-offs and comments: rows and their queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::fixed_text::{FixedText, prebuilt};
use crate::db::schema::{comments, drafts, revisions, signoffs, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = drafts)]
pub struct DraftRow {
    pub id: Uuid,
    pub channel: String,
    pub author_id: Uuid,
    pub department_id: Option<Uuid>,
    pub risk_level: String,
    pub status: String,
    pub current_stage: Option<String>,
    pub workflow_version: Option<i32>,
    pub revision: i32,
    pub round: i32,
    pub published_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the draft stands on its route (SPEC §5), as the domain last
    /// computed it: kept for /tasks and the lists, which ask in SQL.
    pub current_step: Option<i32>,
    pub current_stages: Vec<String>,
    /// SPEC §7: `original` or `reprint` (with `source_origin`).
    pub source_kind: String,
    pub source_origin: Option<String>,
    /// SPEC §7: the published draft this one corrects, and its 更正说明.
    pub corrects: Option<Uuid>,
    pub correction_note: Option<String>,
    /// The correction whose publication made this draft `corrected`.
    pub corrected_by: Option<Uuid>,
    /// When the open step falls due (SPEC §8), and whether it has.
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = revisions)]
pub struct RevisionRow {
    pub draft_id: Uuid,
    pub number: i32,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub format: String,
    pub content_hash: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signoffs)]
// None is NULL, not DEFAULT: the statement's text then never varies, so
// it is prepared once per connection (diesel caches no DEFAULT insert).
#[diesel(treat_none_as_default_value = false)]
pub struct SignoffRow {
    pub id: Uuid,
    pub draft_id: Uuid,
    pub revision: i32,
    pub round: i32,
    pub content_hash: String,
    pub stage: String,
    pub signer_id: Uuid,
    pub decision: String,
    pub comment: Option<String>,
    pub checks: Vec<String>,
    pub signed_at: DateTime<Utc>,
    /// The principal a delegate signed for (代签).
    pub on_behalf_of: Option<Uuid>,
    /// The machine-check finding ids acknowledged (SPEC §6).
    pub acknowledged: Vec<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: Uuid,
    pub draft_id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = drafts)]
pub struct NewDraft<'a> {
    pub id: Uuid,
    pub channel: &'a str,
    pub author_id: Uuid,
    pub department_id: Option<Uuid>,
    pub risk_level: &'a str,
    pub status: &'a str,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source_kind: &'a str,
    pub source_origin: Option<&'a str>,
    pub corrects: Option<Uuid>,
    pub correction_note: Option<&'a str>,
}

/// The changes an action makes to the draft row. `None` writes NULL, so the
/// UPDATE's text never varies: [`set_state`] keeps it prepared.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = drafts, treat_none_as_null = true)]
pub struct DraftState<'a> {
    pub status: &'a str,
    pub current_stage: Option<&'a str>,
    pub workflow_version: Option<i32>,
    pub revision: i32,
    pub round: i32,
    pub published_url: Option<&'a str>,
    pub updated_at: DateTime<Utc>,
    pub current_step: Option<i32>,
    pub current_stages: Vec<&'a str>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// The risk tier, changed on its own (SPEC §5 escalation) with where the
/// draft then stands.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = drafts, treat_none_as_null = true)]
pub struct RiskState<'a> {
    pub risk_level: &'a str,
    pub status: &'a str,
    pub current_stage: Option<&'a str>,
    pub current_step: Option<i32>,
    pub current_stages: Vec<&'a str>,
    pub updated_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewDraft<'_>) -> QueryResult<DraftRow> {
    diesel::insert_into(drafts::table)
        .values(new)
        .returning(DraftRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(mut conn: &AsyncPgConnection, id: Uuid) -> QueryResult<Option<DraftRow>> {
    drafts::table
        .find(id)
        .select(DraftRow::as_select())
        .first(&mut conn)
        .await
        .optional()
}

/// Every action takes this lock first: actions on one draft serialize here,
/// across all sanshen processes (SPEC §2 invariant 6).
pub async fn lock(mut conn: &AsyncPgConnection, id: Uuid) -> QueryResult<Option<DraftRow>> {
    drafts::table
        .find(id)
        .select(DraftRow::as_select())
        .for_update()
        .first(&mut conn)
        .await
        .optional()
}

/// Every action's write of the row: prepared once per connection.
pub async fn set_state(
    mut conn: &AsyncPgConnection,
    id: Uuid,
    state: &DraftState<'_>,
) -> QueryResult<DraftRow> {
    prebuilt!(FixedText(
        diesel::update(drafts::table.find(id))
            .set(state)
            .returning(DraftRow::as_returning()),
    ))
    .get_result(&mut conn)
    .await
}

pub async fn set_risk(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    state: &RiskState<'_>,
) -> QueryResult<DraftRow> {
    diesel::update(drafts::table.find(id))
        .set(state)
        .returning(DraftRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_revision(conn: &mut AsyncPgConnection, row: &RevisionRow) -> QueryResult<()> {
    diesel::insert_into(revisions::table)
        .values(row)
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn revision(
    mut conn: &AsyncPgConnection,
    draft_id: Uuid,
    number: i32,
) -> QueryResult<Option<RevisionRow>> {
    revisions::table
        .find((draft_id, number))
        .select(RevisionRow::as_select())
        .first(&mut conn)
        .await
        .optional()
}

pub async fn revisions_of(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
) -> QueryResult<Vec<RevisionRow>> {
    revisions::table
        .filter(revisions::draft_id.eq(draft_id))
        .order(revisions::number.asc())
        .select(RevisionRow::as_select())
        .load(conn)
        .await
}

pub async fn revisions_with_hash(
    conn: &mut AsyncPgConnection,
    hash: &str,
) -> QueryResult<Vec<RevisionRow>> {
    revisions::table
        .filter(revisions::content_hash.eq(hash))
        .order((revisions::created_at.asc(), revisions::draft_id.asc()))
        .select(RevisionRow::as_select())
        .limit(1000)
        .load(conn)
        .await
}

pub async fn insert_signoff(mut conn: &AsyncPgConnection, row: &SignoffRow) -> QueryResult<()> {
    prebuilt!(diesel::insert_into(signoffs::table).values(row))
        .execute(&mut conn)
        .await
        .map(|_| ())
}

/// Sign-offs of one revision, oldest first, with each signer's username.
pub async fn signoffs_of(
    mut conn: &AsyncPgConnection,
    draft_id: Uuid,
    revision: i32,
) -> QueryResult<Vec<(SignoffRow, String)>> {
    signoffs::table
        .inner_join(users::table.on(users::id.eq(signoffs::signer_id)))
        .filter(
            signoffs::draft_id
                .eq(draft_id)
                .and(signoffs::revision.eq(revision)),
        )
        .order((signoffs::signed_at.asc(), signoffs::id.asc()))
        .select((SignoffRow::as_select(), users::username))
        .load(&mut conn)
        .await
}

pub async fn insert_comment(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    author_id: Uuid,
    body: &str,
) -> QueryResult<CommentRow> {
    diesel::insert_into(comments::table)
        .values((
            comments::id.eq(Uuid::new_v4()),
            comments::draft_id.eq(draft_id),
            comments::author_id.eq(author_id),
            comments::body.eq(body),
        ))
        .returning(CommentRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn comments_of(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<(CommentRow, String)>> {
    let mut query = comments::table
        .inner_join(users::table.on(users::id.eq(comments::author_id)))
        .filter(comments::draft_id.eq(draft_id))
        .select((CommentRow::as_select(), users::username))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            comments::created_at
                .gt(at)
                .or(comments::created_at.eq(at).and(comments::id.gt(id))),
        );
    }
    query
        .order((comments::created_at.asc(), comments::id.asc()))
        .limit(limit)
        .load(conn)
        .await
}
