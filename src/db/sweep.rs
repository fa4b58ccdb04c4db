//! The sweep's SQL (定期排查, SPEC §9): the live items a batch of scraped
//! ones may be.

use diesel::QueryResult;
use diesel::QueryableByName;
use diesel::sql_types::{Array, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// A published item the sweep matched.
#[derive(Debug, Clone, QueryableByName)]
pub struct PublishedItem {
    #[diesel(sql_type = SqlUuid)]
    pub draft_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Text)]
    pub content_hash: String,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// Items that went live (published, later retracted or corrected): content
/// cannot change once publishable, so the current revision is the one
/// published. Matched by content hash, by (channel, title) or by (channel, url).
pub async fn published_matching(
    conn: &mut AsyncPgConnection,
    hashes: &[String],
    titles: &[(String, String)],
    urls: &[(String, String)],
) -> QueryResult<Vec<PublishedItem>> {
    let (title_channels, title_texts): (Vec<&str>, Vec<&str>) =
        titles.iter().map(|(c, t)| (c.as_str(), t.as_str())).unzip();
    let (url_channels, url_texts): (Vec<&str>, Vec<&str>) =
        urls.iter().map(|(c, u)| (c.as_str(), u.as_str())).unzip();
    diesel::sql_query(
        "SELECT d.id AS draft_id, d.channel, r.title, d.published_url AS url, r.content_hash, d.status
        FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.number = d.revision
        WHERE d.status IN ('published', 'retracted', 'corrected')
          AND (r.content_hash = ANY($1)
               OR (d.channel, r.title) IN (SELECT * FROM unnest($2::text[], $3::text[]))
               OR (d.channel, d.published_url) IN (SELECT * FROM unnest($4::text[], $5::text[])))
        ORDER BY d.id",
    )
    .bind::<Array<Text>, _>(hashes)
    .bind::<Array<Text>, _>(title_channels)
    .bind::<Array<Text>, _>(title_texts)
    .bind::<Array<Text>, _>(url_channels)
    .bind::<Array<Text>, _>(url_texts)
    .load(conn)
    .await
}
