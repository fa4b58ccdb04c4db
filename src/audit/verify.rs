//! Recomputing the whole chain from the database, page by page, through the
//! one shared `ChainVerifier` (the HTTP endpoint and the CLI both use this).

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde_json::Map;

use crate::audit::access;
use crate::audit::export::PAGE;
use crate::audit::query::{self, EventFilter, Window};
use crate::auth::AuthUser;
use crate::db::chainer;
use crate::db::{audit_events, connect, reconcile};
use crate::domain::audit_chain::{ChainVerifier, Verification};
use crate::error::ApiError;
use crate::state::AppState;

/// Checks every event in one consistent snapshot of the trail.
pub async fn verify_chain(conn: &mut AsyncPgConnection) -> QueryResult<Verification> {
    // Committed events still waiting to be linked are linked first, so the
    // check covers every committed change.
    chainer::chain_committed(conn).await?;
    // One snapshot: the head row and the events agree in it, although
    // appends go on meanwhile.
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(async |conn| {
            let mut verification = check(conn).await?;
            let (missing, total) = reconcile::missing_events(conn).await?;
            if total > 0 {
                verification.valid = false;
            }
            verification.missing_events = missing;
            verification.missing_total = u64::try_from(total).unwrap_or(0);
            Ok(verification)
        })
        .await
}

async fn check(conn: &mut AsyncPgConnection) -> QueryResult<Verification> {
    let head = audit_events::head(conn).await?;
    // Each page is checked on a blocking thread while the next is read, so
    // that hashing and the database work at the same time.
    let all = EventFilter::default();
    let mut verifier = ChainVerifier::new();
    let mut window = Window::default();
    let mut events = query::page(conn, &all, window, PAGE).await?;
    loop {
        let last_page = events.len() < PAGE as usize;
        window.after = events.last().map(|e| e.seq).or(window.after);
        let checking = async {
            Ok(crate::audit::off_thread(move || {
                for event in &events {
                    verifier.push(event);
                }
                verifier
            })
            .await)
        };
        if last_page {
            verifier = checking.await?;
            break;
        }
        let next = query::page(conn, &all, window, PAGE);
        (verifier, events) = futures_util::try_join!(checking, next)?;
    }
    let mut verification = verifier.finish();
    if let Some((seq, hash)) = head {
        witness(&mut verification, seq, &hash);
    }
    Ok(verification)
}

/// The chain cannot see its own end: deleting the last events, appending
/// forged ones after them, or rewriting and rehashing the very last one all
/// leave a well-linked chain. The head row, written in the same transaction
/// as every event, witnesses the end. A deleted tail has no successor to
/// show the break, so it is reported at the first missing seq.
fn witness(v: &mut Verification, head_seq: i64, head_hash: &str) {
    if !v.valid {
        return;
    }
    let last = v.head_seq.unwrap_or(0);
    let first_invalid = if last < head_seq {
        Some(last + 1)
    } else if last > head_seq {
        Some(head_seq + 1)
    } else if last > 0 && v.head_hash.as_deref() != Some(head_hash) {
        Some(last)
    } else {
        None
    };
    if first_invalid.is_some() {
        v.valid = false;
        v.first_invalid_seq = first_invalid;
    }
}

/// `GET /audit/verify`: verifies, then records the check and its outcome
/// (committed before the answer leaves), so a found break is on the record.
pub async fn verify(state: &AppState, auditor: &AuthUser) -> Result<Verification, ApiError> {
    let verification = {
        let mut conn = connect(&state.pool).await?;
        verify_chain(&mut conn).await?
    };
    let mut detail = Map::new();
    detail.insert("valid".into(), verification.valid.into());
    detail.insert("checked".into(), verification.checked.into());
    detail.insert(
        "first_invalid_seq".into(),
        verification.first_invalid_seq.into(),
    );
    detail.insert("missing_total".into(), verification.missing_total.into());
    access::record(state, auditor, "audit_verified", detail).await?;
    Ok(verification)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intact(last: i64) -> Verification {
        Verification {
            valid: true,
            checked: last as u64,
            head_seq: (last > 0).then_some(last),
            head_hash: (last > 0).then(|| format!("h{last}")),
            first_invalid_seq: None,
            missing_events: Vec::new(),
            missing_total: 0,
        }
    }

    fn judged(mut v: Verification, head_seq: i64, head_hash: &str) -> (bool, Option<i64>) {
        witness(&mut v, head_seq, head_hash);
        (v.valid, v.first_invalid_seq)
    }

    #[test]
    fn an_end_that_matches_the_head_stands() {
        assert_eq!(judged(intact(7), 7, "h7"), (true, None));
        assert_eq!(judged(intact(0), 0, &"0".repeat(64)), (true, None));
    }

    #[test]
    fn the_head_witnesses_what_the_chain_cannot_see() {
        assert_eq!(judged(intact(5), 7, "h7"), (false, Some(6)), "tail deleted");
        assert_eq!(
            judged(intact(0), 2, "h2"),
            (false, Some(1)),
            "everything deleted"
        );
        assert_eq!(
            judged(intact(8), 7, "h7"),
            (false, Some(8)),
            "forged events appended"
        );
        assert_eq!(
            judged(intact(7), 7, "other"),
            (false, Some(7)),
            "last event rewritten and rehashed"
        );
    }

    #[test]
    fn an_earlier_break_is_kept() {
        let mut broken = intact(5);
        broken.valid = false;
        broken.first_invalid_seq = Some(2);
        assert_eq!(judged(broken, 7, "h7"), (false, Some(2)));
    }
}
