//! The hash chain (SPEC "Audit event"), pure: an event's hash is the
//! lowercase hex SHA-256 of the RFC 8785 (JCS) form of the event without
//! `hash`; each event names the previous event's hash; the first names 64
//! zeros. The database verifier and the offline file verifier share
//! `ChainVerifier`, so both judge a chain the same way.

use std::io::BufRead;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event, in exactly the shape that is hashed and exported.
/// Absent values are `null`, never left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    #[schema(example = 42)]
    pub seq: i64,
    /// RFC 3339 UTC with microseconds.
    #[schema(example = "2026-11-24T08:00:00.123456Z")]
    pub occurred_at: String,
    pub actor_id: Option<Uuid>,
    #[schema(example = "li.na")]
    pub actor: Option<String>,
    #[schema(example = "stage_approved")]
    pub action: String,
    pub draft_id: Option<Uuid>,
    pub revision: Option<i32>,
    pub content_hash: Option<String>,
    #[schema(example = "review_2")]
    pub stage: Option<String>,
    #[schema(example = "in_review")]
    pub from_status: Option<String>,
    #[schema(example = "in_review")]
    pub to_status: Option<String>,
    /// Action-specific facts (an object).
    #[schema(value_type = Object, example = json!({"comment": "同意", "checks": ["political","legal","policy","secrecy","language","public_opinion"]}))]
    pub detail: serde_json::Value,
    #[schema(example = "10.1.2.3")]
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The timestamp text that is hashed: microseconds, `Z`.
pub fn format_occurred_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// SHA-256 of the JCS form of `event` without its `hash`.
pub fn event_hash(event: &AuditEvent) -> String {
    hex::encode(Sha256::digest(canonical(Hashed::of(event))))
}

/// The JCS form of the whole event, `hash` included: an NDJSON export line.
pub fn canonical_line(event: &AuditEvent) -> Vec<u8> {
    canonical(Hashed {
        hash: Some(&event.hash),
        ..Hashed::of(event)
    })
}

/// The JCS (RFC 8785) form of `hashed`.
///
/// The fast path writes it with serde_json from [`Hashed`], whose fields are
/// declared in JCS order: for the strings, integers and sorted objects that
/// events hold, serde_json's output is byte for byte JCS (it escapes the
/// same characters the same way), at a tenth of the canonicalizer's cost,
/// which dominated verifying and chaining. Anything JCS might write
/// differently — a float, an integer beyond 2^53, an object key at or above
/// U+E000 (UTF-16 and UTF-8 order differ there) or keys out of order — goes
/// through the canonicalizer itself. The two are checked equal on arbitrary
/// events in the tests.
fn canonical(hashed: Hashed) -> Vec<u8> {
    if safe_integer(hashed.seq)
        && plain(hashed.detail)
        && let Ok(bytes) = serde_json::to_vec(&hashed)
    {
        return bytes;
    }
    strict(&hashed)
}

/// The canonicalizer's JCS form, for whatever the fast path leaves.
fn strict(hashed: &Hashed) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(hashed).unwrap_or_default()
}

/// The hashed fields of an event, sorted by name as JCS orders them, and
/// the hash itself when the whole event is wanted.
#[derive(Serialize)]
struct Hashed<'a> {
    action: &'a str,
    actor: Option<&'a str>,
    actor_id: Option<Uuid>,
    content_hash: Option<&'a str>,
    detail: &'a serde_json::Value,
    draft_id: Option<Uuid>,
    from_status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'a str>,
    ip: Option<&'a str>,
    occurred_at: &'a str,
    prev_hash: &'a str,
    request_id: Option<&'a str>,
    revision: Option<i32>,
    seq: i64,
    stage: Option<&'a str>,
    to_status: Option<&'a str>,
}

impl<'a> Hashed<'a> {
    fn of(e: &'a AuditEvent) -> Hashed<'a> {
        Hashed {
            action: &e.action,
            actor: e.actor.as_deref(),
            actor_id: e.actor_id,
            content_hash: e.content_hash.as_deref(),
            detail: &e.detail,
            draft_id: e.draft_id,
            from_status: e.from_status.as_deref(),
            hash: None,
            ip: e.ip.as_deref(),
            occurred_at: &e.occurred_at,
            prev_hash: &e.prev_hash,
            request_id: e.request_id.as_deref(),
            revision: e.revision,
            seq: e.seq,
            stage: e.stage.as_deref(),
            to_status: e.to_status.as_deref(),
        }
    }
}

/// Integers JCS writes as plain digits: those an IEEE double holds exactly.
fn safe_integer(n: i64) -> bool {
    n.unsigned_abs() <= 1 << 53
}

/// True when serde_json writes `value` exactly as JCS does.
fn plain(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => true,
        Value::Number(n) => n.as_i64().is_some_and(safe_integer),
        Value::Array(items) => items.iter().all(plain),
        Value::Object(map) => {
            let sorted = map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b);
            sorted
                && map
                    .iter()
                    .all(|(k, v)| k.chars().all(|c| c < '\u{e000}') && plain(v))
        }
    }
}

/// A change in the tables with no event for it in the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MissingEvent {
    /// What changed: `revision`, `signoff`, `status`, `comment`, `grant`,
    /// `user`, `account_state`, `session`, `workflow`, `department`, `channel`.
    #[schema(example = "signoff")]
    pub kind: String,
    /// Its id: a row id, or `draft_id/revision` for a revision.
    pub id: String,
}

/// The verdict on a chain (or a contiguous part of one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verification {
    pub valid: bool,
    /// Events read.
    pub checked: u64,
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first event whose seq, link or hash is wrong. A deleted event
    /// shows as its successor (which no longer follows); a rewritten one as
    /// itself (its hash no longer matches).
    pub first_invalid_seq: Option<i64>,
    /// Changes in the tables with no event in the trail (the first 1,000;
    /// an offline check of an export cannot see the tables and names none).
    /// Any makes the trail invalid: it is not complete.
    pub missing_events: Vec<MissingEvent>,
    /// How many changes have no event, named above or not.
    pub missing_total: u64,
}

/// Checks events one at a time, in seq order, in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    checked: u64,
    head: Option<(i64, String)>,
    first_invalid: Option<i64>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier::new()
    }
}

impl ChainVerifier {
    /// For a whole chain: the first event is seq 1 after the genesis hash.
    pub fn new() -> ChainVerifier {
        ChainVerifier::starting_after(0, GENESIS_PREV_HASH)
    }

    /// For a part of a chain (an export with `since`): the first event must
    /// follow `seq` and link to `hash`, which the auditor takes from the
    /// previous export they verified.
    pub fn starting_after(seq: i64, hash: &str) -> ChainVerifier {
        ChainVerifier {
            expected_seq: seq + 1,
            prev_hash: hash.to_string(),
            checked: 0,
            head: None,
            first_invalid: None,
        }
    }

    pub fn push(&mut self, event: &AuditEvent) {
        self.checked += 1;
        let ok = event.seq == self.expected_seq
            && event.prev_hash == self.prev_hash
            && event_hash(event) == event.hash;
        if !ok && self.first_invalid.is_none() {
            self.first_invalid = Some(event.seq);
        }
        // Go on from what the event says, so one bad event is reported once.
        self.expected_seq = event.seq + 1;
        self.prev_hash = event.hash.clone();
        self.head = Some((event.seq, event.hash.clone()));
    }

    pub fn finish(self) -> Verification {
        let (head_seq, head_hash) = self.head.map_or((None, None), |(s, h)| (Some(s), Some(h)));
        Verification {
            valid: self.first_invalid.is_none(),
            checked: self.checked,
            head_seq,
            head_hash,
            first_invalid_seq: self.first_invalid,
            missing_events: Vec::new(),
            missing_total: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyFileError {
    #[error("reading the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line} is not an audit event: {message}")]
    Parse { line: u64, message: String },
}

/// Verifies an NDJSON export (one event per line) without a database.
pub fn verify_ndjson(reader: impl BufRead) -> Result<Verification, VerifyFileError> {
    verify_ndjson_from(reader, ChainVerifier::new())
}

pub fn verify_ndjson_from(
    reader: impl BufRead,
    mut verifier: ChainVerifier,
) -> Result<Verification, VerifyFileError> {
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent =
            serde_json::from_str(&line).map_err(|e| VerifyFileError::Parse {
                line: i as u64 + 1,
                message: e.to_string(),
            })?;
        verifier.push(&event);
    }
    Ok(verifier.finish())
}

#[cfg(test)]
#[path = "audit_chain_tests.rs"]
mod tests;
