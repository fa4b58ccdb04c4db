//! The monthly bulletin (信息编发月通报, SPEC §9): per department and
//! channel what was submitted, published, returned (and why), withdrawn,
//! retracted and corrected, how long review took, overdue steps and
//! machine-check findings; per department the quota met and the ranking;
//! per channel how long it has been silent. Every figure is computed by
//! PostgreSQL in one snapshot; this module only arranges them.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Map;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::access;
use crate::auth::AuthUser;
use crate::db::connect;
use crate::db::reports::{self as sql, CountRow, HoursRow, KeyedCount, Scope};
use crate::domain::bulletin::{self as rules, Month};
use crate::error::ApiError;
use crate::state::AppState;

/// Return reasons listed per row.
pub const TOP_REASONS: i64 = 5;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub count: i64,
}

/// Hours from submit to publishable of the items that became publishable
/// in the month; `null` when none did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Hours {
    pub items: i64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

/// The figures of one scope (a department and channel, a department, or the office).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figures {
    /// Drafts submitted (a resubmission is the same item).
    pub submitted: i64,
    pub published: i64,
    /// Returns (退回), each return once.
    pub returned: i64,
    pub withdrawn: i64,
    pub retracted: i64,
    pub corrected: i64,
    /// `step_overdue` events (SPEC §8).
    pub overdue_steps: i64,
    pub hours_to_publishable: Hours,
    /// The most frequent return reasons, most frequent first.
    pub top_return_reasons: Vec<ReasonCount>,
    /// Machine-check findings per rule (SPEC §6).
    pub check_findings: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentLine {
    /// `null` for drafts whose authors belonged to no department.
    pub department_id: Option<Uuid>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub figures: Figures,
    /// The monthly quota (信息报送任务) in force at the month's end.
    pub quota: Option<i32>,
    /// published ÷ quota; `null` without a quota or with a quota of 0.
    pub quota_share: Option<f64>,
    /// 排名 by published items, ties sharing a rank; `null` for no department.
    pub rank: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelLine {
    pub department_id: Option<Uuid>,
    pub department_code: Option<String>,
    pub channel: String,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelSilence {
    pub channel: String,
    pub name: String,
    pub last_published_at: Option<String>,
    pub days_since_last_publication: Option<i64>,
    /// Silent 14 days or more (长期不更新), counted from the channel's
    /// creation when it never published.
    pub silent: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bulletin {
    #[schema(example = "2026-11")]
    pub month: String,
    /// The month in UTC: `[from, until)`; months are China Standard Time's.
    pub from: String,
    pub until: String,
    /// When silence is measured: the month's end, or now while it runs.
    pub as_of: String,
    pub office: Figures,
    /// Every department, by code; then drafts of no department, if any.
    pub departments: Vec<DepartmentLine>,
    /// Each department and channel with anything to count.
    pub department_channels: Vec<ChannelLine>,
    pub channels: Vec<ChannelSilence>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Records the read, then computes the bulletin of `month`.
pub async fn bulletin(
    state: &AppState,
    auditor: &AuthUser,
    month: Month,
    format: &str,
) -> Result<Bulletin, ApiError> {
    let mut detail = Map::new();
    detail.insert("month".into(), month.label().into());
    detail.insert("format".into(), format.into());
    access::record(state, auditor, "bulletin_read", detail).await?;
    let (start, end) = month.bounds();
    let as_of = end.min(Utc::now());
    let mut conn = connect(&state.pool).await?;
    // One snapshot, so that the figures agree with each other.
    let (counts, hours, reasons, findings, departments, channels) = conn
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(async |conn| {
            let counts = sql::counts(conn, start, end).await?;
            let hours = sql::hours_to_publishable(conn, start, end).await?;
            let reasons = sql::return_reasons(conn, start, end, TOP_REASONS).await?;
            let findings = sql::check_findings(conn, start, end).await?;
            let departments = sql::departments_with_quota(conn, end).await?;
            let channels = sql::channels_last_published(conn, as_of).await?;
            Ok::<_, diesel::result::Error>((
                counts,
                hours,
                reasons,
                findings,
                departments,
                channels,
            ))
        })
        .await?;
    let mut figures = Collected::default();
    figures.add(counts, hours, reasons, findings);
    Ok(assemble(
        month,
        start,
        end,
        as_of,
        figures,
        departments,
        channels,
    ))
}

/// Which scope a figure belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Office,
    Department(Option<Uuid>),
    Channel(Option<Uuid>, String),
}

fn key(scope: &Scope) -> Key {
    match (scope.all_departments, scope.all_channels, &scope.channel) {
        (true, _, _) => Key::Office,
        (false, true, _) | (false, false, None) => Key::Department(scope.department_id),
        (false, false, Some(c)) => Key::Channel(scope.department_id, c.clone()),
    }
}

#[derive(Default)]
struct Collected(BTreeMap<Key, Figures>);

impl Collected {
    fn add(
        &mut self,
        counts: Vec<CountRow>,
        hours: Vec<HoursRow>,
        reasons: Vec<KeyedCount>,
        findings: Vec<KeyedCount>,
    ) {
        for c in counts {
            let f = self.0.entry(key(&c.scope)).or_default();
            f.submitted = c.submitted;
            f.published = c.published;
            f.returned = c.returned;
            f.withdrawn = c.withdrawn;
            f.retracted = c.retracted;
            f.corrected = c.corrected;
            f.overdue_steps = c.overdue_steps;
        }
        for h in hours {
            self.0
                .entry(key(&h.scope))
                .or_default()
                .hours_to_publishable = Hours {
                items: h.items,
                p50: h.p50,
                p90: h.p90,
            };
        }
        // Rows come most frequent first, so pushing keeps that order.
        for r in reasons {
            let f = self.0.entry(key(&r.scope)).or_default();
            f.top_return_reasons.push(ReasonCount {
                reason: r.key,
                count: r.n,
            });
        }
        for r in findings {
            let f = self.0.entry(key(&r.scope)).or_default();
            f.check_findings.insert(r.key, r.n);
        }
    }

    fn take(&mut self, key: &Key) -> Figures {
        self.0.remove(key).unwrap_or_default()
    }
}

fn assemble(
    month: Month,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    as_of: DateTime<Utc>,
    mut figures: Collected,
    departments: Vec<sql::DepartmentQuotaRow>,
    channels: Vec<sql::ChannelLastRow>,
) -> Bulletin {
    let office = figures.take(&Key::Office);
    let mut lines: Vec<DepartmentLine> = departments
        .into_iter()
        .map(|d| {
            let figures = figures.take(&Key::Department(Some(d.id)));
            DepartmentLine {
                quota_share: rules::quota_share(figures.published, d.quota),
                department_id: Some(d.id),
                code: Some(d.code),
                name: Some(d.name),
                figures,
                quota: d.quota,
                rank: None,
            }
        })
        .collect();
    let published: Vec<i64> = lines.iter().map(|l| l.figures.published).collect();
    for (line, rank) in lines.iter_mut().zip(rules::ranks(&published)) {
        line.rank = Some(rank);
    }
    if let Some(none) = figures.0.remove(&Key::Department(None)) {
        lines.push(DepartmentLine {
            department_id: None,
            code: None,
            name: None,
            figures: none,
            quota: None,
            quota_share: None,
            rank: None,
        });
    }
    let codes: BTreeMap<Uuid, String> = lines
        .iter()
        .filter_map(|l| Some((l.department_id?, l.code.clone()?)))
        .collect();
    let department_channels = std::mem::take(&mut figures.0)
        .into_iter()
        .filter_map(|(k, figures)| match k {
            Key::Channel(department_id, channel) => Some(ChannelLine {
                department_code: department_id.and_then(|d| codes.get(&d).cloned()),
                department_id,
                channel,
                figures,
            }),
            _ => None,
        })
        .collect();
    let channels = channels
        .into_iter()
        .map(|c| {
            let s = rules::silence(as_of, c.last_published_at, c.created_at);
            ChannelSilence {
                channel: c.code,
                name: c.name,
                last_published_at: c.last_published_at.map(rfc3339),
                days_since_last_publication: s.days_since_last_publication,
                silent: s.silent,
            }
        })
        .collect();
    Bulletin {
        month: month.label(),
        from: rfc3339(start),
        until: rfc3339(end),
        as_of: rfc3339(as_of),
        office,
        departments: lines,
        department_channels,
        channels,
    }
}
