//! `GET /drafts/{id}/check`: the machine-check report stored on submit,
//! for whoever may see the draft.

use uuid::Uuid;

use crate::auth::AuthUser;
use crate::check::{self, gate::StoredReport};
use crate::db::connect;
use crate::drafts::reads;
use crate::error::ApiError;
use crate::state::AppState;

/// The newest stored report of a visible draft; 404 when the draft is not
/// visible or was never submitted.
pub async fn stored(state: &AppState, user: &AuthUser, id: Uuid) -> Result<StoredReport, ApiError> {
    let mut conn = connect(&state.pool).await?;
    reads::visible(&mut conn, &state.workflows, user, id).await?;
    check::stored_report(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)
}
