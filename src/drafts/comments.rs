//! Commenting on a draft: its author and its signers and publishers, never
//! an auditor (the domain decides), with its event in the same transaction.

use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::connect;
use crate::db::drafts::{self, CommentRow};
use crate::domain::content::Remark;
use crate::domain::workflow::Action;
use crate::drafts::facts;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn comment(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    body: Remark,
) -> Result<CommentRow, ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (loaded, mut actor) =
            facts::load(conn, &state.workflows, id, user.user_id, false).await?;
        facts::decided(conn, &loaded.facts, &mut actor, &Action::Comment).await?;
        let row = drafts::insert_comment(conn, id, user.user_id, body.as_str()).await?;
        let event = NewEvent::new("comment_added", &user.origin)
            .by(user.user_id, &user.username)
            .on_draft(id, loaded.row.revision, &loaded.revision.content_hash)
            .with("comment_id", row.id.to_string())
            .with("body", json!(body.as_str()));
        append(conn, event).await?;
        Ok(row)
    })
    .await
}
