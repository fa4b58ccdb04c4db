//! The background sender (one per process): claims due deliveries from the
//! outbox, sends each in a task of its own (a dead receiver holds up only
//! its own deliveries, and never a request), records the outcome, and
//! schedules the retry. At-least-once: a row is marked delivered only after
//! its receiver answered 2xx; a sender that dies mid-way leaves the row to
//! be retried when its lease ends.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::background::{Job, Rounds};
use crate::db::webhooks::{self, Claimed, Outcome};
use crate::db::{DbPool, connect};
use crate::domain::webhook_format::{
    Format, MAX_ATTEMPTS, backoff, dingtalk_signed_url, robot_message, standard_key,
    standard_signature,
};

/// Deliveries in flight at once, per process.
const IN_FLIGHT: usize = 16;
/// How often an idle sender looks anyway: for rows another process wrote.
const IDLE: Duration = Duration::from_secs(1);
/// How much of a robot's answer is read to find its `errcode`.
const ANSWER_LIMIT: usize = 64 * 1024;

/// How the sender tries.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// The first retry's wait; each later one doubles (SPEC §8: 5 s).
    pub backoff: Duration,
    /// One request, connection to last byte.
    pub timeout: Duration,
}

/// Starts this process's sender on the current runtime.
pub fn start(pool: DbPool, schedule: Schedule) -> anyhow::Result<Job> {
    let client = reqwest::Client::builder()
        // A receiver may not send sanshen on to an address of its choosing.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(schedule.timeout)
        .connect_timeout(schedule.timeout)
        .user_agent(concat!("sanshen-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(Job::start("webhook sender", IDLE, |bell| Sender {
        pool,
        client,
        schedule,
        bell,
        in_flight: JoinSet::new(),
    }))
}

struct Sender {
    pool: DbPool,
    client: reqwest::Client,
    schedule: Schedule,
    bell: Arc<Notify>,
    in_flight: JoinSet<()>,
}

impl Rounds for Sender {
    async fn round(&mut self) -> Option<Duration> {
        while self.in_flight.try_join_next().is_some() {}
        let free = IN_FLIGHT - self.in_flight.len().min(IN_FLIGHT);
        if free > 0 {
            self.claim_and_send(free).await;
        }
        if self.in_flight.len() >= IN_FLIGHT {
            // A finishing delivery rings the bell.
            return None;
        }
        let mut conn = connect(&self.pool).await.ok()?;
        let due = webhooks::next_due(&mut conn).await.ok()??;
        Some((due - Utc::now()).to_std().unwrap_or(Duration::ZERO))
    }

    async fn finish(&mut self) {
        // Each is bounded by the request timeout; what is cut off at exit
        // is retried by the next sender when its lease ends.
        while self.in_flight.join_next().await.is_some() {}
    }
}

impl Sender {
    async fn claim_and_send(&mut self, free: usize) {
        // Long enough for the request and for recording its outcome.
        let lease = self.schedule.timeout * 2 + Duration::from_secs(30);
        let claimed = async {
            let mut conn = connect(&self.pool).await?;
            anyhow::Ok(webhooks::claim(&mut conn, free as i64, lease).await?)
        }
        .await;
        match claimed {
            Ok(rows) => {
                for row in rows {
                    let pool = self.pool.clone();
                    let client = self.client.clone();
                    let bell = self.bell.clone();
                    let schedule = self.schedule;
                    self.in_flight.spawn(async move {
                        deliver(&pool, &client, schedule, row).await;
                        bell.notify_one();
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed"),
        }
    }
}

/// One try of one delivery, and its outcome recorded.
async fn deliver(pool: &DbPool, client: &reqwest::Client, schedule: Schedule, row: Claimed) {
    let result = send(client, &row).await;
    let retry_at = (row.attempts < MAX_ATTEMPTS).then(|| {
        let wait = backoff(schedule.backoff, row.attempts, rand::random::<f64>());
        Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    });
    let outcome = match &result {
        Ok(status) => Outcome::Delivered {
            status: i32::from(*status),
        },
        Err((status, error)) => {
            tracing::info!(delivery = %row.id, attempt = row.attempts, error = %error, "webhook delivery failed");
            Outcome::Failed {
                status: status.map(i32::from),
                error,
                retry_at,
            }
        }
    };
    let recorded = async {
        let mut conn = connect(pool).await?;
        anyhow::Ok(webhooks::record(&mut conn, row.seq, outcome).await?)
    }
    .await;
    if let Err(e) = recorded {
        // The lease runs out and the row is tried again: at-least-once.
        tracing::warn!(error = %e, delivery = %row.id, "recording a webhook delivery failed");
    }
}

type Failure = (Option<u16>, String);

/// Sends `row` in its subscription's format; the status of a success.
async fn send(client: &reqwest::Client, row: &Claimed) -> Result<u16, Failure> {
    // A format this code cannot read is a fault of the row: the delivery
    // fails (and is retried, then `failed`), never sent in a guessed format.
    let format = Format::parse(&row.format).ok_or_else(|| {
        (
            None,
            format!("webhooks.format holds unknown value {:?}", row.format),
        )
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let (url, body) = match format {
        Format::Standard => {
            let body = serde_json::to_vec(&row.payload).map_err(|e| (None, e.to_string()))?;
            let id = format!("msg_{}", row.id.simple());
            let timestamp = Utc::now().timestamp();
            if let Some(key) = row.secret.as_deref().and_then(standard_key) {
                let signature = standard_signature(&key, &id, timestamp, &body);
                headers.insert("webhook-signature", header(&signature)?);
            }
            headers.insert("webhook-id", header(&id)?);
            headers.insert("webhook-timestamp", header(&timestamp.to_string())?);
            (row.url.clone(), body)
        }
        Format::Wecom | Format::Dingtalk => {
            let message = robot_message(format, &row.payload);
            let body = serde_json::to_vec(&message).map_err(|e| (None, e.to_string()))?;
            let url = match (format, row.secret.as_deref()) {
                (Format::Dingtalk, Some(secret)) => {
                    dingtalk_signed_url(&row.url, secret, Utc::now().timestamp_millis())
                }
                _ => row.url.clone(),
            };
            (url, body)
        }
    };
    let mut res = client
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        // Without the URL: a robot's key travels in it.
        .map_err(|e| (None, describe(&e.without_url())))?;
    let status = res.status();
    if status.is_redirection() {
        return Err((Some(status.as_u16()), "redirect not followed".into()));
    }
    if !status.is_success() {
        return Err((Some(status.as_u16()), format!("receiver answered {status}")));
    }
    if format != Format::Standard {
        // The robots answer 200 with a non-zero `errcode` when they refuse
        // a message (bad key, bad signature, rate limit).
        let mut answer = Vec::new();
        while let Ok(Some(chunk)) = res.chunk().await {
            answer.extend_from_slice(&chunk);
            if answer.len() > ANSWER_LIMIT {
                break;
            }
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&answer)
            && let Some(code) = v["errcode"].as_i64()
            && code != 0
        {
            let why = v["errmsg"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect::<String>();
            return Err((
                Some(status.as_u16()),
                format!("robot refused: errcode {code} {why}"),
            ));
        }
    }
    Ok(status.as_u16())
}

fn header(value: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(value).map_err(|e| (None, e.to_string()))
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("could not connect: {e}")
    } else {
        e.to_string()
    }
}
