//! Machine-check reports stored on submit (SPEC §6).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::check_reports;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = check_reports)]
pub struct ReportRow {
    pub id: i64,
    pub draft_id: Uuid,
    pub revision: i32,
    pub content_hash: String,
    pub lexicon_versions: serde_json::Value,
    pub findings: serde_json::Value,
    pub report_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = check_reports)]
pub struct NewReport<'a> {
    pub draft_id: Uuid,
    pub revision: i32,
    pub content_hash: &'a str,
    pub lexicon_versions: serde_json::Value,
    pub findings: serde_json::Value,
    pub report_hash: &'a str,
}

pub async fn insert(conn: &mut AsyncPgConnection, report: &NewReport<'_>) -> QueryResult<()> {
    diesel::insert_into(check_reports::table)
        .values(report)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The newest report of a draft.
pub async fn latest(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
) -> QueryResult<Option<ReportRow>> {
    check_reports::table
        .filter(check_reports::draft_id.eq(draft_id))
        .order(check_reports::id.desc())
        .select(ReportRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The newest report of a draft on `content_hash`: the one an approval of
/// that text must acknowledge.
pub async fn latest_for(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    content_hash: &str,
) -> QueryResult<Option<ReportRow>> {
    check_reports::table
        .filter(check_reports::draft_id.eq(draft_id))
        .filter(check_reports::content_hash.eq(content_hash))
        .order(check_reports::id.desc())
        .select(ReportRow::as_select())
        .first(conn)
        .await
        .optional()
}
