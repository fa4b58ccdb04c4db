//! The monthly bulletin (信息编发月通报, SPEC §9) over a month of generated
//! history, checked figure by figure against a plain recount of the
//! exported trail; its formats, its silence flag, and its refusals.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::{Newsroom, STAGES};
use crate::common::{User, assert_problem};

/// The office's month now running (China Standard Time, UTC+8).
pub fn current_month() -> String {
    let local = Utc::now() + Duration::hours(8);
    format!("{:04}-{:02}", local.year(), local.month())
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn act(n: &Newsroom, who: &User, id: Uuid, action: &str, body: Value) {
    n.act_ok(who, id, action, body).await;
}

/// One item's story, by kind: 0 published at once; 1 returned, resubmitted
/// and published; 2 withdrawn in review; 3 published then retracted; 4
/// left in review; 5 never submitted.
async fn story(n: &Newsroom, author: &User, channel: &str, i: usize) -> Uuid {
    let d = n.create_as(author, channel, &format!("第{i}号 通知")).await;
    let id: Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let hash = d["content_hash"].as_str().unwrap().to_string();
    let kind = i % 6;
    if kind == 5 {
        return id;
    }
    act(n, author, id, "submit", json!({"content_hash": hash})).await;
    match kind {
        1 => {
            let reason = if i % 4 == 1 {
                "数据待核实"
            } else {
                "标题不规范"
            };
            let stage = STAGES[i % 3];
            for s in &STAGES[..i % 3] {
                n.approve_ok(id, s, &hash).await;
            }
            act(
                n,
                n.signer(stage),
                id,
                "return",
                json!({"stage": stage, "content_hash": hash, "reason": reason}),
            )
            .await;
            act(n, author, id, "submit", json!({"content_hash": hash})).await;
        }
        2 => {
            n.approve_ok(id, STAGES[0], &hash).await;
            act(n, author, id, "withdraw", json!({"reason": "不再需要"})).await;
            return id;
        }
        4 => {
            n.approve_ok(id, STAGES[0], &hash).await;
            n.approve_ok(id, STAGES[1], &hash).await;
            return id;
        }
        _ => {}
    }
    for s in STAGES {
        n.approve_ok(id, s, &hash).await;
    }
    act(
        n,
        &n.publisher,
        id,
        "publish",
        json!({"content_hash": hash}),
    )
    .await;
    if kind == 3 {
        act(
            n,
            &n.publisher,
            id,
            "retract",
            json!({"reason_code": "error", "reason": "有误"}),
        )
        .await;
    }
    id
}

#[derive(Debug, Default, PartialEq)]
struct Recount {
    submitted: std::collections::BTreeSet<String>,
    published: i64,
    returned: i64,
    withdrawn: i64,
    retracted: i64,
    overdue: i64,
    findings: BTreeMap<String, i64>,
    reasons: BTreeMap<String, i64>,
    hours: Vec<f64>,
}

/// `percentile_cont`: linear interpolation between the closest ranks.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
}

fn check(figures: &Value, r: &Recount, what: &str) {
    assert_eq!(
        figures["submitted"],
        r.submitted.len() as i64,
        "{what} submitted"
    );
    assert_eq!(figures["published"], r.published, "{what} published");
    assert_eq!(figures["returned"], r.returned, "{what} returned");
    assert_eq!(figures["withdrawn"], r.withdrawn, "{what} withdrawn");
    assert_eq!(figures["retracted"], r.retracted, "{what} retracted");
    assert_eq!(figures["corrected"], 0, "{what} corrected");
    assert_eq!(figures["overdue_steps"], r.overdue, "{what} overdue");
    assert_eq!(
        figures["check_findings"],
        json!(r.findings),
        "{what} findings"
    );
    let mut reasons: Vec<(i64, String)> = r.reasons.iter().map(|(k, v)| (-v, k.clone())).collect();
    reasons.sort();
    let reasons: Vec<Value> = reasons
        .into_iter()
        .take(5)
        .map(|(n, k)| json!({"reason": k, "count": -n}))
        .collect();
    assert_eq!(
        figures["top_return_reasons"],
        json!(reasons),
        "{what} reasons"
    );
    let mut hours = r.hours.clone();
    hours.sort_by(f64::total_cmp);
    let h = &figures["hours_to_publishable"];
    assert_eq!(h["items"], hours.len() as i64, "{what} hours items");
    for (key, p) in [("p50", 0.5), ("p90", 0.9)] {
        match percentile(&hours, p) {
            None => assert!(h[key].is_null(), "{what} {key}"),
            Some(expected) => {
                let got = h[key].as_f64().unwrap();
                assert!(
                    (got - expected).abs() < 1e-7,
                    "{what} {key}: {got} vs {expected}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_bulletin_of_a_month_of_history_agrees_with_a_recount_of_the_trail() {
    let n = Newsroom::new().await;
    let app = &n.app;
    let news = app.department(&n.admin, "news").await;
    let policy = app.department(&n.admin, "policy").await;
    app.department(&n.admin, "idle").await;
    let editor = [("editor", None, None)];
    let authors = [
        (
            Some("news"),
            app.user_with(&n.admin, "author.news", Some(news), &editor)
                .await,
        ),
        (
            Some("policy"),
            app.user_with(&n.admin, "author.policy", Some(policy), &editor)
                .await,
        ),
        (
            None,
            app.user_with(&n.admin, "author.none", None, &editor).await,
        ),
    ];
    for (dept, quota) in [(news, 4), (policy, 0)] {
        let res = app
            .client
            .put(app.url(&format!("/departments/{dept}/quota")))
            .bearer_auth(&n.admin.token)
            .json(&json!({"monthly_items": quota}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // Who owns each draft, as the recount groups them.
    let mut owner: BTreeMap<String, (Option<&str>, &str)> = BTreeMap::new();
    for i in 0..24 {
        let (dept, author) = &authors[i % 3];
        let channel = ["portal", "wechat_official"][(i / 3) % 2];
        let id = story(&n, author, channel, i).await;
        owner.insert(id.to_string(), (*dept, channel));
    }
    // Events of features other branches add (SPEC §6, §8), as they write them.
    let ids: Vec<&String> = owner.keys().collect();
    for (k, id) in ids.iter().enumerate().take(6) {
        app.sql(&format!(
            "INSERT INTO audit_pending (occurred_at, action, draft_id, detail) VALUES
             (now(), 'check_run', '{id}', '{{\"counts\": {{\"mobile\": {k}, \"lexicon:banned\": 1}}, \"report_hash\": \"h\"}}'),
             (now(), 'step_overdue', '{id}', '{{}}')"
        ))
        .await;
    }
    app.chain().await;

    let month = current_month();
    let res = app
        .get(
            &format!("/reports/bulletin?month={month}"),
            &n.auditor.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    let (from, until) = (
        utc(b["from"].as_str().unwrap()),
        utc(b["until"].as_str().unwrap()),
    );

    // The recount: every event of the export, tallied by hand.
    let export = app
        .get("/audit/export", &n.auditor.token)
        .await
        .text()
        .await
        .unwrap();
    let mut tally: BTreeMap<(String, String), Recount> = BTreeMap::new();
    let mut last_submit: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for line in export.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let Some((dept, channel)) = e["draft_id"].as_str().and_then(|d| owner.get(d)) else {
            continue;
        };
        let at = utc(e["occurred_at"].as_str().unwrap());
        if at < from || at >= until {
            continue;
        }
        let draft = e["draft_id"].as_str().unwrap().to_string();
        let dept = dept.unwrap_or("-").to_string();
        let keys = [
            (dept.clone(), channel.to_string()),
            (dept, "*".into()),
            ("*".into(), "*".into()),
        ];
        let to = e["to_status"].as_str().unwrap_or("");
        let from_status = e["from_status"].as_str().unwrap_or("");
        let action = e["action"].as_str().unwrap();
        if action == "draft_submitted" {
            last_submit.insert(draft.clone(), at);
        }
        for key in &keys {
            let r = tally.entry(key.clone()).or_default();
            match (action, to) {
                ("draft_submitted", _) => {
                    r.submitted.insert(draft.clone());
                }
                ("step_overdue", _) => r.overdue += 1,
                ("check_run", _) => {
                    for (rule, v) in e["detail"]["counts"].as_object().unwrap() {
                        *r.findings.entry(rule.clone()).or_default() += v.as_i64().unwrap();
                    }
                }
                (_, "returned") => {
                    r.returned += 1;
                    *r.reasons
                        .entry(e["detail"]["reason"].as_str().unwrap().into())
                        .or_default() += 1;
                }
                (_, "published") if from_status != "published" => r.published += 1,
                (_, "withdrawn") => r.withdrawn += 1,
                (_, "retracted") => r.retracted += 1,
                (_, "publishable") => {
                    let took = at - last_submit[&draft];
                    r.hours
                        .push(took.num_microseconds().unwrap() as f64 / 3_600_000_000.0);
                }
                _ => {}
            }
        }
    }
    let empty = Recount::default();
    let get = |d: &str, c: &str| tally.get(&(d.to_string(), c.to_string())).unwrap_or(&empty);
    assert_eq!(
        get("*", "*").published,
        12,
        "the history has 12 publications"
    );
    assert_eq!(get("*", "*").submitted.len(), 20);
    check(&b["office"], get("*", "*"), "office");

    let departments = b["departments"].as_array().unwrap();
    assert_eq!(
        departments.len(),
        4,
        "three departments and the drafts of none"
    );
    for d in departments {
        let code = d["code"].as_str().unwrap_or("-");
        check(&d["figures"], get(code, "*"), code);
    }
    let line = |code: &str| departments.iter().find(|d| d["code"] == code).unwrap();
    assert_eq!(
        (
            line("news")["quota"].clone(),
            line("news")["quota_share"].clone()
        ),
        (json!(4), json!(2.0))
    );
    assert_eq!(
        (
            line("policy")["quota"].clone(),
            line("policy")["quota_share"].clone()
        ),
        (json!(0), Value::Null)
    );
    assert_eq!(
        (line("idle")["quota"].clone(), line("idle")["rank"].clone()),
        (Value::Null, json!(3))
    );
    assert_eq!(
        (line("news")["rank"].clone(), line("policy")["rank"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(departments[3]["rank"], Value::Null);

    let rows = b["department_channels"].as_array().unwrap();
    let expected = tally
        .iter()
        .filter(|((d, c), r)| d != "*" && c != "*" && **r != empty)
        .count();
    assert_eq!(rows.len(), expected);
    assert!(rows.len() >= 5);
    for row in rows {
        let code = row["department_code"].as_str().unwrap_or("-");
        let channel = row["channel"].as_str().unwrap();
        check(
            &row["figures"],
            get(code, channel),
            &format!("{code}/{channel}"),
        );
    }

    // A past month has nothing to count.
    let res = app
        .get("/reports/bulletin?month=2001-01", &n.auditor.token)
        .await;
    let old: Value = res.json().await.unwrap();
    assert_eq!(old["office"]["submitted"], 0);
    assert_eq!(old["department_channels"], json!([]));
    let reads = app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'bulletin_read'")
        .await;
    assert_eq!(reads, 2);
}

#[tokio::test]
async fn silent_channels_are_flagged_and_the_html_is_safe_and_self_contained() {
    let n = Newsroom::new().await;
    let app = &n.app;
    let res = app
        .post(
            "/departments",
            &n.admin.token,
            json!({"code": "odd", "name": "<i>奇</i>&科"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    crate::register::published(&n, "portal", "通知", "https://example.gov.cn/x").await;
    // qq_group has existed for 20 days and never published.
    app.sql("UPDATE channels SET created_at = now() - interval '20 days' WHERE code = 'qq_group'")
        .await;
    let month = current_month();
    let b: Value = app
        .get(
            &format!("/reports/bulletin?month={month}"),
            &n.auditor.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let channel = |code: &str| {
        b["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            channel("portal")["silent"].clone(),
            channel("portal")["days_since_last_publication"].clone()
        ),
        (json!(false), json!(0))
    );
    assert_eq!(
        (
            channel("qq_group")["silent"].clone(),
            channel("qq_group")["days_since_last_publication"].clone()
        ),
        (json!(true), Value::Null)
    );
    assert_eq!(channel("wechat_group")["silent"], false, "created today");

    let res = app
        .get(
            &format!("/reports/bulletin?month={month}&format=html"),
            &n.auditor.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<svg") && html.contains("<rect"),
        "inline SVG charts"
    );
    assert!(
        html.contains("&lt;i&gt;奇&lt;&#x2f;i&gt;&amp;科")
            || html.contains("&lt;i&gt;奇&lt;/i&gt;&amp;科"),
        "escaped"
    );
    assert!(!html.contains("<i>奇"));
    for banned in ["<script", "http://", "https://", "src=", "@import"] {
        let outside_svg_ns = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside_svg_ns.contains(banned), "{banned} in the page");
    }
    assert!(html.contains("长期未更新"));

    let res = app
        .get(
            &format!("/reports/bulletin?month={month}&format=csv"),
            &n.auditor.token,
        )
        .await;
    let csv = res.bytes().await.unwrap();
    assert!(csv.starts_with("\u{feff}month,scope,".as_bytes()));
    let res = app
        .get(
            &format!("/reports/bulletin?month={month}&format=xlsx"),
            &n.auditor.token,
        )
        .await;
    assert!(res.bytes().await.unwrap().starts_with(b"PK\x03\x04"));

    for bad in ["2026-13", "2026-1", "26-01", "2026-00", "month", ""] {
        let res = app
            .get(&format!("/reports/bulletin?month={bad}"), &n.auditor.token)
            .await;
        assert_problem(res, 400, "malformed_request").await;
    }
    assert_problem(
        app.get("/reports/bulletin", &n.auditor.token).await,
        400,
        "malformed_request",
    )
    .await;
    let res = app
        .get(
            &format!("/reports/bulletin?month={month}&format=pdf"),
            &n.auditor.token,
        )
        .await;
    assert_problem(res, 400, "malformed_request").await;
    let res = app
        .get(&format!("/reports/bulletin?month={month}"), &n.author.token)
        .await;
    assert_problem(res, 403, "forbidden").await;
}
