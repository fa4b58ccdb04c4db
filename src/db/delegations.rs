//! Delegations (代签): rows and their queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{delegations, grants, users};
use crate::db::users::GrantRow;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delegations)]
pub struct DelegationRow {
    pub id: Uuid,
    pub principal_id: Uuid,
    pub delegate_id: Uuid,
    pub stages: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<Uuid>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &DelegationRow) -> QueryResult<()> {
    diesel::insert_into(delegations::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Those `user_id` gave and those they received, newest first; revoked and
/// expired ones too (they are the record of who could sign for whom).
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> QueryResult<Vec<DelegationRow>> {
    delegations::table
        .filter(
            delegations::principal_id
                .eq(user_id)
                .or(delegations::delegate_id.eq(user_id)),
        )
        .order((delegations::created_at.desc(), delegations::id.desc()))
        .limit(500)
        .select(DelegationRow::as_select())
        .load(conn)
        .await
}

/// The delegation, locked for the caller's transaction.
pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<DelegationRow>> {
    delegations::table
        .find(id)
        .for_update()
        .select(DelegationRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn revoke(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    by: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(delegations::table.find(id))
        .set((
            delegations::revoked_at.eq(Some(at)),
            delegations::revoked_by.eq(Some(by)),
        ))
        .execute(conn)
        .await
}

/// For the workflow rules: each delegation in force at `at` that
/// `delegate_id` received, with its principal's `disabled` flag and grants
/// (one row per grant; `None` when the principal holds none).
pub async fn principals_of(
    mut conn: &AsyncPgConnection,
    delegate_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<Vec<(DelegationRow, bool, Option<GrantRow>)>> {
    delegations::table
        .inner_join(users::table.on(users::id.eq(delegations::principal_id)))
        .left_join(grants::table.on(grants::user_id.eq(delegations::principal_id)))
        .filter(delegations::delegate_id.eq(delegate_id))
        .filter(delegations::revoked_at.is_null())
        .filter(delegations::starts_at.le(at))
        .filter(delegations::ends_at.gt(at))
        .select((
            DelegationRow::as_select(),
            users::disabled,
            Option::<GrantRow>::as_select(),
        ))
        .load(&mut conn)
        .await
}
