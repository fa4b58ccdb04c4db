//! POST /audit/lookup (auditor only): which drafts carry this text, and was
//! it the text that was approved and published?

use actix_web::post;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::lookup::{self as lookups, Lookup, LookupBy, Match};
use crate::auth::AuthUser;
use crate::domain::audit_chain::AuditEvent;
use crate::domain::content::Content;
use crate::domain::content_hash::ContentHash;
use crate::domain::vocabulary::{RiskLevel, Role, Status};
use crate::drafts::views::SignoffView;
use crate::http::error::{ApiError, FieldProblem, Problem};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::http::problems::CreateErrors;
use crate::state::AppState;

/// Either `{content_hash}` or `{channel, title, summary?, body, format}`:
/// the hash, or the text seen live, to be hashed as SPEC §1 says.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "wechat_official", "title": "关于开展2026年度安全生产检查的通知",
    "summary": "", "body": "各科室：……", "format": "html"}))]
pub struct LookupRequest {
    /// 64 lowercase hex digits.
    pub content_hash: Option<String>,
    #[schema(example = "wechat_official")]
    pub channel: Option<String>,
    pub title: Option<String>,
    /// Default "".
    pub summary: Option<String>,
    pub body: Option<String>,
    /// `html`, `markdown` or `text`.
    pub format: Option<String>,
}

impl LookupRequest {
    /// One shape or the other: a hash with text, or neither, is malformed;
    /// text that breaks SPEC §1's rules could never have been a revision (422).
    fn parse(self) -> Result<LookupBy, ApiError> {
        let LookupRequest {
            content_hash,
            channel,
            title,
            summary,
            body,
            format,
        } = self;
        let any_content = channel.is_some()
            || title.is_some()
            || summary.is_some()
            || body.is_some()
            || format.is_some();
        if let Some(hash) = content_hash {
            if any_content {
                return Err(ApiError::Malformed(
                    "give either content_hash or the content (channel, title, summary, body, format), not both".into(),
                ));
            }
            return ContentHash::parse(&hash)
                .map(LookupBy::Hash)
                .ok_or_else(|| {
                    ApiError::validation("content_hash", "must be 64 lowercase hex digits")
                });
        }
        let (Some(channel), Some(title), Some(body), Some(format)) = (channel, title, body, format)
        else {
            return Err(ApiError::Malformed(
                "give content_hash, or channel, title, body, format (and summary, default \"\")"
                    .into(),
            ));
        };
        let mut problems = Vec::new();
        if channel.is_empty() || channel.contains('\0') {
            problems.push(FieldProblem::new("channel", "must be a channel code"));
        }
        let content = Content::parse(title, summary, body, &format).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| FieldProblem::new(e.field, e.message))
                .collect::<Vec<_>>()
        });
        match content {
            Ok(content) if problems.is_empty() => Ok(LookupBy::Content { channel, content }),
            Ok(_) => Err(ApiError::Validation(problems)),
            Err(more) => {
                problems.extend(more);
                Err(ApiError::Validation(problems))
            }
        }
    }
}

/// One revision with the content.
#[derive(Serialize, ToSchema)]
pub struct LookupMatchView {
    pub draft_id: Uuid,
    /// The revision with this content.
    #[schema(example = 2)]
    pub revision: i32,
    /// The draft's status now.
    pub status: Status,
    #[schema(example = "wechat_official")]
    pub channel: String,
    /// The revision's title.
    pub title: String,
    /// Whether this revision is the draft's current one.
    pub current: bool,
    /// Whether this revision is the one that was published (also when since retracted).
    pub published: bool,
    pub published_url: Option<String>,
    /// When the draft was corrected (status `corrected`, SPEC §7): the
    /// correction that replaced it on the channel.
    pub corrected_by: Option<Uuid>,
    /// The tier whose route the draft follows (SPEC §5): which stages, quorums
    /// and whether `leader` the sign-offs below had to complete.
    pub risk_level: RiskLevel,
    /// The workflow version the draft was submitted under; null before.
    #[schema(example = 1)]
    pub workflow_version: Option<i32>,
    /// Every sign-off of this revision, oldest first, in every round.
    pub signoffs: Vec<SignoffView>,
    /// The draft's events in chain order (its trail), at most 200.
    pub events: Vec<AuditEvent>,
    /// When the draft has more events: the cursor for `GET /audit/events?draft_id=…`.
    pub events_next_cursor: Option<String>,
    /// The full approval sheet.
    #[schema(example = "/api/v1/drafts/5b0c…/trail")]
    pub trail: String,
}

impl TryFrom<Match> for LookupMatchView {
    type Error = ApiError;

    fn try_from(m: Match) -> Result<Self, ApiError> {
        let hit = &m.hit;
        let events_next_cursor = m
            .more_events
            .then(|| {
                m.events
                    .last()
                    .map(|e| pagination::encode_seq_cursor(e.seq))
            })
            .flatten();
        Ok(LookupMatchView {
            draft_id: hit.draft_id,
            revision: hit.revision,
            // The CHECK constraint admits only the seven statuses; anything
            // else is a corrupt row, never shown as a default.
            status: Status::parse(&hit.status).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("unknown status {:?}", hit.status))
            })?,
            channel: hit.channel.clone(),
            title: hit.title.clone(),
            current: hit.current_revision == hit.revision,
            published: hit.was_published(),
            published_url: hit.published_url.clone(),
            corrected_by: hit.corrected_by,
            risk_level: crate::error::stored(
                RiskLevel::parse(&hit.risk_level),
                "drafts.risk_level",
                &hit.risk_level,
            )?,
            workflow_version: hit.workflow_version,
            trail: format!("/api/v1/drafts/{}/trail", hit.draft_id),
            signoffs: m
                .signoffs
                .into_iter()
                .map(|(row, signer)| SignoffView::new(row, signer))
                .collect::<Result<_, _>>()?,
            events: m.events,
            events_next_cursor,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct LookupView {
    /// The hash looked up (computed, when content was sent).
    pub content_hash: String,
    /// Oldest revision first; empty when no draft ever held this content.
    pub matches: Vec<LookupMatchView>,
    /// More than 100 revisions matched; only the first 100 are listed.
    pub truncated: bool,
}

impl TryFrom<Lookup> for LookupView {
    type Error = ApiError;

    fn try_from(l: Lookup) -> Result<Self, ApiError> {
        Ok(LookupView {
            content_hash: l.content_hash.to_string(),
            matches: l
                .matches
                .into_iter()
                .map(LookupMatchView::try_from)
                .collect::<Result<_, _>>()?,
            truncated: l.truncated,
        })
    }
}

#[utoipa::path(operation_id = "audit_lookup", tag = "audit", security(("bearer" = [])), request_body = LookupRequest,
    description = "Requires `auditor`. \"Is this text, seen live, the text that was approved?\" Every revision \
        with the content_hash, its draft's status, the revision's sign-offs and the draft's events. \
        Recorded as an `audit_lookup` event (the hash and the number of matches, never the text).",
    responses(
        (status = 200, body = LookupView),
        CreateErrors,
        (status = 400, description = "Neither or both shapes, or bad JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed hash, or content no revision could have", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/audit/lookup")]
pub async fn lookup(
    state: web::Data<AppState>,
    auditor: AuthUser,
    body: ApiJson<LookupRequest>,
) -> Result<web::Json<LookupView>, ApiError> {
    auditor.require(Role::Auditor)?;
    let by = body.0.parse()?;
    let found = lookups::lookup(&state, &auditor, &by).await?;
    Ok(web::Json(found.try_into()?))
}
