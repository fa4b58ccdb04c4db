//! The login throttle's tables (SPEC §3): consecutive failures per
//! (username, address), failures per username, attempts in flight, and the
//! addresses each user has logged in from. The rules are in `auth::throttle`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz};
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{login_failures, login_throttle};

/// What the throttle knows of (username, address) at one instant.
#[derive(Debug, QueryableByName)]
pub struct Standing {
    #[diesel(sql_type = Integer)]
    pub consecutive: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub locked_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub here_in_flight: i64,
    #[diesel(sql_type = BigInt)]
    pub all_in_flight: i64,
    #[diesel(sql_type = Bool)]
    pub known_address: bool,
    #[diesel(sql_type = BigInt)]
    pub hourly_failures: i64,
    /// The oldest of the last `cap` failures within the hour.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub oldest_counted: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Serializes admissions for `key` across all instances until the
/// transaction ends.
pub async fn lock(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<()> {
    sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 1339))")
        .bind::<Text, _>(format!("login:{key}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops reservations of `key` older than `seconds`: left by a process
/// that died mid-login.
pub async fn drop_stale_attempts(
    conn: &mut AsyncPgConnection,
    key: &str,
    seconds: f64,
) -> QueryResult<()> {
    sql_query(
        "DELETE FROM login_attempts WHERE username = $1 \
         AND started_at < now() - make_interval(secs => $2)",
    )
    .bind::<Text, _>(key)
    .bind::<Double, _>(seconds)
    .execute(conn)
    .await?;
    Ok(())
}

/// The standing of (key, ip) at `now`, counting at most `cap` recent failures.
pub async fn standing(
    conn: &mut AsyncPgConnection,
    key: &str,
    ip: &str,
    now: DateTime<Utc>,
    cap: i64,
) -> QueryResult<Standing> {
    // One statement, so one snapshot: a verdict commits its failure and
    // drops its reservation at once, and is counted exactly once here.
    sql_query(
        "SELECT \
           coalesce((SELECT consecutive_failures FROM login_throttle WHERE username = $1 AND ip = $2), 0) AS consecutive, \
           (SELECT locked_until FROM login_throttle WHERE username = $1 AND ip = $2) AS locked_until, \
           (SELECT count(*) FROM login_attempts WHERE username = $1 AND ip = $2) AS here_in_flight, \
           (SELECT count(*) FROM login_attempts WHERE username = $1) AS all_in_flight, \
           EXISTS (SELECT 1 FROM login_known_addresses WHERE username = $1 AND ip = $2 \
                   AND last_success_at > $3 - interval '30 days') AS known_address, \
           (SELECT count(*) FROM login_failures WHERE username = $1 AND failed_at > $3 - interval '1 hour') AS hourly_failures, \
           (SELECT min(failed_at) FROM (SELECT failed_at FROM login_failures \
              WHERE username = $1 AND failed_at > $3 - interval '1 hour' \
              ORDER BY failed_at DESC LIMIT $4) recent) AS oldest_counted",
    )
    .bind::<Text, _>(key)
    .bind::<Text, _>(ip)
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(cap)
    .get_result(conn)
    .await
}

/// Reserves a place for one attempt; returns its id.
pub async fn reserve(conn: &mut AsyncPgConnection, key: &str, ip: &str) -> QueryResult<i64> {
    let reserved: Reserved =
        sql_query("INSERT INTO login_attempts (username, ip) VALUES ($1, $2) RETURNING id")
            .bind::<Text, _>(key)
            .bind::<Text, _>(ip)
            .get_result(conn)
            .await?;
    Ok(reserved.id)
}

pub async fn release(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    sql_query("DELETE FROM login_attempts WHERE id = $1")
        .bind::<BigInt, _>(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts one failure; returns the consecutive count for (key, ip).
pub async fn add_failure(conn: &mut AsyncPgConnection, key: &str, ip: &str) -> QueryResult<i32> {
    diesel::insert_into(login_failures::table)
        .values(login_failures::username.eq(key))
        .execute(conn)
        .await?;
    diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::username.eq(key),
            login_throttle::ip.eq(ip),
            login_throttle::consecutive_failures.eq(1),
        ))
        .on_conflict((login_throttle::username, login_throttle::ip))
        .do_update()
        .set(
            login_throttle::consecutive_failures.eq(login_throttle::consecutive_failures
                + excluded(login_throttle::consecutive_failures)),
        )
        .returning(login_throttle::consecutive_failures)
        .get_result(conn)
        .await
}

pub async fn lock_out(
    conn: &mut AsyncPgConnection,
    key: &str,
    ip: &str,
    until: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(login_throttle::table.find((key, ip)))
        .set(login_throttle::locked_until.eq(until))
        .execute(conn)
        .await?;
    Ok(())
}

/// Clears the consecutive count for (key, ip).
pub async fn clear(conn: &mut AsyncPgConnection, key: &str, ip: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find((key, ip)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Notes that the owner of `key` logged in from `ip` just now.
pub async fn remember_address(
    conn: &mut AsyncPgConnection,
    key: &str,
    ip: &str,
) -> QueryResult<()> {
    sql_query(
        "INSERT INTO login_known_addresses (username, ip, last_success_at) VALUES ($1, $2, now()) \
         ON CONFLICT (username, ip) DO UPDATE SET last_success_at = excluded.last_success_at",
    )
    .bind::<Text, _>(key)
    .bind::<Text, _>(ip)
    .execute(conn)
    .await?;
    Ok(())
}
