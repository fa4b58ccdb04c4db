//! The periodic sweep (定期排查, SPEC §9): what is live on a channel, as
//! scraped, judged line by line against what was published: `approved`
//! (a published revision with exactly this content), `changed` (its URL or
//! title matches a published item but the text differs) or `unknown`.
//!
//! The body is read as it arrives and judged a batch at a time, so memory
//! holds one batch of items and the small verdicts, never the whole body.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::access;
use crate::auth::AuthUser;
use crate::db::connect;
use crate::db::sweep::{self as sql, PublishedItem};
use crate::domain::content::Content;
use crate::domain::content_hash::ContentHash;
use crate::error::ApiError;
use crate::state::AppState;

pub const MAX_ITEMS: u64 = 10_000;
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// Items judged per database round trip.
const BATCH: usize = 500;

/// One line of the sweep: an item as it is live on a channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveItem {
    pub channel: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub body: String,
    pub format: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Changed,
    Unknown,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SweepLine {
    /// The line's number in the body, from 1 (blank lines count).
    pub line: u64,
    pub verdict: Verdict,
    /// The content_hash of the line's text; `null` when the text breaks
    /// SPEC §1's rules and so could never have been a revision.
    pub content_hash: Option<String>,
    /// The published item matched, if any.
    pub draft_id: Option<Uuid>,
    /// Its status now: `published`, `retracted` or `corrected`.
    pub draft_status: Option<String>,
    /// `content_hash`, `url` or `title`.
    pub matched_by: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SweepTotals {
    pub lines: u64,
    pub approved: u64,
    pub changed: u64,
    pub unknown: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SweepReport {
    pub totals: SweepTotals,
    pub items: Vec<SweepLine>,
}

struct Pending {
    line: u64,
    item: LiveItem,
}

/// Reads `body` line by line, judges every line, records `sweep_run` with
/// the totals and returns the report. A line that is not such an item is
/// 400 naming the line; no item at all 400; over `MAX_BYTES` 413; over
/// `MAX_ITEMS` items 400.
pub async fn sweep<E: std::fmt::Display>(
    state: &AppState,
    auditor: &AuthUser,
    body: impl Stream<Item = Result<Bytes, E>>,
) -> Result<SweepReport, ApiError> {
    let mut body = std::pin::pin!(body);
    let mut report = SweepReport {
        totals: SweepTotals::default(),
        items: Vec::new(),
    };
    let mut partial: Vec<u8> = Vec::new();
    let mut received = 0usize;
    let mut line_no = 0u64;
    let mut items = 0u64;
    let mut batch: Vec<Pending> = Vec::new();
    let mut finished = false;
    while !finished {
        let chunk = match body.next().await {
            Some(chunk) => {
                chunk.map_err(|e| ApiError::Malformed(format!("reading the body failed: {e}")))?
            }
            None => {
                finished = true;
                Bytes::new()
            }
        };
        received += chunk.len();
        if received > MAX_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_BYTES));
        }
        partial.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(end) = partial[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|i| start + i)
        {
            line_no += 1;
            take_line(&partial[start..end], line_no, &mut batch, &mut items)?;
            start = end + 1;
        }
        partial.drain(..start);
        if finished && !partial.is_empty() {
            line_no += 1;
            take_line(
                &std::mem::take(&mut partial),
                line_no,
                &mut batch,
                &mut items,
            )?;
        }
        if batch.len() >= BATCH || (finished && !batch.is_empty()) {
            judge(state, std::mem::take(&mut batch), &mut report).await?;
        }
    }
    if items == 0 {
        // Most likely a request sent without its file (curl without
        // --data-binary): refused, so nothing records a sweep of nothing.
        return Err(ApiError::Malformed(
            "the body holds no items: send one JSON item per line".into(),
        ));
    }
    let t = &report.totals;
    let mut detail = Map::new();
    detail.insert("lines".into(), t.lines.into());
    detail.insert("approved".into(), t.approved.into());
    detail.insert("changed".into(), t.changed.into());
    detail.insert("unknown".into(), t.unknown.into());
    access::record(state, auditor, "sweep_run", detail).await?;
    Ok(report)
}

/// Parses one line into the batch; blank lines are skipped.
fn take_line(
    raw: &[u8],
    line: u64,
    batch: &mut Vec<Pending>,
    items: &mut u64,
) -> Result<(), ApiError> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    if *items >= MAX_ITEMS {
        return Err(ApiError::Malformed(format!(
            "a sweep takes at most {MAX_ITEMS} items; line {line} is one more"
        )));
    }
    let item: LiveItem = serde_json::from_slice(raw).map_err(|e| {
        ApiError::Malformed(format!(
            "line {line}: not an item {{channel, url?, title, summary?, body, format}}: {e}"
        ))
    })?;
    *items += 1;
    batch.push(Pending { line, item });
    Ok(())
}

/// PostgreSQL text cannot hold NUL, and no stored text contains one.
fn storable(s: &str) -> bool {
    !s.contains('\0')
}

async fn judge(
    state: &AppState,
    batch: Vec<Pending>,
    report: &mut SweepReport,
) -> Result<(), ApiError> {
    let hashes: Vec<Option<ContentHash>> = batch
        .iter()
        .map(|p| {
            let i = &p.item;
            Content::parse(
                i.title.clone(),
                i.summary.clone(),
                i.body.clone(),
                &i.format,
            )
            .ok()
            .map(|c| ContentHash::of(&i.channel, &c))
        })
        .collect();
    let keys: Vec<String> = hashes
        .iter()
        .flatten()
        .map(|h| h.as_str().to_string())
        .collect();
    let titles: Vec<(String, String)> = batch
        .iter()
        .map(|p| &p.item)
        .filter(|i| storable(&i.channel) && storable(&i.title))
        .map(|i| (i.channel.clone(), i.title.clone()))
        .collect();
    let urls: Vec<(String, String)> = batch
        .iter()
        .map(|p| &p.item)
        .filter_map(|i| Some((i.channel.clone(), i.url.clone()?)))
        .filter(|(c, u)| storable(c) && storable(u))
        .collect();
    let mut conn = connect(&state.pool).await?;
    let found = sql::published_matching(&mut conn, &keys, &titles, &urls).await?;
    drop(conn);
    let mut by_hash: HashMap<&str, &PublishedItem> = HashMap::new();
    let mut by_title: HashMap<(&str, &str), &PublishedItem> = HashMap::new();
    let mut by_url: HashMap<(&str, &str), &PublishedItem> = HashMap::new();
    for f in &found {
        by_hash.entry(&f.content_hash).or_insert(f);
        by_title.entry((&f.channel, &f.title)).or_insert(f);
        if let Some(url) = &f.url {
            by_url.entry((&f.channel, url)).or_insert(f);
        }
    }
    for (p, hash) in batch.iter().zip(hashes) {
        let i = &p.item;
        let approved = hash
            .as_ref()
            .and_then(|h| by_hash.get(h.as_str()))
            .map(|f| (*f, "content_hash"));
        let changed = i
            .url
            .as_deref()
            .and_then(|u| by_url.get(&(i.channel.as_str(), u)))
            .map(|f| (*f, "url"))
            .or_else(|| {
                by_title
                    .get(&(i.channel.as_str(), i.title.as_str()))
                    .map(|f| (*f, "title"))
            });
        let (verdict, matched) = match (approved, changed) {
            (Some(m), _) => (Verdict::Approved, Some(m)),
            (None, Some(m)) => (Verdict::Changed, Some(m)),
            (None, None) => (Verdict::Unknown, None),
        };
        match verdict {
            Verdict::Approved => report.totals.approved += 1,
            Verdict::Changed => report.totals.changed += 1,
            Verdict::Unknown => report.totals.unknown += 1,
        }
        report.items.push(SweepLine {
            line: p.line,
            verdict,
            content_hash: hash.map(|h| h.as_str().to_string()),
            draft_id: matched.map(|(f, _)| f.draft_id),
            draft_status: matched.map(|(f, _)| f.status.clone()),
            matched_by: matched.map(|(_, how)| how.to_string()),
        });
    }
    report.totals.lines = report.items.len() as u64;
    Ok(())
}
