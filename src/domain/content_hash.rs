//! content_hash (SPEC §1): lowercase hex SHA-256 of the RFC 8785 (JCS)
//! serialization of {body, channel, format, summary, title}. Anyone can
//! recompute it; it is the draft's ETag.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::content::Content;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentHash(String);

#[derive(Serialize)]
struct Hashed<'a> {
    body: &'a str,
    channel: &'a str,
    format: &'a str,
    summary: &'a str,
    title: &'a str,
}

impl ContentHash {
    pub fn of(channel: &str, content: &Content) -> ContentHash {
        let hashed = Hashed {
            body: content.body(),
            channel,
            format: content.format().as_str(),
            summary: content.summary(),
            title: content.title(),
        };
        ContentHash(hex::encode(Sha256::digest(canonical(&hashed))))
    }

    /// Exactly 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<ContentHash> {
        (s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| ContentHash(s.into()))
    }

    /// An `If-Match` value: the strong ETag `"<hash>"`. Weak tags never
    /// match: If-Match needs byte-for-byte sameness.
    pub fn parse_etag(s: &str) -> Option<ContentHash> {
        ContentHash::parse(s.trim().strip_prefix('"')?.strip_suffix('"')?)
    }

    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn canonical(value: &impl Serialize) -> Vec<u8> {
    // Serializing five strings cannot fail; an empty result would only
    // produce a hash that matches nothing.
    serde_json_canonicalizer::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
#[path = "content_hash_tests.rs"]
mod tests;
