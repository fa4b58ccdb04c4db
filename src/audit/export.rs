//! Exports of the trail as NDJSON (one event per line, exactly as hashed) or
//! CSV, streamed from the database one keyset page at a time, so memory
//! stays flat whatever the size.

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::Stream;
use serde_json::{Map, Value};

use crate::audit::access;
use crate::audit::query::{self, EventFilter, Window};
use crate::auth::AuthUser;
use crate::db::{DbError, DbPool, connect};
use crate::domain::audit_chain::AuditEvent;
use crate::error::ApiError;
use crate::state::AppState;

/// Events per database round trip: big enough to keep round trips cheap,
/// small enough that one page in memory is a few hundred kilobytes.
pub const PAGE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "ndjson" => Some(ExportFormat::Ndjson),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Why a stream stopped early. The response is then cut off without its
/// final chunk, so no client mistakes a partial export for a whole one.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the audit trail failed: {0}")]
    Database(#[from] DbError),
    #[error("encoding an event failed: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An export that has been recorded and may now be streamed.
#[derive(Debug, Clone)]
pub struct Export {
    pub format: ExportFormat,
    pub filter: EventFilter,
    /// The export's own event: the export covers the trail up to and
    /// including it, and not what is appended while it streams.
    pub through: i64,
}

impl Export {
    pub fn filename(&self) -> String {
        format!(
            "sanshen-audit-through-{}.{}",
            self.through,
            self.format.as_str()
        )
    }
}

/// Records the export (committed before any byte of it is sent).
pub async fn start(
    state: &AppState,
    auditor: &AuthUser,
    format: ExportFormat,
    filter: EventFilter,
) -> Result<Export, ApiError> {
    let mut detail = Map::new();
    detail.insert("format".into(), format.as_str().into());
    detail.insert("filters".into(), Value::Object(filter.describe()));
    let event = access::record(state, auditor, "audit_exported", detail).await?;
    Ok(Export {
        format,
        filter,
        through: event.seq,
    })
}

struct Progress {
    pool: DbPool,
    export: Export,
    after: Option<i64>,
    /// The page after the one being sent, read while that one is encoded.
    ahead: Option<Vec<AuditEvent>>,
    header_due: bool,
    done: bool,
}

/// The export's bytes, one chunk per page. Each page borrows a pooled
/// connection only while it is read, so a slow client holds none.
pub fn stream(pool: DbPool, export: Export) -> impl Stream<Item = Result<Bytes, ExportError>> {
    let progress = Progress {
        pool,
        header_due: export.format == ExportFormat::Csv,
        export,
        after: None,
        ahead: None,
        done: false,
    };
    futures_util::stream::unfold(progress, |mut p| async move {
        if p.done {
            return None;
        }
        match next_chunk(&mut p).await {
            Ok(chunk) if chunk.is_empty() => None,
            Ok(chunk) => Some((Ok(chunk), p)),
            Err(e) => {
                tracing::error!(error = %e, "audit export aborted");
                p.done = true;
                Some((Err(e), p))
            }
        }
    })
}

/// Encodes one page on a blocking thread while the next page is read: the
/// database and the encoder then work at the same time, where one page at
/// a time left a core idle about a fifth of the export.
async fn next_chunk(p: &mut Progress) -> Result<Bytes, ExportError> {
    let events = match p.ahead.take() {
        Some(events) => events,
        None => read_page(p, p.after).await?,
    };
    p.done = events.len() < PAGE as usize;
    p.after = events.last().map(|e| e.seq).or(p.after);
    let header = std::mem::take(&mut p.header_due);
    let format = p.export.format;
    let encoding = crate::audit::off_thread(move || encode(format, header, &events));
    if p.done {
        return encoding.await;
    }
    let (chunk, ahead) = futures_util::try_join!(encoding, read_page(p, p.after))?;
    p.ahead = Some(ahead);
    Ok(chunk)
}

async fn read_page(p: &Progress, after: Option<i64>) -> Result<Vec<AuditEvent>, ExportError> {
    let window = Window {
        after,
        through: Some(p.export.through),
    };
    let mut conn = connect(&p.pool).await?;
    let events = query::page(&mut conn, &p.export.filter, window, PAGE)
        .await
        .map_err(DbError::from)?;
    Ok(events)
}

fn encode(format: ExportFormat, header: bool, events: &[AuditEvent]) -> Result<Bytes, ExportError> {
    let mut out = BytesMut::new();
    if header {
        out.put_slice(CSV_HEADER.as_bytes());
    }
    for event in events {
        match format {
            ExportFormat::Ndjson => ndjson_line(event, &mut out)?,
            ExportFormat::Csv => csv_row(event, &mut out)?,
        }
    }
    Ok(out.freeze())
}

/// The event's canonical (JCS) form, the very bytes its hash covers plus
/// the `hash` member, then a newline.
pub fn ndjson_line(event: &AuditEvent, out: &mut BytesMut) -> Result<(), serde_json::Error> {
    out.put_slice(&crate::domain::audit_chain::canonical_line(event));
    out.put_u8(b'\n');
    Ok(())
}

pub const CSV_HEADER: &str = "seq,occurred_at,actor_id,actor,action,draft_id,revision,content_hash,stage,\
from_status,to_status,detail,ip,request_id,prev_hash,hash\r\n";

/// One RFC 4180 record. As in PostgreSQL's CSV, null is an empty field and
/// the empty string is `""`, so the two stay distinguishable; `detail` is
/// compact JSON text.
pub fn csv_row(event: &AuditEvent, out: &mut BytesMut) -> Result<(), serde_json::Error> {
    let detail = serde_json::to_string(&event.detail)?;
    let text = |s: &Option<String>| s.as_deref().map(str::to_string);
    let fields: [Option<String>; 16] = [
        Some(event.seq.to_string()),
        Some(event.occurred_at.clone()),
        event.actor_id.map(|id| id.to_string()),
        text(&event.actor),
        Some(event.action.clone()),
        event.draft_id.map(|id| id.to_string()),
        event.revision.map(|r| r.to_string()),
        text(&event.content_hash),
        text(&event.stage),
        text(&event.from_status),
        text(&event.to_status),
        Some(detail),
        text(&event.ip),
        text(&event.request_id),
        Some(event.prev_hash.clone()),
        Some(event.hash.clone()),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        if let Some(value) = field {
            csv_field(value, out);
        }
    }
    out.put_slice(b"\r\n");
    Ok(())
}

fn csv_field(value: &str, out: &mut BytesMut) {
    let quote = value.is_empty() || value.contains([',', '"', '\r', '\n']);
    if !quote {
        out.put_slice(value.as_bytes());
        return;
    }
    out.put_u8(b'"');
    out.put_slice(value.replace('"', "\"\"").as_bytes());
    out.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            seq: 7,
            occurred_at: "2026-11-24T08:00:00.123456Z".into(),
            actor_id: None,
            actor: Some(String::new()),
            action: "department_created".into(),
            draft_id: None,
            revision: None,
            content_hash: None,
            stage: None,
            from_status: None,
            to_status: None,
            detail: serde_json::json!({"name": "新闻, \"科\"", "code": "news"}),
            ip: Some("127.0.0.1".into()),
            request_id: None,
            prev_hash: "0".repeat(64),
            hash: "a".repeat(64),
        }
    }

    #[test]
    fn csv_quotes_only_what_needs_it_and_keeps_null_apart_from_empty() {
        let mut out = BytesMut::new();
        csv_row(&event(), &mut out).unwrap();
        let row = String::from_utf8(out.to_vec()).unwrap();
        let expected = format!(
            "7,2026-11-24T08:00:00.123456Z,,\"\",department_created,,,,,,,\
             \"{{\"\"code\"\":\"\"news\"\",\"\"name\"\":\"\"新闻, \\\"\"科\\\"\"\"\"}}\",\
             127.0.0.1,,{},{}\r\n",
            "0".repeat(64),
            "a".repeat(64)
        );
        assert_eq!(row, expected);
        assert_eq!(CSV_HEADER.split(',').count(), 16);
    }

    #[test]
    fn ndjson_lines_are_canonical_and_end_in_a_newline() {
        let mut out = BytesMut::new();
        ndjson_line(&event(), &mut out).unwrap();
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.starts_with("{\"action\":\"department_created\",\"actor\":\"\""));
        assert!(text.ends_with("\"seq\":7,\"stage\":null,\"to_status\":null}\n"));
        let back: AuditEvent = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back.seq, 7);
    }
}
