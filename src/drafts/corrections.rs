//! Corrections (更正, SPEC §7): opening one on a published item, and what
//! publishing it does to the item it corrects. A correction is an ordinary
//! draft that runs the whole route; only its links are special.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::drafts::{self, DraftRow, NewDraft, RevisionRow};
use crate::db::{connect, corrections};
use crate::domain::content::{Content, CorrectionNote};
use crate::domain::content_hash::ContentHash;
use crate::domain::correction::{correction_risk, may_correct};
use crate::domain::vocabulary::{RiskLevel, Status};
use crate::drafts::facts;
use crate::error::ApiError;
use crate::state::AppState;

/// What the caller asks for, already validated.
#[derive(Debug, Clone)]
pub struct NewCorrection {
    pub content: Content,
    pub note: CorrectionNote,
    pub risk_level: Option<RiskLevel>,
}

/// `POST /drafts/{id}/corrections`: a new draft, by the caller, in the
/// original's channel and department with its source, at least its tier.
/// The original is locked, so two requests at once make one correction.
pub async fn open(
    state: &AppState,
    user: &AuthUser,
    original_id: Uuid,
    new: NewCorrection,
) -> Result<Uuid, ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (original, mut actor) =
            facts::load(conn, &state.workflows, original_id, user.user_id, true).await?;
        facts::judged(conn, &mut actor, |a| may_correct(&original.facts, a)).await?;
        let row = &original.row;
        let risk = crate::error::stored(
            RiskLevel::parse(&row.risk_level),
            "drafts.risk_level",
            &row.risk_level,
        )?;
        let risk = correction_risk(risk, new.risk_level).ok_or_else(|| {
            ApiError::validation("risk_level", "must be no lower than the corrected item's")
        })?;
        let source = super::sources::of(row)?;
        let now = Utc::now();
        let id = Uuid::new_v4();
        let draft = NewDraft {
            id,
            channel: &row.channel,
            author_id: user.user_id,
            department_id: row.department_id,
            risk_level: risk.as_str(),
            status: Status::Draft.as_str(),
            revision: 1,
            created_at: now,
            updated_at: now,
            source_kind: source.kind(),
            source_origin: source.origin(),
            corrects: Some(original_id),
            correction_note: Some(new.note.as_str()),
        };
        drafts::insert(conn, &draft)
            .await
            .map_err(crate::error::unique_as_conflict(
                "this item already has an open correction",
            ))?;
        let hash = ContentHash::of(&row.channel, &new.content);
        let revision = RevisionRow {
            draft_id: id,
            number: 1,
            title: new.content.title().into(),
            summary: new.content.summary().into(),
            body: new.content.body().into(),
            format: new.content.format().as_str().into(),
            content_hash: hash.to_string(),
            author_id: user.user_id,
            created_at: now,
        };
        drafts::insert_revision(conn, &revision).await?;
        let mut event = NewEvent::new("correction_created", &user.origin)
            .by(user.user_id, &user.username)
            .on_draft(id, 1, hash.as_str())
            .with("corrects", original_id.to_string())
            .with(
                "corrects_content_hash",
                original.revision.content_hash.clone(),
            )
            .with("correction_note", new.note.as_str())
            .with("channel", row.channel.clone())
            .with("risk_level", risk.as_str())
            .with("source_kind", source.kind())
            .with("source_origin", source.origin())
            .with("title", new.content.title());
        event.to_status = Some(Status::Draft.as_str().into());
        append(conn, event).await?;
        Ok(id)
    })
    .await
}

/// Called inside the transaction that publishes `published`: when it is a
/// correction, the item it corrects becomes `corrected` (final) with
/// `corrected_by`, and that change has its own event on the original's
/// trail. An original retracted meanwhile stays retracted but is linked.
pub async fn on_published(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    published: &DraftRow,
) -> Result<(), ApiError> {
    let Some(original_id) = published.corrects else {
        return Ok(());
    };
    let original = drafts::lock(conn, original_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("{original_id} is gone")))?;
    let to = if original.status == Status::Published.as_str() {
        Status::Corrected.as_str()
    } else {
        original.status.as_str()
    };
    let shared: &AsyncPgConnection = conn;
    let revision = drafts::revision(shared, original_id, original.revision)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("{original_id} lacks a revision")))?;
    corrections::mark_corrected(shared, original_id, published.id, to).await?;
    let event = NewEvent::new("draft_corrected", &user.origin)
        .by(user.user_id, &user.username)
        .on_draft(original_id, original.revision, &revision.content_hash)
        .transition(&original.status, to)
        .with("corrected_by", published.id.to_string())
        .with("correction_note", published.correction_note.clone())
        .with("url", published.published_url.clone());
    append(shared, event).await?;
    Ok(())
}
