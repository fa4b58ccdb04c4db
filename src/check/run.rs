//! Running a check: the lexicons of a channel compiled (from the shared
//! cache when their version is current), then the pure check.

use std::collections::BTreeMap;
use std::sync::Arc;

use diesel_async::AsyncPgConnection;

use crate::auth::AuthUser;
use crate::db::{channels, connect, lexicons};
use crate::domain::check::{self, Entry, Matcher, Report, Severity, Subject};
use crate::domain::content::Content;
use crate::domain::vocabulary::{Role, Stage};
use crate::error::ApiError;
use crate::state::AppState;

/// The compiled lexicons applying to `channel`, at the versions the
/// database holds now. A version this instance has not built (a change
/// made here or through another instance) is built once and shared.
pub async fn matchers(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    channel: &str,
) -> Result<Vec<Arc<Matcher>>, ApiError> {
    let rows = lexicons::for_channel(conn, channel).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(m) = state.matchers.get(row.id, row.version) {
            out.push(m);
            continue;
        }
        let entries: Vec<Entry> = lexicons::entries(conn, row.id)
            .await?
            .into_iter()
            .map(|e| {
                Ok(Entry {
                    severity: crate::error::stored(
                        Severity::parse(&e.severity),
                        "lexicon_entries.severity",
                        &e.severity,
                    )?,
                    term: e.term,
                    suggestion: e.suggestion,
                    note: e.note,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        let (code, version) = (row.code.clone(), row.version);
        // Compiling 100,000 terms takes a while: off the async workers.
        let built = tokio::task::spawn_blocking(move || {
            let built = Matcher::build(&code, version, entries);
            super::memory::give_back();
            built
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(anyhow::anyhow!("lexicon {}: {e}", row.code)))?;
        let built = Arc::new(built);
        state.matchers.put(row.id, built.clone());
        out.push(built);
    }
    Ok(out)
}

/// Checks `subject` against `matchers`, off the async workers (a
/// 200,000-character body takes milliseconds).
pub async fn report(
    subject: OwnedSubject,
    matchers: Vec<Arc<Matcher>>,
    content_hash: String,
) -> Result<Report, ApiError> {
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&Matcher> = matchers.iter().map(Arc::as_ref).collect();
        let findings = check::check(&subject.as_subject(), &refs);
        let lexicon_versions: BTreeMap<String, i32> = matchers
            .iter()
            .map(|m| (m.code.clone(), m.version))
            .collect();
        Report {
            content_hash,
            lexicon_versions,
            findings,
        }
    })
    .await
    .map_err(ApiError::internal)
}

/// The fields checked, owned, to move onto a blocking thread.
pub struct OwnedSubject {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub format: crate::domain::vocabulary::Format,
}

impl OwnedSubject {
    fn as_subject(&self) -> Subject<'_> {
        Subject {
            title: &self.title,
            summary: &self.summary,
            body: &self.body,
            format: self.format,
        }
    }
}

/// `POST /check`: the report for content not stored anywhere, for an
/// editor or signer of `channel`. Its `content_hash` is the hash the
/// content would have as a revision of that channel.
pub async fn preflight(
    state: &AppState,
    user: &AuthUser,
    channel: &str,
    content: Content,
) -> Result<Report, ApiError> {
    let may = user.grants.iter().any(|g| {
        let role_fits = g.role == Role::Editor.as_str() || Stage::parse(&g.role).is_some();
        role_fits && g.channel.as_deref().is_none_or(|c| c == channel)
    });
    if !may {
        return Err(ApiError::Forbidden(
            "the pre-flight check is for editors and signers of the channel".into(),
        ));
    }
    let mut conn = connect(&state.pool).await?;
    if channels::find(&mut conn, channel).await?.is_none() {
        return Err(ApiError::validation("channel", "no such channel"));
    }
    let matchers = matchers(&mut conn, state, channel).await?;
    drop(conn);
    let hash = crate::domain::content_hash::ContentHash::of(channel, &content);
    let subject = OwnedSubject {
        title: content.title().into(),
        summary: content.summary().into(),
        body: content.body().into(),
        format: content.format(),
    };
    report(subject, matchers, hash.to_string()).await
}
