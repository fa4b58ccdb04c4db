//! The SQL of the monthly bulletin of SPEC §9 (月通报), counted inside
//! PostgreSQL (no draft is loaded to be counted), and of department quotas.
//! The register's page is in `db/register.rs`, the sweep's lookup in
//! `db/sweep.rs`.
//!
//! The bulletin counts what happened in the month from the trail, by the
//! events' statuses rather than their action names where it can, so that
//! any action that publishes, returns or withdraws is counted alike.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::department_quotas;

/// Which rows a bulletin row sums: one department and channel, one
/// department over all channels, or everything (both flags set).
#[derive(Debug, Clone, QueryableByName)]
pub struct Scope {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub department_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub channel: Option<String>,
    #[diesel(sql_type = Bool)]
    pub all_departments: bool,
    #[diesel(sql_type = Bool)]
    pub all_channels: bool,
}

/// The grouping every bulletin query shares: (department, channel), then
/// each department over all its channels, then the whole office.
const SCOPES: &str = "GROUPING SETS ((department_id, channel), (department_id), ())";
const SCOPE_COLUMNS: &str = "department_id, channel, \
    GROUPING(department_id) = 1 AS all_departments, GROUPING(channel) = 1 AS all_channels";

#[derive(Debug, Clone, QueryableByName)]
pub struct CountRow {
    #[diesel(embed)]
    pub scope: Scope,
    #[diesel(sql_type = BigInt)]
    pub submitted: i64,
    #[diesel(sql_type = BigInt)]
    pub published: i64,
    #[diesel(sql_type = BigInt)]
    pub returned: i64,
    #[diesel(sql_type = BigInt)]
    pub withdrawn: i64,
    #[diesel(sql_type = BigInt)]
    pub retracted: i64,
    #[diesel(sql_type = BigInt)]
    pub corrected: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue_steps: i64,
}

/// Counts per scope of what happened in `[start, end)`. Submitted counts
/// drafts (a resubmission after a return is the same item); the others
/// count events. `corrected` (SPEC §7) is read from the drafts' status,
/// dated by their last change, since a correction's own events belong to
/// the correcting draft.
pub async fn counts(
    conn: &mut AsyncPgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Vec<CountRow>> {
    diesel::sql_query(format!(
        "WITH happened AS (
            SELECT d.department_id, d.channel, e.draft_id,
                   CASE WHEN e.action = 'draft_submitted' THEN 'submitted'
                        WHEN e.action = 'step_overdue' THEN 'overdue'
                        ELSE e.to_status END AS kind
            FROM audit_events e JOIN drafts d ON d.id = e.draft_id
            WHERE e.occurred_at >= $1 AND e.occurred_at < $2
              AND (e.action IN ('draft_submitted', 'step_overdue')
                   OR (e.to_status IN ('published', 'returned', 'withdrawn', 'retracted')
                       AND e.from_status IS DISTINCT FROM e.to_status))
            UNION ALL
            SELECT department_id, channel, id, 'corrected' FROM drafts
            WHERE status = 'corrected' AND updated_at >= $1 AND updated_at < $2
        )
        SELECT {SCOPE_COLUMNS},
            count(DISTINCT draft_id) FILTER (WHERE kind = 'submitted') AS submitted,
            count(*) FILTER (WHERE kind = 'published') AS published,
            count(*) FILTER (WHERE kind = 'returned') AS returned,
            count(*) FILTER (WHERE kind = 'withdrawn') AS withdrawn,
            count(*) FILTER (WHERE kind = 'retracted') AS retracted,
            count(DISTINCT draft_id) FILTER (WHERE kind = 'corrected') AS corrected,
            count(*) FILTER (WHERE kind = 'overdue') AS overdue_steps
        FROM happened GROUP BY {SCOPES}"
    ))
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(conn)
    .await
}

#[derive(Debug, Clone, QueryableByName)]
pub struct HoursRow {
    #[diesel(embed)]
    pub scope: Scope,
    #[diesel(sql_type = BigInt)]
    pub items: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub p50: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p90: Option<f64>,
}

/// Hours from the last submit to publishable, for each draft that became
/// publishable in the month (interpolated percentiles, `percentile_cont`).
pub async fn hours_to_publishable(
    conn: &mut AsyncPgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Vec<HoursRow>> {
    diesel::sql_query(format!(
        "WITH ready AS (
            SELECT d.department_id, d.channel, e.occurred_at - (
                SELECT s.occurred_at FROM audit_events s
                WHERE s.draft_id = e.draft_id AND s.action = 'draft_submitted' AND s.seq < e.seq
                ORDER BY s.seq DESC LIMIT 1) AS took
            FROM audit_events e JOIN drafts d ON d.id = e.draft_id
            WHERE e.occurred_at >= $1 AND e.occurred_at < $2
              AND e.to_status = 'publishable' AND e.from_status IS DISTINCT FROM 'publishable'
        ), hours AS (
            SELECT department_id, channel, extract(epoch FROM took)::float8 / 3600 AS h
            FROM ready WHERE took IS NOT NULL
        )
        SELECT {SCOPE_COLUMNS}, count(*) AS items,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY h) AS p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY h) AS p90
        FROM hours GROUP BY {SCOPES}"
    ))
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(conn)
    .await
}

#[derive(Debug, Clone, QueryableByName)]
pub struct KeyedCount {
    #[diesel(embed)]
    pub scope: Scope,
    /// A return reason, or a machine-check rule.
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The `top` most frequent return reasons per scope, most frequent first
/// (ties by text, so the list is stable).
pub async fn return_reasons(
    conn: &mut AsyncPgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    top: i64,
) -> QueryResult<Vec<KeyedCount>> {
    diesel::sql_query(format!(
        "WITH r AS (
            SELECT d.department_id, d.channel, coalesce(e.detail->>'reason', '') AS key
            FROM audit_events e JOIN drafts d ON d.id = e.draft_id
            WHERE e.occurred_at >= $1 AND e.occurred_at < $2
              AND e.to_status = 'returned' AND e.from_status IS DISTINCT FROM 'returned'
        ), g AS (
            SELECT {SCOPE_COLUMNS}, key, count(*) AS n FROM r
            GROUP BY GROUPING SETS ((department_id, channel, key), (department_id, key), (key))
        ), ranked AS (
            SELECT g.*, row_number() OVER (
                PARTITION BY department_id, channel, all_departments, all_channels
                ORDER BY n DESC, key) AS place
            FROM g
        )
        SELECT department_id, channel, all_departments, all_channels, key, n
        FROM ranked WHERE place <= $3 ORDER BY n DESC, key"
    ))
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .bind::<BigInt, _>(top)
    .load(conn)
    .await
}

/// Machine-check findings per rule: the sum of `detail.counts` of the
/// month's `check_run` events (SPEC §6), whole numbers only.
pub async fn check_findings(
    conn: &mut AsyncPgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Vec<KeyedCount>> {
    diesel::sql_query(format!(
        "WITH f AS (
            SELECT d.department_id, d.channel, c.key, c.value
            FROM audit_events e JOIN drafts d ON d.id = e.draft_id
            CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(e.detail->'counts') = 'object'
                                          THEN e.detail->'counts' ELSE '{{}}'::jsonb END) c
            WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.action = 'check_run'
              AND jsonb_typeof(c.value) = 'number'
        )
        SELECT {SCOPE_COLUMNS}, key, sum(trunc(value::numeric))::bigint AS n FROM f
        GROUP BY GROUPING SETS ((department_id, channel, key), (department_id, key), (key))
        ORDER BY key"
    ))
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(conn)
    .await
}

#[derive(Debug, Clone, QueryableByName)]
pub struct DepartmentQuotaRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Int4>)]
    pub quota: Option<i32>,
}

/// Every department with the quota in force just before `at`.
pub async fn departments_with_quota(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
) -> QueryResult<Vec<DepartmentQuotaRow>> {
    diesel::sql_query(
        "SELECT dep.id, dep.code, dep.name, (
            SELECT q.monthly_items FROM department_quotas q
            WHERE q.department_id = dep.id AND q.set_at < $1
            ORDER BY q.set_at DESC, q.id DESC LIMIT 1) AS quota
        FROM departments dep ORDER BY dep.code",
    )
    .bind::<Timestamptz, _>(at)
    .load(conn)
    .await
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ChannelLastRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_published_at: Option<DateTime<Utc>>,
}

/// Each channel's last publication before `at`.
pub async fn channels_last_published(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
) -> QueryResult<Vec<ChannelLastRow>> {
    diesel::sql_query(
        "SELECT c.code, c.name, c.created_at, (
            SELECT max(e.occurred_at) FROM audit_events e JOIN drafts d ON d.id = e.draft_id
            WHERE e.to_status = 'published' AND e.occurred_at < $1 AND d.channel = c.code
        ) AS last_published_at
        FROM channels c ORDER BY c.code",
    )
    .bind::<Timestamptz, _>(at)
    .load(conn)
    .await
}

/// The quota now in force for a department, if one was ever set.
pub async fn current_quota(
    conn: &mut AsyncPgConnection,
    department: Uuid,
) -> QueryResult<Option<i32>> {
    department_quotas::table
        .filter(department_quotas::department_id.eq(department))
        .order((
            department_quotas::set_at.desc(),
            department_quotas::id.desc(),
        ))
        .select(department_quotas::monthly_items)
        .first(conn)
        .await
        .optional()
}

pub async fn insert_quota(
    conn: &mut AsyncPgConnection,
    department: Uuid,
    monthly_items: i32,
    by: Uuid,
) -> QueryResult<usize> {
    diesel::insert_into(department_quotas::table)
        .values((
            department_quotas::department_id.eq(department),
            department_quotas::monthly_items.eq(monthly_items),
            department_quotas::set_by.eq(by),
        ))
        .execute(conn)
        .await
}

/// Locks the department row, so that quota changes of one department
/// serialize and each event's `from` is the value it replaced.
pub async fn lock_department(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    use crate::db::schema::departments;
    departments::table
        .find(id)
        .select(departments::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|found| found.is_some())
}
