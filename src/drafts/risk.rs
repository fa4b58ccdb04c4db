//! Setting a draft's risk tier (SPEC §5 escalation), one transaction: lock
//! the draft, ask the rules, move it onto the route of the new tier, and
//! record `risk_changed` with from, to and reason.

use chrono::Utc;
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::TokenHolder;
use crate::db::audit_log::{NewEvent, append};
use crate::db::connect;
use crate::db::drafts::{self, RiskState};
use crate::domain::content::Remark;
use crate::domain::deadline;
use crate::domain::vocabulary::RiskLevel;
use crate::domain::workflow::{Action, Effect};
use crate::drafts::actions::{place, position};
use crate::drafts::facts::{self, Loaded};
use crate::error::ApiError;
use crate::state::AppState;

/// Sets the tier; the same tier again changes nothing and records nothing.
pub async fn set(
    state: &AppState,
    holder: &TokenHolder,
    id: Uuid,
    to: RiskLevel,
    reason: Option<Remark>,
) -> Result<Loaded, ApiError> {
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (mut loaded, user, mut actor) =
            facts::load_as(conn, &state.workflows, id, holder, true).await?;
        let action = Action::SetRisk {
            to,
            reason: reason.is_some(),
        };
        let Effect::SetRisk { from, to, next } =
            facts::decided(conn, &loaded.facts, &mut actor, &action).await?
        else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "a risk change decided something else"
            )));
        };
        if from == to {
            return Ok(loaded);
        }
        let status = Effect::SetRisk {
            from,
            to,
            next: next.clone(),
        }
        .to_status()
        .unwrap_or(loaded.facts.status);
        let (current_stage, current_step, current_stages) = if next.is_some() {
            position(next.as_ref())
        } else {
            // Not in review: nothing open, as before.
            (None, None, Vec::new())
        };
        let row = &loaded.row;
        let was = place(&row.status, row.round, row.current_step);
        let is = place(status.as_str(), row.round, current_step);
        let due_at = deadline::due_at(
            loaded.facts.workflow.routes.of(to),
            was,
            is,
            row.due_at,
            state.clock.now(),
        );
        let overdue = was == is && row.overdue;
        let mut event = NewEvent::new("risk_changed", &user.origin)
            .by(user.user_id, &user.username)
            .on_draft(row.id, row.revision, &loaded.revision.content_hash)
            .with("from", from.as_str())
            .with("to", to.as_str())
            .with("reason", reason.as_ref().map(Remark::as_str))
            .with("current_stages", current_stages.clone());
        if status != loaded.facts.status {
            event = event.transition(&row.status, status.as_str());
        }
        event.stage = current_stage.map(String::from);
        let updated = drafts::set_risk(
            conn,
            id,
            &RiskState {
                risk_level: to.as_str(),
                status: status.as_str(),
                current_stage,
                current_step,
                current_stages,
                updated_at: Utc::now(),
                due_at,
                overdue,
            },
        )
        .await?;
        append(conn, event).await?;
        loaded.facts.risk = to;
        loaded.facts.status = status;
        loaded.row = updated;
        Ok(loaded)
    })
    .await
}
