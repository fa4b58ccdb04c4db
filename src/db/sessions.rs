//! Sessions and their refresh tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::fixed_text::prebuilt;
use crate::db::schema::{grants, refresh_tokens, sessions, users};
use crate::db::users::GrantRow;

/// What the per-request check needs: is this session live, its user
/// enabled, and what may the user do?
#[derive(Debug)]
pub struct SessionCheck {
    pub username: String,
    pub disabled: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    pub grants: Vec<GrantRow>,
}

/// One query per authenticated request: the session, its user and the
/// user's grants together.
pub async fn check(
    mut conn: &AsyncPgConnection,
    session_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<SessionCheck>> {
    type Row = (String, bool, Option<DateTime<Utc>>, Option<GrantRow>);
    let rows: Vec<Row> = prebuilt!(
        sessions::table
            .inner_join(users::table)
            .left_join(grants::table.on(grants::user_id.eq(users::id)))
            .filter(
                sessions::id
                    .eq(session_id)
                    .and(sessions::user_id.eq(user_id)),
            )
            .select((
                users::username,
                users::disabled,
                sessions::revoked_at,
                Option::<GrantRow>::as_select(),
            ))
            .order((grants::created_at.asc(), grants::id.asc()))
    )
    .load(&mut conn)
    .await?;
    let mut rows = rows.into_iter();
    let Some((username, disabled, revoked_at, first)) = rows.next() else {
        return Ok(None);
    };
    let grants = first
        .into_iter()
        .chain(rows.filter_map(|(_, _, _, g)| g))
        .collect();
    Ok(Some(SessionCheck {
        username,
        disabled,
        revoked_at,
        grants,
    }))
}

pub async fn create(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Uuid> {
    let id = Uuid::new_v4();
    diesel::insert_into(sessions::table)
        .values((sessions::id.eq(id), sessions::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn add_refresh_token(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Queryable)]
pub struct RefreshRow {
    pub session_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
    pub user_id: Uuid,
    pub username: String,
    pub disabled: bool,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Locks the token row so that two simultaneous refreshes with one token
/// cannot both succeed: the second sees it spent.
pub async fn lock_refresh_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table
        .inner_join(sessions::table.inner_join(users::table))
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            refresh_tokens::session_id,
            refresh_tokens::expires_at,
            refresh_tokens::spent_at,
            users::id,
            users::username,
            users::disabled,
            sessions::revoked_at,
        ))
        .for_no_key_update()
        .first(conn)
        .await
        .optional()
}

pub async fn spend_refresh_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(token_hash))
        .set(refresh_tokens::spent_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn revoke(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    why: &str,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(diesel::dsl::now),
        sessions::revoked_why.eq(why),
    ))
    .execute(conn)
    .await
}

/// Revokes every live session of a user but `keep`; returns how many.
pub async fn revoke_all_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    why: &str,
) -> QueryResult<usize> {
    let keep = keep.unwrap_or_else(Uuid::nil);
    diesel::update(
        sessions::table.filter(
            sessions::user_id
                .eq(user_id)
                .and(sessions::revoked_at.is_null())
                .and(sessions::id.ne(keep)),
        ),
    )
    .set((
        sessions::revoked_at.eq(diesel::dsl::now),
        sessions::revoked_why.eq(why),
    ))
    .execute(conn)
    .await
}
