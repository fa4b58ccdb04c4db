//! Lexicons (错敏词库) and their entries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{lexicon_entries, lexicons};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lexicons)]
pub struct LexiconRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub channels: Option<Vec<String>>,
    pub version: i32,
    pub entry_count: i32,
    pub entries_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lexicon_entries)]
pub struct EntryRow {
    pub position: i32,
    pub term: String,
    pub severity: String,
    pub suggestion: Option<String>,
    pub note: Option<String>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    code: &str,
    name: &str,
    channels: Option<&[String]>,
) -> QueryResult<LexiconRow> {
    diesel::insert_into(lexicons::table)
        .values((
            lexicons::id.eq(Uuid::new_v4()),
            lexicons::code.eq(code),
            lexicons::name.eq(name),
            lexicons::channels.eq(channels),
        ))
        .returning(LexiconRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<LexiconRow>> {
    lexicons::table
        .select(LexiconRow::as_select())
        .order(lexicons::code.asc())
        .load(conn)
        .await
}

/// The lexicons applying to `channel`, with their versions: what a check
/// reads before it runs, to see whether its compiled copies are current.
pub async fn for_channel(
    conn: &mut AsyncPgConnection,
    channel: &str,
) -> QueryResult<Vec<LexiconRow>> {
    lexicons::table
        .filter(
            lexicons::channels
                .is_null()
                .or(lexicons::channels.contains(vec![channel.to_string()])),
        )
        .select(LexiconRow::as_select())
        .order(lexicons::code.asc())
        .load(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<LexiconRow>> {
    lexicons::table
        .filter(lexicons::code.eq(code))
        .select(LexiconRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Locks the lexicon row, so replacements of one lexicon take turns.
pub async fn lock(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<LexiconRow>> {
    lexicons::table
        .filter(lexicons::code.eq(code))
        .select(LexiconRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// All entries of a lexicon, in their order.
pub async fn entries(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<EntryRow>> {
    lexicon_entries::table
        .filter(lexicon_entries::lexicon_id.eq(id))
        .select(EntryRow::as_select())
        .order(lexicon_entries::position.asc())
        .load(conn)
        .await
}

/// A page of entries after `after` (a position), optionally only those
/// whose term contains `q` (case-insensitive).
pub async fn entries_page(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    q: Option<&str>,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<EntryRow>> {
    let mut query = lexicon_entries::table
        .filter(lexicon_entries::lexicon_id.eq(id))
        .filter(lexicon_entries::position.gt(after.unwrap_or(-1)))
        .select(EntryRow::as_select())
        .order(lexicon_entries::position.asc())
        .limit(limit)
        .into_boxed();
    if let Some(q) = q {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(lexicon_entries::term.ilike(format!("%{escaped}%")));
    }
    query.load(conn).await
}

/// The columns of a replacement, one vector per column.
#[derive(Debug, Default)]
pub struct Columns {
    pub terms: Vec<String>,
    pub severities: Vec<String>,
    pub suggestions: Vec<Option<String>>,
    pub notes: Vec<Option<String>>,
}

/// Replaces every entry of lexicon `id` and bumps its version; returns the
/// new version. Inside the caller's transaction, after `lock`. The rows go
/// in as one `unnest` of five arrays: one statement whatever the count
/// (200,000 rows would need 20 statements under the bind limit).
pub async fn replace(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    columns: Columns,
    sha256: &str,
) -> QueryResult<i32> {
    diesel::delete(lexicon_entries::table.filter(lexicon_entries::lexicon_id.eq(id)))
        .execute(conn)
        .await?;
    let count = i32::try_from(columns.terms.len()).unwrap_or(i32::MAX);
    let positions: Vec<i32> = (0..count).collect();
    diesel::sql_query(
        "INSERT INTO lexicon_entries (lexicon_id, position, term, severity, suggestion, note) \
         SELECT $1, * FROM unnest($2::int4[], $3::text[], $4::text[], $5::text[], $6::text[])",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Int4>, _>(positions)
    .bind::<Array<Text>, _>(columns.terms)
    .bind::<Array<Text>, _>(columns.severities)
    .bind::<Array<Nullable<Text>>, _>(columns.suggestions)
    .bind::<Array<Nullable<Text>>, _>(columns.notes)
    .execute(conn)
    .await?;
    diesel::update(lexicons::table.find(id))
        .set((
            lexicons::version.eq(lexicons::version + 1),
            lexicons::entry_count.eq(count),
            lexicons::entries_sha256.eq(sha256),
            lexicons::updated_at.eq(Utc::now()),
        ))
        .returning(lexicons::version)
        .get_result(conn)
        .await
}
