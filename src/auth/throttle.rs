//! Login throttling (SPEC §3): per (username, address) after 5 consecutive
//! failures, a wait doubling from 1 minute up to 15; per username at most
//! 100 failures an hour from all addresses, except from an address the user
//! logged in from in the last 30 days. Every attempt is reserved before
//! argon2 runs, so parallel attempts are counted like sequential ones.

use chrono::{DateTime, Duration, Utc};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use sha2::{Digest, Sha256};

use crate::db::throttle::{self as db, Standing};

pub const FREE_FAILURES: i32 = 5;
pub const HOURLY_CAP: i64 = 100;
const FIRST_WAIT_SECONDS: i64 = 60;
const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// A reservation older than this was left by a process that died mid-login.
const RESERVATION_SECONDS: f64 = 120.0;
/// Retry-After when only attempts still in flight stand in the way.
const IN_FLIGHT_WAIT_SECONDS: u64 = 1;

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

/// The throttle key: usernames compare without case, like the accounts. A
/// name longer than any account's (SPEC §1: at most 64) is keyed by its
/// hash, so that no client-sent length reaches an index.
pub fn key(username: &str) -> String {
    let lower = username.to_lowercase();
    if lower.chars().count() <= 64 {
        lower
    } else {
        format!("sha256:{}", hex::encode(Sha256::digest(lower.as_bytes())))
    }
}

/// A login allowed on to argon2. Until its verdict is recorded it counts as
/// a failure, so that attempts sent at once cannot all be evaluated.
#[derive(Debug)]
pub struct Reservation {
    id: i64,
    key: String,
    ip: String,
}

#[derive(Debug)]
pub enum Admission {
    Go(Reservation),
    /// Throttled: seconds to wait.
    Wait(u64),
}

/// Decides whether a login for (key, ip) may be evaluated now and, if so,
/// reserves its place. Runs in the caller's transaction: the per-username
/// advisory lock serializes admissions across all instances until commit.
pub async fn admit(conn: &mut AsyncPgConnection, key: &str, ip: &str) -> QueryResult<Admission> {
    db::lock(conn, key).await?;
    db::drop_stale_attempts(conn, key, RESERVATION_SECONDS).await?;
    let now = Utc::now();
    let s = db::standing(conn, key, ip, now, HOURLY_CAP).await?;
    if let Some(wait) = judge(&s, now) {
        return Ok(Admission::Wait(wait));
    }
    let id = db::reserve(conn, key, ip).await?;
    Ok(Admission::Go(Reservation {
        id,
        key: key.to_string(),
        ip: ip.to_string(),
    }))
}

/// The wait for a standing, or None if one more attempt may be evaluated.
fn judge(s: &Standing, now: DateTime<Utc>) -> Option<u64> {
    if let Some(until) = s.locked_until
        && until > now
    {
        return Some(ceil_seconds(until - now).max(1));
    }
    // Out of a lock-out, one attempt at a time; before it, only as many as
    // are left before the fifth consecutive failure.
    // Attempts in flight are decided within a second or so: if they fail,
    // the lock-out they earn is what the next try meets; if they succeed,
    // it may go on. So the wait they impose is a second, not a lock-out.
    let allowed = i64::from((FREE_FAILURES - s.consecutive).max(1));
    if s.here_in_flight >= allowed {
        return Some(IN_FLIGHT_WAIT_SECONDS);
    }
    // The owner's known address is spared the cap across addresses, so that
    // strangers failing on purpose cannot lock the owner out.
    if !s.known_address && s.hourly_failures + s.all_in_flight >= HOURLY_CAP {
        return Some(match s.oldest_counted {
            // Free again when the oldest of the last hundred leaves the window.
            Some(oldest) if s.hourly_failures >= HOURLY_CAP => {
                ceil_seconds(oldest + Duration::hours(1) - now).max(1)
            }
            _ => IN_FLIGHT_WAIT_SECONDS,
        });
    }
    None
}

/// Records a failed verdict; returns the consecutive count for this (key, ip).
pub async fn failed(conn: &mut AsyncPgConnection, r: Reservation) -> QueryResult<i32> {
    db::release(conn, r.id).await?;
    let failures = db::add_failure(conn, &r.key, &r.ip).await?;
    if let Some(wait) = wait_after(failures) {
        db::lock_out(conn, &r.key, &r.ip, Utc::now() + wait).await?;
    }
    Ok(failures)
}

/// Gives the reservation back unjudged: the password was never verified.
pub async fn abandoned(conn: &mut AsyncPgConnection, r: Reservation) -> QueryResult<()> {
    db::release(conn, r.id).await
}

/// Records a successful login: the consecutive count is cleared and the
/// address becomes one the owner is known to use.
pub async fn succeeded(conn: &mut AsyncPgConnection, r: Reservation) -> QueryResult<()> {
    db::release(conn, r.id).await?;
    db::clear(conn, &r.key, &r.ip).await?;
    db::remember_address(conn, &r.key, &r.ip).await
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
