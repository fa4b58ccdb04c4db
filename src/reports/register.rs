//! The register (信息发布登记台账, SPEC §9): one row per item published in
//! the period, read from the database a page at a time and sent as it is
//! read (JSON, CSV), or written to a constant-memory XLSX worksheet, so a
//! year of items never sits in memory as rows.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::SecondsFormat;
use futures_util::Stream;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::access;
use crate::auth::AuthUser;
use crate::db::register::{self as sql, RegisterFilter, RegisterRow};
use crate::db::{DbError, DbPool, connect};
use crate::domain::content::Source;
use crate::domain::vocabulary::Stage;
use crate::error::ApiError;
use crate::reports::bulletin_render::BOM;
use crate::state::AppState;

/// Rows per database round trip.
pub const PAGE: i64 = 500;

/// The register's stage columns: the six, then 审定 (SPEC §5), whose
/// column stays empty until routes with a leader step exist.
fn stage_columns() -> Vec<&'static str> {
    let mut stages: Vec<&'static str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
    stages.push("leader");
    stages
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterFormat {
    Json,
    Csv,
    Xlsx,
}

impl RegisterFormat {
    pub fn parse(s: &str) -> Option<RegisterFormat> {
        match s {
            "json" => Some(RegisterFormat::Json),
            "csv" => Some(RegisterFormat::Csv),
            "xlsx" => Some(RegisterFormat::Xlsx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegisterFormat::Json => "json",
            RegisterFormat::Csv => "csv",
            RegisterFormat::Xlsx => "xlsx",
        }
    }
}

/// The register in JSON, `{"items": [...]}` (documentation only: the
/// body is streamed a page at a time, never built as one value).
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterPage {
    pub items: Vec<RegisterItem>,
}

/// One published item as the register lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterItem {
    pub published_at: String,
    pub draft_id: Uuid,
    pub channel: String,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub title: String,
    /// `{"kind":"original"}` or `{"kind":"reprint","origin":…}` (SPEC §7).
    #[schema(value_type = Object)]
    pub source: Value,
    /// The author's username, and display name.
    pub author: String,
    pub author_name: String,
    /// Per stage, the usernames that approved the published revision.
    pub signers: BTreeMap<String, Vec<String>>,
    pub url: Option<String>,
    pub content_hash: String,
    /// `published`, `retracted` or `corrected`, as the item stands now.
    pub status: String,
}

impl TryFrom<RegisterRow> for RegisterItem {
    type Error = RegisterError;

    fn try_from(r: RegisterRow) -> Result<Self, RegisterError> {
        let signers = serde_json::from_value(r.signers)?;
        let source = match Source::from_stored(&r.source_kind, r.source_origin.clone()) {
            Some(Source::Original) => serde_json::json!({"kind": "original"}),
            Some(Source::Reprint(origin)) => {
                serde_json::json!({"kind": "reprint", "origin": origin})
            }
            None => {
                return Err(RegisterError::Corrupt(format!(
                    "drafts.source_kind/source_origin hold {:?}/{:?}",
                    r.source_kind, r.source_origin
                )));
            }
        };
        Ok(RegisterItem {
            published_at: r.published_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            draft_id: r.draft_id,
            channel: r.channel,
            department_code: r.department_code,
            department_name: r.department_name,
            title: r.title,
            source,
            author: r.author,
            author_name: r.author_name,
            signers,
            url: r.url,
            content_hash: r.content_hash,
            status: r.status,
        })
    }
}

/// A register read that has been recorded and may now be sent.
#[derive(Debug, Clone)]
pub struct Register {
    pub format: RegisterFormat,
    pub filter: RegisterFilter,
    /// The read's own event: publications after it are not included, so
    /// the pages agree with the moment the read was recorded.
    pub through: i64,
}

/// Records the read (committed before any row is sent).
pub async fn start(
    state: &AppState,
    auditor: &AuthUser,
    format: RegisterFormat,
    filter: RegisterFilter,
) -> Result<Register, ApiError> {
    let mut detail = Map::new();
    detail.insert("format".into(), format.as_str().into());
    let mut filters = Map::new();
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
    };
    filters.insert("channel".into(), filter.channel.clone().into());
    filters.insert(
        "department_id".into(),
        filter.department_id.map(|d| d.to_string()).into(),
    );
    filters.insert("since".into(), time(filter.since).into());
    filters.insert("until".into(), time(filter.until).into());
    detail.insert("filters".into(), Value::Object(filters));
    let event = access::record(state, auditor, "register_read", detail).await?;
    Ok(Register {
        format,
        filter,
        through: event.seq,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("reading the register failed: {0}")]
    Database(#[from] DbError),
    #[error("encoding the register failed: {0}")]
    Csv(#[from] csv::Error),
    #[error("encoding the register failed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing the workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("a stored row cannot be read: {0}")]
    Corrupt(String),
}

async fn page(pool: &DbPool, r: &Register, after: i64) -> Result<Vec<RegisterRow>, DbError> {
    let mut conn = connect(pool).await?;
    Ok(sql::register_page(&mut conn, &r.filter, after, r.through, PAGE).await?)
}

struct Progress {
    pool: DbPool,
    register: Register,
    after: i64,
    first: bool,
    done: bool,
}

/// JSON (`{"items":[…]}`) or CSV, one chunk per page. A failure midway
/// cuts the response off without its final chunk, as the audit export does.
pub fn stream(
    pool: DbPool,
    register: Register,
) -> impl Stream<Item = Result<Bytes, RegisterError>> {
    let progress = Progress {
        pool,
        register,
        after: 0,
        first: true,
        done: false,
    };
    futures_util::stream::unfold(progress, |mut p| async move {
        if p.done {
            return None;
        }
        let chunk = next_chunk(&mut p).await;
        if let Err(e) = &chunk {
            tracing::error!(error = %e, "register aborted");
            p.done = true;
        }
        Some((chunk, p))
    })
}

async fn next_chunk(p: &mut Progress) -> Result<Bytes, RegisterError> {
    let rows = page(&p.pool, &p.register, p.after).await?;
    p.done = rows.len() < PAGE as usize;
    p.after = rows.last().map(|r| r.seq).unwrap_or(p.after);
    let first = std::mem::take(&mut p.first);
    let mut out = Vec::new();
    match p.register.format {
        RegisterFormat::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            if first {
                out.extend_from_slice(BOM);
                w.write_record(csv_header())?;
            }
            for row in rows {
                w.write_record(csv_record(&RegisterItem::try_from(row)?))?;
            }
            out.extend(
                w.into_inner()
                    .map_err(|e| csv::Error::from(e.into_error()))?,
            );
        }
        _ => {
            if first {
                out.extend_from_slice(b"{\"items\":[");
            }
            for (i, row) in rows.into_iter().enumerate() {
                if !(first && i == 0) {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, &RegisterItem::try_from(row)?)?;
            }
            if p.done {
                out.extend_from_slice(b"]}");
            }
        }
    }
    Ok(Bytes::from(out))
}

fn csv_header() -> Vec<&'static str> {
    let mut h = vec![
        "published_at",
        "channel",
        "department_code",
        "department_name",
        "title",
        "source",
        "origin",
        "author",
        "author_name",
    ];
    h.extend(stage_columns());
    h.extend(["url", "content_hash", "status", "draft_id"]);
    h
}

fn csv_record(item: &RegisterItem) -> Vec<String> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let mut r = vec![
        item.published_at.clone(),
        item.channel.clone(),
        item.department_code.clone().unwrap_or_default(),
        item.department_name.clone().unwrap_or_default(),
        item.title.clone(),
        text(&item.source, "kind"),
        text(&item.source, "origin"),
        item.author.clone(),
        item.author_name.clone(),
    ];
    for stage in stage_columns() {
        r.push(
            item.signers
                .get(stage)
                .map(|s| s.join("、"))
                .unwrap_or_default(),
        );
    }
    r.extend([
        item.url.clone().unwrap_or_default(),
        item.content_hash.clone(),
        item.status.clone(),
        item.draft_id.to_string(),
    ]);
    r
}

/// The register as a workbook. Rows go to a constant-memory worksheet
/// (flushed to a temporary file row by row); only the zipped file is
/// held at the end.
pub async fn xlsx(pool: &DbPool, register: &Register) -> Result<Vec<u8>, RegisterError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("register")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, h) in csv_header().iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    let mut row_no: u32 = 1;
    let mut after = 0;
    loop {
        let rows = page(pool, register, after).await?;
        let last = rows.len() < PAGE as usize;
        after = rows.last().map(|r| r.seq).unwrap_or(after);
        for row in rows {
            for (col, cell) in csv_record(&RegisterItem::try_from(row)?).iter().enumerate() {
                sheet.write_string(row_no, col as u16, cell)?;
            }
            row_no += 1;
        }
        if last {
            break;
        }
    }
    Ok(book.save_to_buffer()?)
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Database(db) => ApiError::from(db),
            other => ApiError::internal(other),
        }
    }
}
