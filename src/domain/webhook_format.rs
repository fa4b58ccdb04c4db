//! Webhooks (SPEC §8), the pure part: which audit actions announce which
//! events, the three message formats, their signatures, and the retry
//! schedule. The sender in `webhooks/` does the I/O.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

/// What a subscriber can ask to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Submitted,
    /// A step waits for its signers: carries the stages and who may sign.
    StepOpened,
    Returned,
    Publishable,
    Published,
    Retracted,
    Corrected,
    Overdue,
}

impl EventType {
    pub const ALL: [EventType; 8] = [
        EventType::Submitted,
        EventType::StepOpened,
        EventType::Returned,
        EventType::Publishable,
        EventType::Published,
        EventType::Retracted,
        EventType::Corrected,
        EventType::Overdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Submitted => "draft.submitted",
            EventType::StepOpened => "draft.step_opened",
            EventType::Returned => "draft.returned",
            EventType::Publishable => "draft.publishable",
            EventType::Published => "draft.published",
            EventType::Retracted => "draft.retracted",
            EventType::Corrected => "draft.corrected",
            EventType::Overdue => "draft.overdue",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The headline of a chat-robot message.
    fn headline(self) -> &'static str {
        match self {
            EventType::Submitted => "稿件已提交",
            EventType::StepOpened => "稿件待签",
            EventType::Returned => "稿件被退回",
            EventType::Publishable => "三审三校已完成，可发布",
            EventType::Published => "稿件已发布",
            EventType::Retracted => "稿件已撤回",
            EventType::Corrected => "稿件已更正",
            EventType::Overdue => "审签已超时",
        }
    }
}

/// How a subscription's messages are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Standard Webhooks: `{type, timestamp, data}`, signed headers.
    Standard,
    /// 企业微信群机器人: a markdown message.
    Wecom,
    /// 钉钉自定义机器人: a markdown message, the URL signed when a secret is set.
    Dingtalk,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Standard => "standard",
            Format::Wecom => "wecom",
            Format::Dingtalk => "dingtalk",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        [Format::Standard, Format::Wecom, Format::Dingtalk]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// One event an audit action announces, and the stages it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub event: EventType,
    pub stages: Vec<String>,
}

/// The webhook events an audit event announces (none for most actions).
/// `stage` is the audit event's stage; `detail` its detail object.
pub fn announced(
    action: &str,
    stage: Option<&str>,
    detail: &Map<String, Value>,
) -> Vec<Announcement> {
    let stage_list = |s: Option<&str>| s.map(|s| vec![s.to_string()]).unwrap_or_default();
    let one = |event| {
        vec![Announcement {
            event,
            stages: stage_list(stage),
        }]
    };
    match action {
        // Submission opens the first step at once.
        "draft_submitted" => vec![
            Announcement {
                event: EventType::Submitted,
                stages: stage_list(stage),
            },
            Announcement {
                event: EventType::StepOpened,
                stages: stage_list(stage),
            },
        ],
        "stage_approved" => match detail.get("next_stage").and_then(Value::as_str) {
            Some(next) => vec![Announcement {
                event: EventType::StepOpened,
                stages: vec![next.to_string()],
            }],
            None => one(EventType::Publishable),
        },
        "stage_returned" => one(EventType::Returned),
        "draft_published" => one(EventType::Published),
        "draft_retracted" => one(EventType::Retracted),
        "draft_corrected" => one(EventType::Corrected),
        "step_overdue" => one(EventType::Overdue),
        _ => Vec::new(),
    }
}

/// Standard Webhooks secrets: `whsec_` and the base64 of 24 to 64 bytes
/// (the prefix may be left off). Returns the HMAC key.
pub fn standard_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = BASE64.decode(encoded).ok()?;
    (24..=64).contains(&key.len()).then_some(key)
}

/// A new Standard Webhooks secret made of `random` bytes.
pub fn standard_secret(random: &[u8; 32]) -> String {
    format!("whsec_{}", BASE64.encode(random))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("v1,{}", BASE64.encode(hmac_sha256(key, &signed)))
}

/// DingTalk's signed robot URL: `timestamp` (ms) and `sign`, the URL-encoded
/// base64 HMAC-SHA256 of "timestamp\nsecret" keyed with the secret.
pub fn dingtalk_signed_url(url: &str, secret: &str, timestamp_ms: i64) -> String {
    let to_sign = format!("{timestamp_ms}\n{secret}");
    let sign = BASE64.encode(hmac_sha256(secret.as_bytes(), to_sign.as_bytes()));
    let sign: String = url::form_urlencoded::byte_serialize(sign.as_bytes()).collect();
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}timestamp={timestamp_ms}&sign={sign}")
}

/// Why `url` cannot be a webhook's address, if it cannot: http or https
/// with a host, nothing else (no `file:`, no `javascript:`, no relative).
pub fn url_problem(raw: &str) -> Option<&'static str> {
    if raw.len() > 2048 {
        return Some("must be at most 2048 characters");
    }
    match url::Url::parse(raw) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Some("must be an http or https URL"),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("must name a host"),
        Ok(_) => None,
        Err(_) => Some("must be an absolute http or https URL"),
    }
}

/// The URL without its query and credentials, for the audit trail: a WeCom
/// robot's key travels in the query, and the trail can never forget it.
pub fn url_for_trail(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

/// Tries, first one included, before a delivery is `failed`.
pub const MAX_ATTEMPTS: i32 = 10;
/// The longest wait between two tries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// The wait after the `attempt`-th failed try: `base`·2^(attempt−1), at
/// most an hour, of which a random half (`jitter` in [0, 1)) is taken off so
/// that receivers coming back are not hit by every sender at once.
pub fn backoff(base: Duration, attempt: i32, jitter: f64) -> Duration {
    let doublings = attempt.saturating_sub(1).clamp(0, 30) as u32;
    let full = base.saturating_mul(1u32 << doublings).min(MAX_BACKOFF);
    full.mul_f64(1.0 - jitter.clamp(0.0, 1.0) / 2.0)
}

/// The body a chat robot gets: a markdown message (never the draft's body
/// or summary, which the payload does not carry either).
pub fn robot_message(format: Format, payload: &Value) -> Value {
    let event = payload["type"]
        .as_str()
        .and_then(EventType::parse)
        .map_or("sanshen", EventType::headline);
    let data = &payload["data"];
    let text = |key: &str| data[key].as_str().map(one_line).unwrap_or_default();
    let stages: Vec<&str> = data["stages"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .map(stage_label)
                .collect()
        })
        .unwrap_or_default();
    let mut lines = vec![
        format!("**{event}**"),
        format!("> 标题：{}", text("title")),
        format!("> 渠道：{}", text("channel")),
    ];
    if !stages.is_empty() {
        lines.push(format!("> 环节：{}", stages.join("、")));
    }
    if let Some(signers) = data["eligible_signers"].as_array() {
        lines.push(format!("> 可签人数：{}", signers.len()));
    }
    lines.push(format!(
        "> 操作人：{}",
        one_line(data["actor"]["username"].as_str().unwrap_or("—"))
    ));
    lines.push(format!("> 稿件：{}", text("draft_id")));
    let body = lines.join("\n");
    match format {
        Format::Wecom => json!({"msgtype": "markdown", "markdown": {"content": body}}),
        Format::Dingtalk | Format::Standard => {
            json!({"msgtype": "markdown", "markdown": {"title": event, "text": body}})
        }
    }
}

/// A title on one line, so it cannot start markdown blocks of its own.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn stage_label(stage: &str) -> &str {
    match stage {
        "review_1" => "初审",
        "review_2" => "复审",
        "review_3" => "终审",
        "proofread_1" => "一校",
        "proofread_2" => "二校",
        "proofread_3" => "三校",
        other => other,
    }
}

#[cfg(test)]
#[path = "webhook_format_tests.rs"]
mod tests;
