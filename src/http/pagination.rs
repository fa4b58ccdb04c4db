//! Keyset pagination: `limit` and an opaque `cursor` naming the last row seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::task_lists::TaskCursor;
use crate::http::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A page of items and the cursor for the next one (null on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::Malformed(format!(
            "limit must be from 1 to {MAX_LIMIT}"
        ))),
    }
}

/// A position in a list ordered by (time, id).
pub fn encode_time_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", at.timestamp_micros(), id))
}

pub fn decode_time_cursor(cursor: Option<&str>) -> Result<Option<(DateTime<Utc>, Uuid)>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::Malformed("cursor is not one this server issued".into());
    let text = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let (micros, id) = text.split_once(':').ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    // chrono's range is wider than PostgreSQL's: a forged year 200000 would
    // reach the database as "timestamp out of range". No row of ours is
    // outside years 1–9999.
    if !(1..=9999).contains(&at.year()) {
        return Err(bad());
    }
    Ok(Some((at, Uuid::parse_str(id).map_err(|_| bad())?)))
}

/// A position in `/tasks`, ordered by (due time, nulls last; time; id):
/// the time cursor, after the due time or `-`.
pub fn encode_task_cursor(due: Option<DateTime<Utc>>, at: DateTime<Utc>, id: Uuid) -> String {
    let due = due.map_or_else(|| "-".to_string(), |d| d.timestamp_micros().to_string());
    URL_SAFE_NO_PAD.encode(format!("due:{due}:{}", encode_time_cursor(at, id)))
}

pub fn decode_task_cursor(cursor: Option<&str>) -> Result<Option<TaskCursor>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::Malformed("cursor is not one this server issued".into());
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
    let rest = text.strip_prefix("due:").ok_or_else(bad)?;
    let (due, time) = rest.split_once(':').ok_or_else(bad)?;
    let due_at = match due {
        "-" => None,
        micros => {
            let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?)
                .ok_or_else(bad)?;
            if !(1..=9999).contains(&at.year()) {
                return Err(bad());
            }
            Some(at)
        }
    };
    let (updated_at, id) = decode_time_cursor(Some(time))?.ok_or_else(bad)?;
    Ok(Some(TaskCursor {
        due_at,
        updated_at,
        id,
    }))
}

/// A position in a list ordered by a sequence number.
pub fn encode_seq_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

pub fn decode_seq_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::Malformed("cursor is not one this server issued".into());
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
    let seq = text.strip_prefix("seq:").ok_or_else(bad)?;
    seq.parse().map(Some).map_err(|_| bad())
}

/// Builds the page from `limit + 1` fetched rows: the extra row only says
/// whether there is a next page.
pub fn page_of<R, T: ToSchema>(
    rows: Vec<R>,
    limit: i64,
    cursor_of: impl Fn(&R) -> String,
    item: impl Fn(R) -> T,
) -> Page<T> {
    match try_page_of(rows, limit, cursor_of, |r| {
        Ok::<_, std::convert::Infallible>(item(r))
    }) {
        Ok(page) => page,
        Err(never) => match never {},
    }
}

/// [`page_of`] for rows whose reading can fail (stored text that is not a
/// known value is an error, never a default).
pub fn try_page_of<R, T: ToSchema, E>(
    mut rows: Vec<R>,
    limit: i64,
    cursor_of: impl Fn(&R) -> String,
    item: impl Fn(R) -> Result<T, E>,
) -> Result<Page<T>, E> {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = if more {
        rows.last().map(&cursor_of)
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(item).collect::<Result<_, E>>()?,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(
            decode_time_cursor(Some(&encode_time_cursor(at, id))).unwrap(),
            Some((at, id))
        );
        assert_eq!(
            decode_seq_cursor(Some(&encode_seq_cursor(42))).unwrap(),
            Some(42)
        );
        for due in [None, Some(at)] {
            let c = decode_task_cursor(Some(&encode_task_cursor(due, at, id)))
                .unwrap()
                .unwrap();
            assert_eq!((c.due_at, c.updated_at, c.id), (due, at, id));
        }
        assert!(decode_task_cursor(Some(&encode_time_cursor(at, id))).is_err());
    }

    #[test]
    fn foreign_cursors_and_limits_are_malformed() {
        assert!(decode_time_cursor(Some("nonsense!")).is_err());
        assert!(decode_seq_cursor(Some(&encode_time_cursor(Utc::now(), Uuid::nil()))).is_err());
        let far = URL_SAFE_NO_PAD.encode(format!("{}:{}", i64::MAX / 2, Uuid::nil()));
        assert!(decode_time_cursor(Some(&far)).is_err());
        let before_christ = URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            -8_000_000_000_000_000_000_i64,
            Uuid::nil()
        ));
        assert!(decode_time_cursor(Some(&before_christ)).is_err());
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
        assert_eq!(limit(None).unwrap(), 50);
    }
}
