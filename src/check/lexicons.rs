//! Lexicon administration (admin, SPEC §6): create, list, replace the
//! entries atomically, page through them.

use diesel_async::AsyncConnection;
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::lexicons::{self, Columns, EntryRow, LexiconRow};
use crate::db::{channels, connect};
use crate::domain::check::{Entry, EntryError, matcher};
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, FieldProblem, unique_as_conflict};
use crate::state::AppState;

/// The most entries one lexicon holds.
pub const MAX_ENTRIES: usize = 200_000;

fn require_admin(user: &AuthUser) -> Result<(), ApiError> {
    user.require(Role::Admin)
}

pub async fn create(
    state: &AppState,
    admin: &AuthUser,
    code: &str,
    name: &str,
    channel_list: Option<Vec<String>>,
) -> Result<LexiconRow, ApiError> {
    require_admin(admin)?;
    let mut problems = Vec::new();
    let code_ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !code_ok {
        problems.push(FieldProblem::new("code", "must match [a-z0-9_-]{1,32}"));
    }
    if !(1..=200).contains(&name.chars().count()) || name.trim().is_empty() {
        problems.push(FieldProblem::new(
            "name",
            "must be 1–200 characters, not blank",
        ));
    }
    if channel_list.as_ref().is_some_and(Vec::is_empty) {
        problems.push(FieldProblem::new(
            "channels",
            "must name at least one channel; leave it out for all channels",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        if let Some(list) = &channel_list {
            for c in list {
                if channels::find(conn, c).await?.is_none() {
                    return Err(ApiError::validation(
                        "channels",
                        format!("no channel {c:?}"),
                    ));
                }
            }
        }
        let mut list = channel_list.clone();
        if let Some(l) = &mut list {
            l.sort();
            l.dedup();
        }
        let row = lexicons::insert(conn, code, name, list.as_deref())
            .await
            .map_err(unique_as_conflict("lexicon code is taken"))?;
        let event = NewEvent::new("lexicon_created", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("lexicon", row.code.clone())
            .with("name", row.name.clone())
            .with("channels", row.channels.clone());
        append(conn, event).await?;
        Ok(row)
    })
    .await
}

pub async fn list(state: &AppState, admin: &AuthUser) -> Result<Vec<LexiconRow>, ApiError> {
    require_admin(admin)?;
    let mut conn = connect(&state.pool).await?;
    Ok(lexicons::all(&mut conn).await?)
}

/// The SHA-256 the `lexicon_changed` event records: of the JCS (RFC 8785)
/// serialization of `[{term, severity, suggestion, note}, …]` in order,
/// absent values as null, so anyone holding the list can recompute it.
///
/// JCS writes an array as its elements' own JCS joined by commas, so the
/// hash is fed one entry at a time: a JSON value of the whole list cost
/// 63 MiB for 100,000 entries, the peak of a replacement (issue 16).
pub fn entries_sha256(entries: &[Entry]) -> String {
    #[derive(serde::Serialize)]
    struct Canonical<'a> {
        term: &'a str,
        severity: &'static str,
        suggestion: Option<&'a str>,
        note: Option<&'a str>,
    }
    let mut hasher = Sha256::new();
    hasher.update(b"[");
    let mut buf = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            hasher.update(b",");
        }
        buf.clear();
        let one = Canonical {
            term: &e.term,
            severity: e.severity.as_str(),
            suggestion: e.suggestion.as_deref(),
            note: e.note.as_deref(),
        };
        // Serializing strings and nulls cannot fail.
        let _ = serde_json_canonicalizer::to_writer(&one, &mut buf);
        hasher.update(&buf);
    }
    hasher.update(b"]");
    hex::encode(hasher.finalize())
}

/// Why a list of entries was refused: where, and what.
pub struct BadEntry {
    /// The field to name: `entries[3].term` for JSON, `line 5` for CSV.
    pub field: String,
    pub message: String,
}

/// Replaces all entries of `code` at once; returns the lexicon as it now
/// stands. `place` names an entry by its index, for the error (the HTTP
/// layer knows whether it was a JSON index or a CSV line).
pub async fn replace_entries(
    state: &AppState,
    admin: &AuthUser,
    code: &str,
    entries: Vec<Entry>,
    place: impl Fn(usize) -> String,
) -> Result<LexiconRow, ApiError> {
    require_admin(admin)?;
    if entries.len() > MAX_ENTRIES {
        return Err(ApiError::validation(
            "entries",
            format!("at most {MAX_ENTRIES} entries"),
        ));
    }
    if let Err(EntryError { index, message }) = matcher::validate(&entries) {
        return Err(ApiError::validation(&place(index), message));
    }
    let sha256 = entries_sha256(&entries);
    let count = entries.len();
    let mut columns = Columns::default();
    for e in entries {
        columns.terms.push(e.term);
        columns.severities.push(e.severity.as_str().into());
        columns.suggestions.push(e.suggestion);
        columns.notes.push(e.note);
    }
    let mut conn = connect(&state.pool).await?;
    let replaced = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = lexicons::lock(conn, code)
                .await?
                .ok_or(ApiError::NotFound)?;
            let version = lexicons::replace(conn, row.id, columns, &sha256).await?;
            let event = NewEvent::new("lexicon_changed", &admin.origin)
                .by(admin.user_id, &admin.username)
                .with("lexicon", row.code.clone())
                .with("version", version)
                .with("entry_count", count)
                .with("entries_sha256", sha256.clone());
            append(conn, event).await?;
            lexicons::find(conn, code).await?.ok_or(ApiError::NotFound)
        })
        .await;
    super::memory::give_back();
    replaced
}

/// A page of entries: `after` is the last position seen.
pub async fn entries(
    state: &AppState,
    admin: &AuthUser,
    code: &str,
    q: Option<&str>,
    after: Option<i32>,
    limit: i64,
) -> Result<Vec<EntryRow>, ApiError> {
    require_admin(admin)?;
    let mut conn = connect(&state.pool).await?;
    let row = lexicons::find(&mut conn, code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(lexicons::entries_page(&mut conn, row.id, q, after, limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::check::Severity;

    #[test]
    fn the_entries_hash_is_that_of_the_whole_list_in_jcs() {
        let entries = vec![
            Entry {
                term: "错误表述".into(),
                severity: Severity::Block,
                suggestion: None,
                note: None,
            },
            Entry {
                term: "a\"b\u{7f}é".into(),
                severity: Severity::Warn,
                suggestion: Some("规范词".into()),
                note: Some("见第3条".into()),
            },
        ];
        let whole = serde_json::json!([
            {"term": "错误表述", "severity": "block", "suggestion": null, "note": null},
            {"term": "a\"b\u{7f}é", "severity": "warn", "suggestion": "规范词", "note": "见第3条"},
        ]);
        let bytes = serde_json_canonicalizer::to_vec(&whole).unwrap();
        assert_eq!(entries_sha256(&entries), hex::encode(Sha256::digest(bytes)));
        let empty = serde_json_canonicalizer::to_vec(&serde_json::json!([])).unwrap();
        assert_eq!(entries_sha256(&[]), hex::encode(Sha256::digest(empty)));
    }
}
