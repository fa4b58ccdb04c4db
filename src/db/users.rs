//! Users, departments and grants: rows and their queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{departments, grants, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub department_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub department_id: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments)]
pub struct DepartmentRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = grants)]
pub struct GrantRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = grants)]
pub struct NewGrant<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: &'a str,
    pub channel: Option<&'a str>,
    pub department_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Usernames are unique without regard to case (the index is on lower()).
pub async fn find_by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(lower(users::username).eq(username.to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Locks the user row: grant changes for one user serialize on it, so the
/// admin/auditor separation cannot be raced past from two processes.
pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Reads the user row and keeps it from changing (password, disabled)
/// until the transaction ends; other readers are not held up.
pub async fn find_for_share(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .for_share()
        .first(conn)
        .await
        .optional()
}

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn).await
}

/// One page in creation order; `after` is the last (created_at, id) seen.
pub async fn page(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            users::created_at
                .gt(at)
                .or(users::created_at.eq(at).and(users::id.gt(id))),
        );
    }
    query
        .order((users::created_at.asc(), users::id.asc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Whether the account is disabled, and its grants, in one query; `None`
/// if there is no such user.
pub async fn with_grants(
    mut conn: &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<(bool, Vec<GrantRow>)>> {
    let rows: Vec<(bool, Option<GrantRow>)> = users::table
        .left_join(grants::table)
        .filter(users::id.eq(id))
        .select((users::disabled, Option::<GrantRow>::as_select()))
        .order((grants::created_at.asc(), grants::id.asc()))
        .load(&mut conn)
        .await?;
    let Some(disabled) = <[_]>::first(&rows).map(|(d, _)| *d) else {
        return Ok(None);
    };
    Ok(Some((
        disabled,
        rows.into_iter().filter_map(|(_, g)| g).collect(),
    )))
}

pub async fn grants_of(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Vec<GrantRow>> {
    grants::table
        .filter(grants::user_id.eq(user_id))
        .select(GrantRow::as_select())
        .order((grants::created_at.asc(), grants::id.asc()))
        .load(conn)
        .await
}

pub async fn department(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<DepartmentRow>> {
    departments::table
        .find(id)
        .select(DepartmentRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn departments_all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<DepartmentRow>> {
    departments::table
        .select(DepartmentRow::as_select())
        .order((departments::code.asc(),))
        .load(conn)
        .await
}

pub async fn set_password(conn: &mut AsyncPgConnection, id: Uuid, phc: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(phc))
        .execute(conn)
        .await
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub department_id: Option<Option<Uuid>>,
    pub disabled: Option<bool>,
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &UserChanges,
) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_grant(
    conn: &mut AsyncPgConnection,
    new: &NewGrant<'_>,
) -> QueryResult<GrantRow> {
    diesel::insert_into(grants::table)
        .values(new)
        .returning(GrantRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete_grant(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    grant_id: Uuid,
) -> QueryResult<Option<GrantRow>> {
    diesel::delete(grants::table.filter(grants::id.eq(grant_id).and(grants::user_id.eq(user_id))))
        .returning(GrantRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn insert_department(
    conn: &mut AsyncPgConnection,
    code: &str,
    name: &str,
) -> QueryResult<DepartmentRow> {
    diesel::insert_into(departments::table)
        .values((
            departments::id.eq(Uuid::new_v4()),
            departments::code.eq(code),
            departments::name.eq(name),
        ))
        .returning(DepartmentRow::as_returning())
        .get_result(conn)
        .await
}
