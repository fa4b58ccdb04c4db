//! Start-up shared by `main` and the tests: database, migrations, secrets
//! and the bootstrap admin. The HTTP server on top is `http::server`.

use std::path::Path;

use diesel_async::AsyncConnection;

use crate::clock::Clock;
use crate::config::{ConfigError, Database, LoginNice, MIN_SECRET_BYTES, Settings};
use crate::credentials::hashing::{
    DEFAULT_PRIORITY as DEFAULT_LOGIN_PRIORITY, Hasher, Priority,
    default_capacity as default_login_queue,
};
use crate::credentials::token::Tokens;
use crate::db::audit_log::{NewEvent, Origin, append};
use crate::db::chainer::Chainer;
use crate::db::embedded::Cluster;
use crate::db::users::{self, NewGrant, NewUser};
use crate::db::{self, DbPool, locks};
use crate::domain::password::check_password;
use crate::domain::vocabulary::Role;
use crate::drafts::deadlines;
use crate::state::AppState;
use crate::webhooks::sender::{self, Schedule};

pub const DATABASE_NAME: &str = "sanshen";

/// Where the database is, and the embedded cluster if sanshen owns one.
pub struct DatabaseHandle {
    pub url: String,
    pub cluster: Option<Cluster>,
}

/// Starts the embedded cluster if no URL was given, and makes sure the
/// database exists and is migrated.
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseHandle> {
    let handle = match &settings.database {
        Database::Url(url) => DatabaseHandle {
            url: url.clone(),
            cluster: None,
        },
        Database::Embedded => {
            let dir = settings.data_dir.clone();
            let cluster = tokio::task::spawn_blocking(move || Cluster::start(&dir)).await??;
            let prepared = async {
                db::ensure_database(&cluster.url("postgres"), DATABASE_NAME).await?;
                anyhow::Ok(cluster.url(DATABASE_NAME))
            }
            .await;
            match prepared {
                Ok(url) => DatabaseHandle {
                    url,
                    cluster: Some(cluster),
                },
                Err(e) => {
                    let _ = cluster.stop();
                    return Err(e);
                }
            }
        }
    };
    db::run_migrations(&handle.url).await?;
    Ok(handle)
}

/// The JWT secret: from the settings, or kept in the data directory for the
/// embedded default (made on first start, readable by the owner only).
pub fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.clone());
    }
    let path = settings.data_dir.join("jwt_secret");
    load_or_create_secret(&path)
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::read(path) {
        Ok(secret) if secret.len() >= MIN_SECRET_BYTES => return Ok(secret),
        Ok(_) => anyhow::bail!(
            "{} holds fewer than {MIN_SECRET_BYTES} bytes; delete it to make a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let secret = hex::encode(rand::random::<[u8; 32]>()).into_bytes();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(&secret)?;
    Ok(secret)
}

/// Connections of the background pool, at most.
const BACKGROUND_CONNECTIONS: usize = 4;

pub async fn build_state(settings: &Settings, database_url: &str) -> anyhow::Result<AppState> {
    let pools = db::PoolSettings {
        url: database_url.into(),
        size: settings.pool_size,
    };
    // The background pool: the chainer, the webhook sender, start-up, maintenance. The HTTP
    // workers build their own (`AppState::for_worker`).
    let pool: DbPool = pools.build(settings.pool_size.min(BACKGROUND_CONNECTIONS))?;
    let secret = jwt_secret(settings)?;
    let schedule = Schedule {
        backoff: settings.webhook_backoff,
        timeout: settings.webhook_timeout,
    };
    let clock = Clock::default();
    Ok(AppState {
        chainer: Chainer::start(pool.clone()),
        deadlines: deadlines::start(pool.clone(), clock.clone()),
        clock,
        webhooks: sender::start(pool.clone(), schedule)?,
        pool,
        pools,
        tokens: Tokens::new(&secret, settings.access_ttl, settings.refresh_ttl),
        hasher: Hasher::with_priority(
            settings.login_queue.unwrap_or_else(default_login_queue),
            match settings.login_nice {
                None => DEFAULT_LOGIN_PRIORITY,
                Some(LoginNice::Idle) => Priority::Idle,
                Some(LoginNice::Nice(n)) => Priority::Nice(n),
            },
        )?,
        trusted_proxies: settings.trusted_proxies.clone(),
        matchers: Default::default(),
        workflows: Default::default(),
    })
}

/// On a database with no users, creates `admin` (SPEC §4). Returns the
/// generated password when none was configured, for the caller to print once.
pub async fn bootstrap_admin(
    state: &AppState,
    configured: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let mut conn = db::connect(&state.pool).await?;
    if users::count(&mut conn).await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match configured {
        Some(p) => {
            check_password(p).map_err(|problem| ConfigError {
                variable: "SANSHEN_ADMIN_PASSWORD",
                problem: format!("the password {problem}"),
            })?;
            (p.to_string(), false)
        }
        None => (generate_password(), true),
    };
    let phc = state.hasher.hash(password.clone()).await?;
    let created = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            // Several processes may start at once on one database.
            locks::for_transaction(conn, locks::BOOTSTRAP).await?;
            if users::count(conn).await? > 0 {
                return Ok(false);
            }
            let id = uuid::Uuid::new_v4();
            let user = NewUser {
                id,
                username: "admin",
                display_name: "Administrator",
                password_hash: &phc,
                department_id: None,
            };
            users::insert(conn, &user).await?;
            let grant = NewGrant {
                id: uuid::Uuid::new_v4(),
                user_id: id,
                role: Role::Admin.as_str(),
                channel: None,
                department_id: None,
                created_by: None,
            };
            users::insert_grant(conn, &grant).await?;
            let event = NewEvent::new("admin_bootstrapped", &Origin::default())
                .with("user_id", id.to_string())
                .with("username", "admin")
                .with("password_generated", generated);
            append(conn, event).await?;
            Ok(true)
        })
        .await?;
    Ok((created && generated).then_some(password))
}

/// 20 characters from an unambiguous alphabet: about 115 bits.
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}
