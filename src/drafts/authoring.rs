//! The author's actions of SPEC §2 before review: create a draft, and edit
//! it while it is `draft` or `returned` (a new revision only when the
//! content changed). One transaction each, with its audit event.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::drafts::{self, NewDraft, RevisionRow};
use crate::db::{channels, connect, users};
use crate::domain::content::{Content, Source};
use crate::domain::content_hash::ContentHash;
use crate::domain::vocabulary::{RiskLevel, Role, Status};
use crate::domain::workflow::Action;
use crate::drafts::actions::unchanged;
use crate::drafts::facts;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn create(
    state: &AppState,
    user: &AuthUser,
    channel: &str,
    content: Content,
    risk: RiskLevel,
    source: &Source,
) -> Result<Uuid, ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let me = users::find(conn, user.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let may_write = facts::actor(conn, user.user_id)
            .await?
            .grants
            .iter()
            .any(|g| {
                g.role == Role::Editor
                    && g.channel.as_deref().is_none_or(|c| c == channel)
                    && g.department_id.is_none_or(|d| Some(d) == me.department_id)
            });
        if !may_write {
            return Err(ApiError::Forbidden(
                "you hold no editor grant for this channel".into(),
            ));
        }
        if channels::find(conn, channel).await?.is_none() {
            return Err(ApiError::validation("channel", "no such channel"));
        }
        let now = Utc::now();
        let id = Uuid::new_v4();
        let new = NewDraft {
            id,
            channel,
            author_id: me.id,
            department_id: me.department_id,
            risk_level: risk.as_str(),
            status: Status::Draft.as_str(),
            revision: 1,
            created_at: now,
            updated_at: now,
            source_kind: source.kind(),
            source_origin: source.origin(),
            corrects: None,
            correction_note: None,
        };
        drafts::insert(conn, &new).await?;
        let hash = insert_revision(conn, id, 1, channel, &content, me.id).await?;
        let event = NewEvent::new("draft_created", &user.origin)
            .by(user.user_id, &user.username)
            .on_draft(id, 1, hash.as_str())
            .with("channel", channel)
            .with("risk_level", risk.as_str())
            .with("source_kind", source.kind())
            .with("source_origin", source.origin())
            .with("title", content.title());
        let mut event = event;
        event.to_status = Some(Status::Draft.as_str().into());
        append(conn, event).await?;
        Ok(id)
    })
    .await
}

async fn insert_revision(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
    number: i32,
    channel: &str,
    content: &Content,
    author_id: Uuid,
) -> Result<ContentHash, ApiError> {
    let hash = ContentHash::of(channel, content);
    let row = RevisionRow {
        draft_id,
        number,
        title: content.title().into(),
        summary: content.summary().into(),
        body: content.body().into(),
        format: content.format().as_str().into(),
        content_hash: hash.to_string(),
        author_id,
        created_at: Utc::now(),
    };
    drafts::insert_revision(conn, &row).await?;
    Ok(hash)
}

/// Edit (author, `draft` or `returned`): `If-Match` must name the current
/// content. Identical content changes nothing and makes no revision.
pub async fn edit(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    if_match: &ContentHash,
    content: Content,
    source: Option<&Source>,
) -> Result<(), ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (loaded, mut actor) =
            facts::load(conn, &state.workflows, id, user.user_id, true).await?;
        facts::decided(conn, &loaded.facts, &mut actor, &Action::Edit).await?;
        if loaded.revision.content_hash != if_match.as_str() {
            return Err(ApiError::PreconditionFailed);
        }
        crate::drafts::sources::change(conn, user, &loaded, source).await?;
        let hash = ContentHash::of(&loaded.row.channel, &content);
        if hash.as_str() == loaded.revision.content_hash {
            return Ok(());
        }
        let number = loaded.row.revision + 1;
        insert_revision(
            conn,
            id,
            number,
            &loaded.row.channel,
            &content,
            user.user_id,
        )
        .await?;
        drafts::set_state(conn, id, &unchanged(&loaded, number)).await?;
        let event = NewEvent::new("draft_edited", &user.origin)
            .by(user.user_id, &user.username)
            .on_draft(id, number, hash.as_str())
            .with("previous_revision", loaded.row.revision)
            .with(
                "previous_content_hash",
                loaded.revision.content_hash.clone(),
            )
            .with("title", content.title());
        append(conn, event).await?;
        Ok(())
    })
    .await
}
