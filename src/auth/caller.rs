//! Who calls a use-case: `AuthUser`, a live session of an enabled user, and
//! `TokenHolder`, a valid access token whose session is yet to be checked.
//! `http/extractors.rs` builds them from a request.

use uuid::Uuid;

use crate::db::audit_log::Origin;
use crate::db::sessions;
use crate::db::users::GrantRow;
use crate::domain::vocabulary::Role;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub username: String,
    pub grants: Vec<GrantRow>,
    pub origin: Origin,
}

impl AuthUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role.as_str())
    }

    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.has_role(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The holder of a valid access token whose session is yet to be checked:
/// for the draft actions, which check it inside their own transaction,
/// pipelined with the draft's lock (one statement, one round trip and one
/// pool checkout fewer than [`AuthUser`]). Nothing may be read or written
/// for it before [`TokenHolder::admit`].
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub origin: Origin,
}

impl TokenHolder {
    /// The user, if `live` (the session as [`sessions::check`] found it) is
    /// a live session of an enabled user.
    pub fn admit(&self, live: Option<sessions::SessionCheck>) -> Result<AuthUser, ApiError> {
        let Some(live) = live.filter(|s| !s.disabled && s.revoked_at.is_none()) else {
            return Err(ApiError::Unauthenticated);
        };
        Ok(AuthUser {
            user_id: self.user_id,
            session_id: self.session_id,
            username: live.username,
            grants: live.grants,
            origin: self.origin.clone(),
        })
    }
}
