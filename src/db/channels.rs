//! Channels and their versioned workflows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{channels, workflows};
use crate::domain::route::Routes;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = channels)]
pub struct ChannelRow {
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflows)]
pub struct WorkflowRow {
    pub channel: String,
    pub version: i32,
    /// The three routes as JSON (`domain::route::Routes`); the use-cases
    /// parse it and treat a row that does not parse as corrupt.
    pub routes: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl WorkflowRow {
    /// The stored routes; an error means a corrupt row.
    pub fn parsed_routes(&self) -> Result<Routes, serde_json::Error> {
        serde_json::from_value(self.routes.clone())
    }
}

pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<ChannelRow>> {
    channels::table
        .select(ChannelRow::as_select())
        .order(channels::created_at.asc())
        .then_order_by(channels::code.asc())
        .load(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<ChannelRow>> {
    channels::table
        .find(code)
        .select(ChannelRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    code: &str,
    name: &str,
) -> QueryResult<ChannelRow> {
    diesel::insert_into(channels::table)
        .values((channels::code.eq(code), channels::name.eq(name)))
        .returning(ChannelRow::as_returning())
        .get_result(conn)
        .await
}

/// The newest workflow version of a channel.
pub async fn current_workflow(
    mut conn: &AsyncPgConnection,
    channel: &str,
) -> QueryResult<Option<WorkflowRow>> {
    workflows::table
        .filter(workflows::channel.eq(channel))
        .order(workflows::version.desc())
        .select(WorkflowRow::as_select())
        .first(&mut conn)
        .await
        .optional()
}

pub async fn workflow(
    mut conn: &AsyncPgConnection,
    channel: &str,
    version: i32,
) -> QueryResult<Option<WorkflowRow>> {
    workflows::table
        .find((channel, version))
        .select(WorkflowRow::as_select())
        .first(&mut conn)
        .await
        .optional()
}

pub async fn insert_workflow(
    conn: &mut AsyncPgConnection,
    channel: &str,
    version: i32,
    routes: &serde_json::Value,
    by: Option<Uuid>,
) -> QueryResult<WorkflowRow> {
    diesel::insert_into(workflows::table)
        .values((
            workflows::channel.eq(channel),
            workflows::version.eq(version),
            workflows::routes.eq(routes),
            workflows::created_by.eq(by),
        ))
        .returning(WorkflowRow::as_returning())
        .get_result(conn)
        .await
}
