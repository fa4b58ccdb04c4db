//! The database: pool, embedded migrations, and queries grouped by aggregate.

pub mod audit_events;
pub mod audit_log;
pub mod chainer;
pub mod channels;
pub mod check_reports;
pub mod console;
pub mod corrections;
pub mod deadlines;
pub mod delegations;
pub mod draft_lists;
pub mod draft_snapshot;
pub mod drafts;
pub mod embedded;
pub mod event_lists;
pub mod fixed_text;
pub mod lexicons;
pub mod locks;
pub mod lookup;
pub mod page_limit;
pub mod partial;
pub mod reconcile;
pub mod register;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod sheets;
pub mod sweep;
pub mod task_lists;
pub mod throttle;
pub mod union_all;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Why a database call failed, kept whole for the logs; the HTTP layer
/// decides what the client sees.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unreachable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<PoolError> for DbError {
    fn from(e: PoolError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(
            self,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
        )
    }
}

/// What a pool is built from: the database and the connections a process
/// may hold (`SANSHEN_DB_POOL_SIZE`), shared out among its pools.
#[derive(Clone)]
pub struct PoolSettings {
    pub url: std::sync::Arc<str>,
    pub size: usize,
}

impl PoolSettings {
    pub fn build(&self, size: usize) -> Result<DbPool, anyhow::Error> {
        build_pool(&self.url, size)
    }
}

pub fn build_pool(url: &str, size: usize) -> Result<DbPool, anyhow::Error> {
    // A checkout looks at the connection's state (closed, or left inside a
    // transaction) without the default test query: that query was one more
    // database round trip for every request, and a connection the server
    // closed is seen as closed without it.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(|url| Box::pin(establish_for_requests(url.to_string())));
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Ok(Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool::Runtime::Tokio1)
        // The connection returned last is handed out first: under light
        // load a few backends do all the work, warm in the CPU's caches,
        // instead of every request waking the pool's least recent one.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        // A request waiting longer than this for a connection gets 503
        // instead of hanging while the database is away.
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()?)
}

/// A pooled connection, with PostgreSQL's JIT compilation off: the
/// server's queries are short, and a list whose estimate crossed
/// `jit_above_cost` spent 45 ms compiling for 10 ms of work (`/tasks` at a
/// year's scale: 127 ms, 21 ms without; docs/benchmarks.md).
async fn establish_for_requests(url: String) -> diesel::ConnectionResult<AsyncPgConnection> {
    use diesel_async::SimpleAsyncConnection;
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute("SET jit = off")
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

pub async fn connect(pool: &DbPool) -> Result<DbConn, DbError> {
    Ok(pool.get().await?)
}

/// Runs pending migrations, holding an advisory lock so that several
/// sanshen processes starting at once on one database migrate it once.
pub async fn run_migrations(url: &str) -> Result<usize, anyhow::Error> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(locks::MIGRATIONS)
        .execute(&mut conn)
        .await?;
    let applied = tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        harness
            .run_pending_migrations(MIGRATIONS)
            .map(|done| done.len())
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    })
    .await??;
    Ok(applied)
}

/// Creates `name` in the cluster behind `maintenance_url` unless it exists.
pub async fn ensure_database(maintenance_url: &str, name: &str) -> Result<(), anyhow::Error> {
    use diesel::sql_types::Text;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        one: i32,
    }
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database name {name:?} must be letters, digits and underscores"
    );
    let mut conn = AsyncPgConnection::establish(maintenance_url).await?;
    let found: Vec<Found> =
        diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(&mut conn)
            .await?;
    if found.is_empty() {
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

/// How long /readyz waits for the database's answer.
const PING_TIMEOUT: Duration = Duration::from_secs(4);

/// For /readyz: a round trip through the pool, bounded. A database that
/// accepts packets but does not answer (a hung host, a stalled network)
/// would otherwise hold the probe until TCP gives up, minutes later, and a
/// balancer would keep sending traffic to this process meanwhile.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    let round_trip = async {
        let mut conn = connect(pool).await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    };
    tokio::time::timeout(PING_TIMEOUT, round_trip)
        .await
        .map_err(|_| DbError::Unavailable(format!("no answer within {PING_TIMEOUT:?}")))?
}
