//! What the console's pages show: the caller's tasks, and a draft with what
//! the caller may do to it and what changed since they last saw it. What
//! the caller may do is asked of `decide` with the action they would take,
//! so the page offers exactly what the API would accept.

use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::{self, connect};
use crate::domain::diff::{self, LineDiff};
use crate::domain::vocabulary::{Check, Stage, Status};
use crate::domain::workflow::{Action, Actor, DraftFacts, Refusal, decide};
use crate::drafts::facts;
use crate::drafts::reads;
use crate::drafts::views::{DraftSummary, DraftView};
use crate::error::ApiError;
use crate::state::AppState;

/// The most tasks one page lists.
const TASKS_SHOWN: i64 = 200;

/// The caller's tasks, oldest first, as `GET /tasks` lists them.
pub async fn tasks(state: &AppState, user: &AuthUser) -> Result<Vec<DraftSummary>, ApiError> {
    reads::tasks_of(state, user, TASKS_SHOWN).await
}

/// Whether the caller may sign the draft's open stage.
#[derive(Debug)]
pub enum SignOffer {
    /// They may: the page shows the approve and return forms.
    Sign(Stage),
    /// They hold the stage's role, but separation of duties bars them.
    Barred { stage: Stage, why: String },
    /// Nothing to sign, or not theirs to sign.
    Nothing,
}

/// An earlier revision the caller saw in review, and the diff to this one.
#[derive(Debug)]
pub struct Since {
    pub revision: i32,
    /// True when the caller signed it themselves; else the last round did.
    pub by_caller: bool,
    pub diff: LineDiff,
}

#[derive(Debug)]
pub struct DraftPage {
    pub draft: DraftView,
    pub offer: SignOffer,
    pub may_publish: bool,
    pub auditor: bool,
    pub since: Option<Since>,
}

/// One draft as the caller may see it (404 otherwise, as the API).
pub async fn draft(state: &AppState, user: &AuthUser, id: Uuid) -> Result<DraftPage, ApiError> {
    let mut conn = connect(&state.pool).await?;
    let loaded = reads::visible(&mut conn, &state.workflows, user, id).await?;
    let actor = facts::actor(&conn, user.user_id).await?;
    let hash = loaded.revision.content_hash.clone();
    let offer = sign_offer(&loaded.facts, &actor, &hash);
    let publish = Action::Publish {
        content_hash: &hash,
    };
    let may_publish = decide(&loaded.facts, &actor, &publish).is_ok();
    let current = loaded.revision.clone();
    let since = since(&mut conn, user, &current).await?;
    Ok(DraftPage {
        draft: reads::view(loaded)?,
        offer,
        may_publish,
        auditor: reads::is_auditor(user),
        since,
    })
}

/// Asks the rules about an approval of the open stage of exactly this text
/// with every check attested: allowed, barred by separation of duties, or
/// not the caller's at all.
/// With parallel stages open (SPEC §5), the first the caller may sign.
fn sign_offer(facts: &DraftFacts, actor: &Actor, hash: &str) -> SignOffer {
    if facts.status != Status::InReview {
        return SignOffer::Nothing;
    }
    let mut offer = SignOffer::Nothing;
    for stage in facts.current_stages() {
        let approve = Action::Approve {
            stage,
            content_hash: hash,
            checks: &Check::ALL,
        };
        match decide(facts, actor, &approve) {
            Ok(_) => return SignOffer::Sign(stage),
            Err(Refusal::SeparationOfDuties(why)) if matches!(offer, SignOffer::Nothing) => {
                offer = SignOffer::Barred {
                    stage,
                    why: why.into(),
                };
            }
            Err(_) => {}
        }
    }
    offer
}

/// The revision the caller last signed before this one, or else the one the
/// last review round signed, with its diff to `current`.
async fn since(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &AuthUser,
    current: &db::drafts::RevisionRow,
) -> Result<Option<Since>, ApiError> {
    let (id, number) = (current.draft_id, current.number);
    let mine = db::console::last_signed_by(conn, id, number, user.user_id).await?;
    let seen = match mine {
        Some(n) => Some((n, true)),
        None => db::console::last_signed(conn, id, number)
            .await?
            .map(|n| (n, false)),
    };
    let Some((seen, by_caller)) = seen else {
        return Ok(None);
    };
    let Some(old) = db::drafts::revision(conn, id, seen).await? else {
        return Ok(None);
    };
    let new_body = current.body.clone();
    // CPU-bound and bounded in time (`diff::TIME_BOUND`): off the request thread.
    let diff = tokio::task::spawn_blocking(move || {
        diff::line_diff(&old.body, &new_body, ("", ""), diff::TIME_BOUND)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Some(Since {
        revision: seen,
        by_caller,
        diff,
    }))
}
