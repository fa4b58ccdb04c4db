//! /lexicons (admin, SPEC §6): the word lists of the machine check. The
//! entries come as JSON or as CSV (`term,severity,suggestion,note`).

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::check::lexicons;
use crate::db::lexicons::{EntryRow, LexiconRow};
use crate::domain::check::{Entry, Severity};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::pagination::{self, Page};
use crate::http::problems::{
    AdminErrors, AdminFindErrors, AdminListErrors, CreateUniqueErrors, UpdateErrors,
};
use crate::state::AppState;

/// The most a replacement body may weigh: 200,000 entries of a long term,
/// suggestion and note fit with room to spare.
pub const ENTRIES_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct LexiconView {
    pub id: Uuid,
    #[schema(example = "banned")]
    pub code: String,
    #[schema(example = "禁用词")]
    pub name: String,
    /// The channels it applies to; null: every channel.
    pub channels: Option<Vec<String>>,
    /// Grows by one with each replacement of the entries; 0 before the first.
    pub version: i32,
    pub entry_count: i32,
    /// SHA-256 of the entries' JCS form, as `lexicon_changed` records it.
    pub entries_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<LexiconRow> for LexiconView {
    fn from(r: LexiconRow) -> Self {
        LexiconView {
            id: r.id,
            code: r.code,
            name: r.name,
            channels: r.channels,
            version: r.version,
            entry_count: r.entry_count,
            entries_sha256: r.entries_sha256,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLexiconRequest {
    #[schema(example = "banned", pattern = "^[a-z0-9_-]{1,32}$")]
    pub code: String,
    #[schema(example = "禁用词", min_length = 1, max_length = 200)]
    pub name: String,
    /// Channel codes; leave out for every channel.
    #[schema(example = json!(["wechat_official", "portal"]))]
    pub channels: Option<Vec<String>>,
}

/// One entry of a lexicon.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryView {
    #[schema(example = "两学一做", min_length = 1, max_length = 200)]
    pub term: String,
    pub severity: Severity,
    #[schema(example = "“两学一做”学习教育", max_length = 500)]
    pub suggestion: Option<String>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

impl TryFrom<EntryRow> for EntryView {
    type Error = ApiError;

    fn try_from(r: EntryRow) -> Result<Self, ApiError> {
        Ok(EntryView {
            severity: crate::error::stored(
                Severity::parse(&r.severity),
                "lexicon_entries.severity",
                &r.severity,
            )?,
            term: r.term,
            suggestion: r.suggestion,
            note: r.note,
        })
    }
}

#[utoipa::path(operation_id = "create_lexicon", tag = "lexicons", security(("bearer" = [])), request_body = CreateLexiconRequest,
    description = "Requires `admin`. A lexicon with no entries (version 0).",
    responses(
        (status = 201, body = LexiconView),
        CreateUniqueErrors,
    ))]
#[post("/lexicons")]
pub async fn create_lexicon(
    state: web::Data<AppState>,
    admin: AuthUser,
    body: ApiJson<CreateLexiconRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let row = lexicons::create(&state, &admin, &b.code, &b.name, b.channels).await?;
    Ok(HttpResponse::Created().json(LexiconView::from(row)))
}

#[utoipa::path(operation_id = "list_lexicons", tag = "lexicons", security(("bearer" = [])),
    description = "Requires `admin`. Ordered by code.",
    responses(
        (status = 200, body = Vec<LexiconView>),
        AdminErrors,
    ))]
#[get("/lexicons")]
pub async fn list_lexicons(
    state: web::Data<AppState>,
    admin: AuthUser,
) -> Result<web::Json<Vec<LexiconView>>, ApiError> {
    let rows = lexicons::list(&state, &admin).await?;
    Ok(web::Json(rows.into_iter().map(LexiconView::from).collect()))
}

#[utoipa::path(operation_id = "replace_lexicon_entries", tag = "lexicons", security(("bearer" = [])),
    params(("code" = String, Path)),
    request_body(description = "All entries, replacing the old ones at once (up to 200,000): a JSON array, or CSV with the header `term,severity,suggestion,note`. A bad entry answers 422 naming it (`[i]` for JSON, `line n` for CSV) and changes nothing.",
        content(
            (Vec<EntryView> = "application/json"),
            (String = "text/csv", example = "term,severity,suggestion,note\n示例禁用词,block,,\n示例不规范表述,warn,规范表述,\n"),
        )),
    description = "Requires `admin`. Bumps the version; event `lexicon_changed` with the count and SHA-256 of the entries.",
    responses(
        (status = 200, body = LexiconView),
        UpdateErrors,
    ))]
#[put("/lexicons/{code}/entries")]
pub async fn replace_entries(
    state: web::Data<AppState>,
    admin: AuthUser,
    code: web::Path<String>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<web::Json<LexiconView>, ApiError> {
    let csv = match req.mime_type() {
        Ok(Some(m)) if m.type_() == "text" && m.subtype() == "csv" => true,
        Ok(Some(m)) if m.type_() == "application" && m.subtype() == "json" => false,
        _ => return Err(ApiError::UnsupportedMediaType),
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > ENTRIES_LIMIT) {
        return Err(ApiError::PayloadTooLarge(ENTRIES_LIMIT));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > ENTRIES_LIMIT {
            return Err(ApiError::PayloadTooLarge(ENTRIES_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    let (entries, lines) = if csv {
        from_csv(&body)?
    } else {
        (from_json(&body)?, Vec::new())
    };
    let place = |i: usize| match lines.get(i) {
        Some(line) => format!("line {line}"),
        None => format!("[{i}]"),
    };
    let row = lexicons::replace_entries(&state, &admin, &code, entries, place).await?;
    Ok(web::Json(LexiconView::from(row)))
}

fn from_json(body: &[u8]) -> Result<Vec<Entry>, ApiError> {
    let list: Vec<EntryView> = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("invalid JSON: {e}")))?;
    Ok(list
        .into_iter()
        .map(|e| Entry {
            term: e.term,
            severity: e.severity,
            suggestion: e.suggestion.filter(|s| !s.is_empty()),
            note: e.note.filter(|s| !s.is_empty()),
        })
        .collect())
}

/// The entries of a CSV body and the line each came from. The header must
/// be `term,severity,suggestion,note` (a UTF-8 BOM, as Excel writes, is
/// allowed); empty suggestion and note are absent.
fn from_csv(body: &[u8]) -> Result<(Vec<Entry>, Vec<u64>), ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let bad = |line: u64, message: String| ApiError::validation(&format!("line {line}"), message);
    let header = reader
        .headers()
        .map_err(|e| bad(1, format!("unreadable header: {e}")))?
        .clone();
    if header.iter().collect::<Vec<_>>() != ["term", "severity", "suggestion", "note"] {
        return Err(bad(
            1,
            "the header must be term,severity,suggestion,note".into(),
        ));
    }
    let mut entries = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            let message = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "is not UTF-8".to_string(),
                csv::ErrorKind::UnequalLengths { len, .. } => {
                    format!("has {len} fields; each line needs 4: term,severity,suggestion,note")
                }
                _ => e.to_string(),
            };
            bad(line, message)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let severity = Severity::parse(&record[1])
            .ok_or_else(|| bad(line, "severity must be block or warn".into()))?;
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_string());
        entries.push(Entry {
            term: record[0].to_string(),
            severity,
            suggestion: optional(&record[2]),
            note: optional(&record[3]),
        });
        lines.push(line);
    }
    Ok((entries, lines))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// Only terms containing this text (case-insensitive).
    pub q: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(operation_id = "lexicon_entries", tag = "lexicons", security(("bearer" = [])),
    params(("code" = String, Path), EntriesQuery),
    description = "Requires `admin`. The entries in their order.",
    responses(
        (status = 200, body = Page<EntryView>),
        AdminListErrors,
        AdminFindErrors,
    ))]
#[get("/lexicons/{code}/entries")]
pub async fn list_entries(
    state: web::Data<AppState>,
    admin: AuthUser,
    code: web::Path<String>,
    query: web::Query<EntriesQuery>,
) -> Result<web::Json<Page<EntryView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_seq_cursor(query.cursor.as_deref())?
        .map(|n| {
            i32::try_from(n)
                .map_err(|_| ApiError::Malformed("cursor is not one this server issued".into()))
        })
        .transpose()?;
    if query
        .q
        .as_deref()
        .is_some_and(|q| q.contains('\0') || q.chars().count() > 200)
    {
        return Err(ApiError::Malformed(
            "q must be at most 200 characters, without NUL".into(),
        ));
    }
    let rows =
        lexicons::entries(&state, &admin, &code, query.q.as_deref(), after, limit + 1).await?;
    Ok(web::Json(pagination::try_page_of(
        rows,
        limit,
        |r| pagination::encode_seq_cursor(i64::from(r.position)),
        EntryView::try_from,
    )?))
}
