//! The rules of the monthly bulletin (信息编发月通报, SPEC §9) that need no
//! database: which instants a month covers, when a channel counts as
//! silent (长期不更新), quota shares and the ranking (排名).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

/// Months are the office's months: China Standard Time (UTC+8, no daylight
/// saving), so an item published at 07:00 on the 1st in Beijing counts in
/// the month it was published there, not in the previous one by UTC.
pub const OFFICE_UTC_OFFSET_SECONDS: i32 = 8 * 3600;

/// A channel with no publication for this many days is flagged.
pub const SILENT_DAYS: i64 = 14;

/// A calendar month, `YYYY-MM`, of the office's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// `YYYY-MM` exactly: four-digit year 2000–9999, month 01–12.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((2000..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The first instant of the month and the first instant after it, in UTC.
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let (next_year, next_month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        (
            office_midnight(self.year, self.month),
            office_midnight(next_year, next_month),
        )
    }
}

fn office_midnight(year: i32, month: u32) -> DateTime<Utc> {
    // Month::parse admits only dates chrono can hold, so the default is never used.
    let local = NaiveDate::from_ymd_opt(year, month, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN);
    Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(OFFICE_UTC_OFFSET_SECONDS))))
}

/// How long a channel has gone without a publication, as at `at` (the end
/// of the month, or now for the month still running).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// Whole days since the last publication; none if it never published.
    pub days_since_last_publication: Option<i64>,
    /// Silent `SILENT_DAYS` days or more. A channel that never published is
    /// measured from its creation, so a channel opened yesterday is not
    /// flagged but one opened a month ago and never used is.
    pub silent: bool,
}

pub fn silence(
    at: DateTime<Utc>,
    last_published: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
) -> Silence {
    let days = |since: DateTime<Utc>| (at - since).num_days().max(0);
    let measured_from = last_published.unwrap_or(created);
    Silence {
        days_since_last_publication: last_published.map(days),
        silent: at - measured_from >= Duration::days(SILENT_DAYS),
    }
}

/// Published items over the monthly quota; none without a quota, or with
/// a quota of 0 (nothing was asked, so no share of it can be met).
pub fn quota_share(published: i64, quota: Option<i32>) -> Option<f64> {
    match quota {
        Some(q) if q > 0 => Some(published as f64 / f64::from(q)),
        _ => None,
    }
}

/// Competition ranking (1, 2, 2, 4) by published items, most first: equal
/// counts share a rank, as an assessment table prints them.
pub fn ranks(published: &[i64]) -> Vec<i64> {
    published
        .iter()
        .map(|p| 1 + published.iter().filter(|q| *q > p).count() as i64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(Month::parse("2026-11").unwrap().label(), "2026-11");
        for bad in [
            "2026-13",
            "2026-00",
            "26-11",
            "2026-1",
            "2026/11",
            "１９９９-01",
            "1999-12",
            "2026-11-01",
            "",
        ] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_month_runs_from_beijing_midnight_to_beijing_midnight() {
        let (start, end) = Month::parse("2026-12").unwrap().bounds();
        assert_eq!(start, utc("2026-11-30T16:00:00Z"));
        assert_eq!(end, utc("2026-12-31T16:00:00Z"));
        let (_, feb_end) = Month::parse("2028-02").unwrap().bounds();
        assert_eq!(feb_end, utc("2028-02-29T16:00:00Z"));
    }

    #[test]
    fn silence_is_flagged_at_fourteen_days() {
        let at = utc("2026-12-31T00:00:00Z");
        let created = utc("2026-01-01T00:00:00Z");
        let s = silence(at, Some(utc("2026-12-17T00:00:01Z")), created);
        assert_eq!((s.days_since_last_publication, s.silent), (Some(13), false));
        let s = silence(at, Some(utc("2026-12-17T00:00:00Z")), created);
        assert_eq!((s.days_since_last_publication, s.silent), (Some(14), true));
        let s = silence(at, None, utc("2026-12-30T00:00:00Z"));
        assert_eq!((s.days_since_last_publication, s.silent), (None, false));
        let s = silence(at, None, created);
        assert_eq!((s.days_since_last_publication, s.silent), (None, true));
    }

    #[test]
    fn ranking_shares_ties_and_shares_need_a_quota() {
        assert_eq!(ranks(&[3, 5, 5, 0]), vec![3, 1, 1, 4]);
        assert_eq!(quota_share(3, Some(4)), Some(0.75));
        assert_eq!(quota_share(3, Some(0)), None);
        assert_eq!(quota_share(3, None), None);
    }
}
