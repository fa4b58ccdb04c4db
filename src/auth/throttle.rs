//! Login throttling (SPEC §3): per (username, address) after 5 consecutive
//! failures, a wait doubling from 1 minute up to 15; per username at most
//! 100 failures an hour from all addresses.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{login_failures, login_throttle};

pub const FREE_FAILURES: i32 = 5;
pub const HOURLY_CAP: i64 = 100;
const FIRST_WAIT_SECONDS: i64 = 60;
const MAX_WAIT_SECONDS: i64 = 15 * 60;

/// The wait imposed after the `failures`-th consecutive failure, if any.
pub fn wait_after(failures: i32) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(10);
    let seconds = FIRST_WAIT_SECONDS
        .saturating_mul(1 << doublings)
        .min(MAX_WAIT_SECONDS);
    Some(Duration::seconds(seconds))
}

/// The throttle key: usernames compare without case, like the accounts.
pub fn key(username: &str) -> String {
    username.to_lowercase()
}

/// Seconds the caller must still wait, or None if they may try now.
pub async fn retry_after(
    conn: &mut AsyncPgConnection,
    key: &str,
    ip: &str,
) -> QueryResult<Option<u64>> {
    let now = Utc::now();
    let locked: Option<Option<DateTime<Utc>>> = login_throttle::table
        .find((key, ip))
        .select(login_throttle::locked_until)
        .first(conn)
        .await
        .optional()?;
    if let Some(Some(until)) = locked
        && until > now
    {
        return Ok(Some(ceil_seconds(until - now)));
    }
    let hour_ago = now - Duration::hours(1);
    let recent: Vec<DateTime<Utc>> = login_failures::table
        .filter(
            login_failures::username
                .eq(key)
                .and(login_failures::failed_at.gt(hour_ago)),
        )
        .select(login_failures::failed_at)
        .order(login_failures::failed_at.desc())
        .limit(HOURLY_CAP)
        .load(conn)
        .await?;
    if recent.len() as i64 >= HOURLY_CAP
        && let Some(oldest) = recent.last()
    {
        // Free again when the oldest of the last hundred leaves the window.
        return Ok(Some(
            ceil_seconds(*oldest + Duration::hours(1) - now).max(1),
        ));
    }
    Ok(None)
}

/// Records a failure; returns the consecutive count for this (key, ip).
pub async fn record_failure(conn: &mut AsyncPgConnection, key: &str, ip: &str) -> QueryResult<i32> {
    diesel::insert_into(login_failures::table)
        .values(login_failures::username.eq(key))
        .execute(conn)
        .await?;
    let failures: i32 = diesel::insert_into(login_throttle::table)
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
        .await?;
    if let Some(wait) = wait_after(failures) {
        diesel::update(login_throttle::table.find((key, ip)))
            .set(login_throttle::locked_until.eq(Utc::now() + wait))
            .execute(conn)
            .await?;
    }
    Ok(failures)
}

/// A success clears the consecutive count for this (key, ip).
pub async fn record_success(conn: &mut AsyncPgConnection, key: &str, ip: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find((key, ip)))
        .execute(conn)
        .await?;
    Ok(())
}

fn ceil_seconds(d: Duration) -> u64 {
    let ms = d.num_milliseconds().max(0);
    u64::try_from((ms + 999) / 1000).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_one_minute_to_fifteen() {
        let waits: Vec<Option<i64>> = (1..=10)
            .map(|n| wait_after(n).map(|d| d.num_seconds()))
            .collect();
        assert_eq!(
            waits,
            vec![
                None,
                None,
                None,
                None,
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900),
                Some(900)
            ]
        );
        assert_eq!(wait_after(i32::MAX).map(|d| d.num_seconds()), Some(900));
    }
}
