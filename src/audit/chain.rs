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
    let mut value = match serde_json::to_value(event) {
        Ok(v) => v,
        Err(_) => return String::new(),
    };
    if let Some(map) = value.as_object_mut() {
        map.remove("hash");
    }
    let canonical = serde_json_canonicalizer::to_vec(&value).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
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
#[path = "chain_tests.rs"]
mod tests;
