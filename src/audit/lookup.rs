//! "Is this text, seen live, the text that was approved?": every revision
//! with a given content_hash, with its draft's status, sign-offs and events.

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde_json::Map;

use crate::audit::access;
use crate::audit::query::{self, EventFilter, Window};
use crate::auth::AuthUser;
use crate::db::chainer;
use crate::db::connect;
use crate::db::drafts::{SignoffRow, signoffs_of};
pub use crate::db::lookup::{self, Hit};
use crate::domain::audit_chain::AuditEvent;
use crate::domain::content::Content;
use crate::domain::content_hash::ContentHash;
use crate::error::ApiError;
use crate::state::AppState;

/// At most this many revisions are returned: identical text in more drafts
/// than this is not a question an auditor asks of one page.
pub const MAX_MATCHES: i64 = 100;
/// Events shown per draft; the rest are a cursor away on `/audit/events`.
pub const EVENTS_PER_DRAFT: i64 = 200;

/// What the auditor holds: the hash, or the text itself to hash.
#[derive(Debug, Clone)]
pub enum LookupBy {
    Hash(ContentHash),
    Content { channel: String, content: Content },
}

impl LookupBy {
    pub fn hash(&self) -> ContentHash {
        match self {
            LookupBy::Hash(h) => h.clone(),
            LookupBy::Content { channel, content } => ContentHash::of(channel, content),
        }
    }
}

#[derive(Debug)]
pub struct Match {
    pub hit: Hit,
    /// Every sign-off of that revision, with the signer's username.
    pub signoffs: Vec<(SignoffRow, String)>,
    /// The draft's first events in chain order.
    pub events: Vec<AuditEvent>,
    /// Whether the draft has more events than `events` holds.
    pub more_events: bool,
}

#[derive(Debug)]
pub struct Lookup {
    pub content_hash: ContentHash,
    pub matches: Vec<Match>,
    pub truncated: bool,
}

/// Finds the matches, then records the lookup (hash and count, never the
/// text) before returning them.
pub async fn lookup(
    state: &AppState,
    auditor: &AuthUser,
    by: &LookupBy,
) -> Result<Lookup, ApiError> {
    let content_hash = by.hash();
    let mut conn = connect(&state.pool).await?;
    // The drafts' events are read before the lookup is recorded (which
    // would link them): link every committed one first.
    chainer::chain_committed(&mut conn).await?;
    let mut hits = lookup::hits(&mut conn, content_hash.as_str(), MAX_MATCHES + 1).await?;
    let truncated = hits.len() as i64 > MAX_MATCHES;
    hits.truncate(MAX_MATCHES as usize);
    let mut matches = Vec::with_capacity(hits.len());
    for hit in hits {
        matches.push(complete(&mut conn, hit).await?);
    }
    drop(conn);
    let mut detail = Map::new();
    let shape = match by {
        LookupBy::Hash(_) => "content_hash",
        LookupBy::Content { .. } => "content",
    };
    detail.insert("by".into(), shape.into());
    detail.insert("content_hash".into(), content_hash.as_str().into());
    detail.insert("matches".into(), matches.len().into());
    access::record(state, auditor, "audit_lookup", detail).await?;
    Ok(Lookup {
        content_hash,
        matches,
        truncated,
    })
}

async fn complete(conn: &mut AsyncPgConnection, hit: Hit) -> QueryResult<Match> {
    let signoffs = signoffs_of(conn, hit.draft_id, hit.revision).await?;
    let filter = EventFilter {
        draft_id: Some(hit.draft_id),
        ..EventFilter::default()
    };
    let mut events = query::page(conn, &filter, Window::default(), EVENTS_PER_DRAFT + 1).await?;
    let more_events = events.len() as i64 > EVENTS_PER_DRAFT;
    events.truncate(EVENTS_PER_DRAFT as usize);
    Ok(Match {
        hit,
        signoffs,
        events,
        more_events,
    })
}
