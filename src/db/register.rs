//! The register's SQL (信息发布登记台账, SPEC §9): one page of publications
//! at a time, each with the signers of its published revision.

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// What the register's filters select.
#[derive(Debug, Clone, Default)]
pub struct RegisterFilter {
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One publication in the register (信息发布登记台账).
#[derive(Debug, Clone, QueryableByName)]
pub struct RegisterRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub draft_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub department_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub department_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub source_kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub source_origin: Option<String>,
    #[diesel(sql_type = Text)]
    pub author: String,
    #[diesel(sql_type = Text)]
    pub author_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Text)]
    pub content_hash: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    /// `{stage: [username, …]}`: the approvals of the published revision
    /// in the round that made it publishable, in signing order.
    #[diesel(sql_type = Jsonb)]
    pub signers: serde_json::Value,
}

/// Publications after event `after` up to event `through` (the register's
/// own access event), in chain order, at most `limit`.
pub async fn register_page(
    conn: &mut AsyncPgConnection,
    filter: &RegisterFilter,
    after: i64,
    through: i64,
    limit: i64,
) -> QueryResult<Vec<RegisterRow>> {
    diesel::sql_query(
        "SELECT e.seq, e.occurred_at AS published_at, e.draft_id, d.channel,
            dep.code AS department_code, dep.name AS department_name, r.title,
            d.source_kind, d.source_origin, au.username AS author, au.display_name AS author_name,
            coalesce(e.detail->>'url', d.published_url) AS url,
            r.content_hash, d.status,
            coalesce((SELECT jsonb_object_agg(x.stage, x.signers) FROM (
                SELECT s.stage, jsonb_agg(u.username ORDER BY s.signed_at, u.username) AS signers
                FROM signoffs s JOIN users u ON u.id = s.signer_id
                WHERE s.draft_id = e.draft_id AND s.revision = e.revision
                  AND s.round = d.round AND s.decision = 'approve'
                GROUP BY s.stage) x), '{}'::jsonb) AS signers
        FROM audit_events e
        JOIN drafts d ON d.id = e.draft_id
        JOIN revisions r ON r.draft_id = e.draft_id AND r.number = e.revision
        JOIN users au ON au.id = d.author_id
        LEFT JOIN departments dep ON dep.id = d.department_id
        WHERE e.to_status = 'published' AND e.from_status IS DISTINCT FROM 'published'
          AND e.seq > $1 AND e.seq <= $2
          AND ($3::timestamptz IS NULL OR e.occurred_at >= $3)
          AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
          AND ($5::text IS NULL OR d.channel = $5)
          AND ($6::uuid IS NULL OR d.department_id = $6)
        ORDER BY e.seq LIMIT $7",
    )
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(through)
    .bind::<Nullable<Timestamptz>, _>(filter.since)
    .bind::<Nullable<Timestamptz>, _>(filter.until)
    .bind::<Nullable<Text>, _>(filter.channel.as_deref())
    .bind::<Nullable<SqlUuid>, _>(filter.department_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}
