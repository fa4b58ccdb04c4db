//! Settings: read from the environment and validated once, at start.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use std::path::PathBuf;
use std::time::Duration;

/// Where the database is: a URL the operator gave, or the embedded cluster.
#[derive(Debug, Clone)]
pub enum Database {
    Url(String),
    Embedded,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: Database,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// `None` only with the embedded default, which keeps one in the data dir.
    pub jwt_secret: Option<Vec<u8>>,
    pub admin_password: Option<String>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub pool_size: usize,
    /// Peers whose `X-Forwarded-For` is believed: the load balancers.
    pub trusted_proxies: TrustedProxies,
    /// Webhook retries wait this, doubling (`SANSHEN_WEBHOOK_BACKOFF_MS`).
    pub webhook_backoff: Duration,
    /// One webhook request may take this long (`SANSHEN_WEBHOOK_TIMEOUT_MS`).
    pub webhook_timeout: Duration,
    /// Logins that may wait for argon2 at once (`SANSHEN_LOGIN_QUEUE`);
    /// beyond them a login gets 503 with Retry-After. `None`: the hasher's
    /// default, derived from the core count.
    pub login_queue: Option<usize>,
    /// How argon2's threads yield to requests (`SANSHEN_LOGIN_NICE`).
    /// `None`: the hasher's default.
    pub login_nice: Option<LoginNice>,
}

/// `SANSHEN_LOGIN_NICE`: `idle` for Linux's idle scheduling class (logins
/// get only CPU nothing else wants), or a niceness 0–19 (0: logins compete
/// with requests as equals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginNice {
    Idle,
    Nice(u8),
}

/// The networks of the reverse proxies in front of sanshen
/// (`SANSHEN_TRUSTED_PROXIES`). Only a peer inside one of them may name the
/// client: anyone else could set `X-Forwarded-For` to dodge login throttling
/// or to write a false address into the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(std::sync::Arc<[IpNet]>);

impl TrustedProxies {
    /// A comma-separated list of CIDRs; a bare address means that one host.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not a CIDR like 10.0.0.0/8 or an address"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets.into()))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One clear sentence naming the variable that stopped start-up.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup` so tests can build settings without touching
    /// the process environment, which is shared by parallel tests.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let database = match get("DATABASE_URL") {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Url(url)
            }
            Some(_) => {
                return Err(invalid(
                    "DATABASE_URL",
                    "must be a postgres:// or postgresql:// URL",
                ));
            }
            None => Database::Embedded,
        };
        let jwt_secret = match get("SANSHEN_JWT_SECRET") {
            Some(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(invalid(
                    "SANSHEN_JWT_SECRET",
                    format!("must be at least {MIN_SECRET_BYTES} bytes long"),
                ));
            }
            Some(s) => Some(s.into_bytes()),
            None if matches!(database, Database::Url(_)) => {
                return Err(invalid(
                    "SANSHEN_JWT_SECRET",
                    "must be set (at least 32 bytes) when DATABASE_URL is set",
                ));
            }
            None => None,
        };
        let bind = get("SANSHEN_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind.parse().map_err(|_| {
            invalid(
                "SANSHEN_BIND",
                format!("{bind:?} is not an address like 127.0.0.1:8080"),
            )
        })?;
        let trusted_proxies =
            TrustedProxies::parse(&get("SANSHEN_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|problem| invalid("SANSHEN_TRUSTED_PROXIES", problem))?;
        Ok(Settings {
            trusted_proxies,
            database,
            data_dir: PathBuf::from(get("SANSHEN_DATA_DIR").unwrap_or_else(|| "./.sanshen".into())),
            bind,
            jwt_secret,
            admin_password: get("SANSHEN_ADMIN_PASSWORD"),
            access_ttl: Duration::from_secs(seconds(
                &get,
                "SANSHEN_ACCESS_TTL_SECONDS",
                900,
                60..=86_400,
            )?),
            refresh_ttl: Duration::from_secs(seconds(
                &get,
                "SANSHEN_REFRESH_TTL_SECONDS",
                43_200,
                300..=2_592_000,
            )?),
            pool_size: seconds(&get, "SANSHEN_DB_POOL_SIZE", 16, 1..=512)? as usize,
            webhook_backoff: Duration::from_millis(seconds(
                &get,
                "SANSHEN_WEBHOOK_BACKOFF_MS",
                5_000,
                1..=3_600_000,
            )?),
            webhook_timeout: Duration::from_millis(seconds(
                &get,
                "SANSHEN_WEBHOOK_TIMEOUT_MS",
                10_000,
                100..=120_000,
            )?),
            login_queue: match get("SANSHEN_LOGIN_QUEUE") {
                Some(_) => Some(seconds(&get, "SANSHEN_LOGIN_QUEUE", 0, 1..=10_000)? as usize),
                None => None,
            },
            login_nice: match get("SANSHEN_LOGIN_NICE").as_deref() {
                None => None,
                Some("idle") => Some(LoginNice::Idle),
                Some(_) => Some(LoginNice::Nice(
                    seconds(&get, "SANSHEN_LOGIN_NICE", 0, 0..=19)? as u8,
                )),
            },
        })
    }
}

fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    match raw.parse::<u64>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(invalid(
            name,
            format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_to_the_embedded_cluster() {
        let s = settings(&[]).unwrap();
        assert!(matches!(s.database, Database::Embedded));
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.access_ttl, Duration::from_secs(900));
    }

    #[test]
    fn a_database_url_needs_a_secret() {
        let err = settings(&[("DATABASE_URL", "postgres://x@localhost/db")]).unwrap_err();
        assert_eq!(err.variable, "SANSHEN_JWT_SECRET");
    }

    #[test]
    fn a_short_secret_is_refused() {
        let err = settings(&[("SANSHEN_JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.variable, "SANSHEN_JWT_SECRET");
        assert!(err.to_string().contains("32 bytes"));
    }

    #[test]
    fn a_bad_bind_address_names_the_variable() {
        let err = settings(&[("SANSHEN_BIND", "localhost")]).unwrap_err();
        assert!(err.to_string().starts_with("SANSHEN_BIND:"));
    }

    #[test]
    fn trusted_proxies_default_to_none() {
        assert!(settings(&[]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        let s = settings(&[(
            "SANSHEN_TRUSTED_PROXIES",
            " 10.0.0.0/8, 192.168.1.7 ,fd00::/8,",
        )])
        .unwrap();
        let p = s.trusted_proxies;
        assert!(p.contains("10.200.3.4".parse().unwrap()));
        assert!(p.contains("192.168.1.7".parse().unwrap()));
        assert!(!p.contains("192.168.1.8".parse().unwrap()));
        assert!(p.contains("fd12::1".parse().unwrap()));
        assert!(!p.contains("11.0.0.1".parse().unwrap()));
        // An IPv4 peer seen on a dual-stack socket is still that IPv4 peer.
        assert!(p.contains("::ffff:10.1.1.1".parse().unwrap()));
    }

    #[test]
    fn an_invalid_trusted_proxy_names_the_variable() {
        for bad in ["10.0.0.0/33", "proxy.example", "10.0.0.0/8;", "1.2.3"] {
            let err = settings(&[("SANSHEN_TRUSTED_PROXIES", bad)]).unwrap_err();
            assert_eq!(err.variable, "SANSHEN_TRUSTED_PROXIES", "{bad}");
            assert!(err.to_string().starts_with("SANSHEN_TRUSTED_PROXIES: "));
        }
    }

    #[test]
    fn webhook_timing_defaults_to_spec_and_is_bounded() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.webhook_backoff, Duration::from_secs(5));
        assert_eq!(s.webhook_timeout, Duration::from_secs(10));
        let fast = settings(&[("SANSHEN_WEBHOOK_BACKOFF_MS", "50")]).unwrap();
        assert_eq!(fast.webhook_backoff, Duration::from_millis(50));
        for (name, bad) in [
            ("SANSHEN_WEBHOOK_BACKOFF_MS", "0"),
            ("SANSHEN_WEBHOOK_TIMEOUT_MS", "99"),
            ("SANSHEN_WEBHOOK_TIMEOUT_MS", "ten"),
        ] {
            assert_eq!(settings(&[(name, bad)]).unwrap_err().variable, name);
        }
    }

    #[test]
    fn the_login_queue_is_optional_and_bounded() {
        assert_eq!(settings(&[]).unwrap().login_queue, None);
        assert_eq!(
            settings(&[("SANSHEN_LOGIN_QUEUE", "7")])
                .unwrap()
                .login_queue,
            Some(7)
        );
        for bad in ["0", "10001", "many"] {
            let err = settings(&[("SANSHEN_LOGIN_QUEUE", bad)]).unwrap_err();
            assert_eq!(err.variable, "SANSHEN_LOGIN_QUEUE", "{bad}");
        }
    }

    #[test]
    fn the_login_niceness_is_idle_or_0_to_19() {
        assert_eq!(settings(&[]).unwrap().login_nice, None);
        let nice = |v: &str| settings(&[("SANSHEN_LOGIN_NICE", v)]).map(|s| s.login_nice);
        assert_eq!(nice("idle").unwrap(), Some(LoginNice::Idle));
        assert_eq!(nice("0").unwrap(), Some(LoginNice::Nice(0)));
        assert_eq!(nice("19").unwrap(), Some(LoginNice::Nice(19)));
        for bad in ["20", "-1", "low", "IDLE"] {
            assert_eq!(
                nice(bad).unwrap_err().variable,
                "SANSHEN_LOGIN_NICE",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_non_postgres_url_is_refused() {
        let err = settings(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
    }
}
