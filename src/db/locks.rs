//! Advisory lock keys, in one place so that no two jobs pick the same number
//! by accident: each serializes one thing across every instance sharing
//! the database (SPEC §10).

use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Migrations at start-up (a session lock, held while they run).
pub const MIGRATIONS: i64 = 7_340_032;
/// Creating the first administrator when several processes start at once.
pub const BOOTSTRAP: i64 = 7_340_033;

/// Holds `key` until the caller's transaction ends.
pub async fn for_transaction(conn: &mut AsyncPgConnection, key: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(key)
        .execute(conn)
        .await
        .map(drop)
}
