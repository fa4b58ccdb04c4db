//! SPEC §9: the printable approval sheet (审核签发单), `text/html`, the
//! trail's visibility, everything escaped, nothing fetched or run.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::assert_problem;
use crate::common::newsroom::{Newsroom, STAGES};

async fn sheet(n: &Newsroom, token: &str, id: Uuid) -> (reqwest::header::HeaderMap, String) {
    let res = n.app.get(&format!("/drafts/{id}/sheet"), token).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    (headers, res.text().await.unwrap())
}

/// Where each needle first occurs; panics naming a missing one.
fn positions(html: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|s| {
            html.find(s)
                .unwrap_or_else(|| panic!("{s} missing from the sheet"))
        })
        .collect()
}

#[tokio::test]
async fn a_published_item_has_its_six_steps_in_route_order_and_the_publish_event() {
    let n = Newsroom::new().await;
    let res = n
        .app
        .post("/drafts", &n.author.token, json!({"channel": "portal", "title": "关于开展安全检查的通知", "summary": "各科室于12月15日前完成自查",
            "body": "正文。\n", "format": "text", "risk_level": "important", "source": {"kind": "reprint", "origin": "新华社"}}))
        .await;
    let d: Value = res.json().await.unwrap();
    let id: Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let hash = d["content_hash"].as_str().unwrap().to_string();
    n.through_all_stages(id, &hash).await;
    n.act_ok(
        &n.publisher,
        id,
        "publish",
        json!({"content_hash": hash, "url": "https://www.example.gov.cn/a/1"}),
    )
    .await;
    let (headers, html) = sheet(&n, &n.author.token, id).await;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(
        html.contains("机审：阻断 0 条，提示 0 条（已确认 0 条）；无词库；报告 SHA-256 "),
        "the submit's clean check report is printed"
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    // The important tier's route: the six steps, then 审定, in route order,
    // each with its signer.
    let labels = positions(
        &html,
        &[
            "<td class=\"stage\">初审",
            "<td class=\"stage\">一校",
            "<td class=\"stage\">复审",
            "<td class=\"stage\">二校",
            "<td class=\"stage\">终审",
            "<td class=\"stage\">三校",
            "<td class=\"stage\">审定",
        ],
    );
    assert!(labels.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
    assert_eq!(html.matches("<td class=\"stage\">").count(), 7);
    let signers: Vec<String> = STAGES
        .iter()
        .map(|s| format!("signer.{s}（signer.{s}）"))
        .collect();
    let signers: Vec<&str> = signers.iter().map(String::as_str).collect();
    let at = positions(&html, &signers);
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    // Each step prints the checks its signer attested (the newsroom's
    // signers attest all six, proofreaders and the leader too).
    assert_eq!(
        html.matches("政治、法律、政策、保密、文字、舆情").count(),
        7
    );
    for fact in [
        "portal",
        "重要",
        "转载：新华社",
        "关于开展安全检查的通知",
        "各科室于12月15日前完成自查",
        &hash,
        "author（author）",
        // minijinja escapes "/" too; a browser prints the URL as sent.
        "https:&#x2f;&#x2f;www.example.gov.cn&#x2f;a&#x2f;1",
        "已发布",
    ] {
        assert!(html.contains(fact), "{fact} missing");
    }
    // The publish event's seq and hash, as the chain has them.
    let events: Value = n
        .app
        .get(
            &format!("/audit/events?draft_id={id}&action=draft_published"),
            &n.auditor.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let event = &events["items"][0];
    let printed = format!(
        "seq {} · hash {}",
        event["seq"],
        event["hash"].as_str().unwrap()
    );
    assert!(html.contains(&printed), "{printed} missing");
    // No scripts, no external assets.
    let lower = html.to_lowercase();
    for banned in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(!lower.contains(banned), "{banned} in the sheet");
    }
}

#[tokio::test]
async fn everything_printed_is_escaped() {
    let n = Newsroom::new().await;
    let title = "<script>alert(1)</script>&\"引号\"";
    let res = n
        .app
        .post("/drafts", &n.author.token, json!({"channel": "portal", "title": title, "summary": "<img src=x onerror=alert(2)>",
            "body": "正文。\n", "format": "text", "source": {"kind": "reprint", "origin": "</td><style>body{display:none}</style>"}}))
        .await;
    let d: Value = res.json().await.unwrap();
    let id: Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let (_, html) = sheet(&n, &n.author.token, id).await;
    assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("</td><style>"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&amp;&quot;引号&quot;"),
        "{html}"
    );
    // A draft not yet signed prints six blank steps.
    assert_eq!(html.matches("（未签）").count(), 6);
    assert!(html.contains("未发布"));
}

#[tokio::test]
async fn the_sheet_has_the_trails_visibility() {
    let n = Newsroom::new().await;
    let (id, _) = n.draft().await;
    let stranger = n.app.user(&n.admin, "stranger", &["editor"]).await;
    let before = n.events().await;
    assert_problem(
        n.app
            .get(&format!("/drafts/{id}/sheet"), &stranger.token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        n.app
            .get(&format!("/drafts/{id}/sheet"), &n.admin.token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        n.app
            .get(
                &format!("/drafts/{}/sheet", Uuid::new_v4()),
                &n.auditor.token,
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        n.app.get(&format!("/drafts/{id}/sheet"), "nonsense").await,
        401,
        "unauthenticated",
    )
    .await;
    sheet(&n, &n.auditor.token, id).await;
    sheet(&n, &n.signer("review_3").token, id).await;
    assert_eq!(
        n.events().await,
        before,
        "reading the sheet records nothing"
    );
}

#[tokio::test]
async fn a_correction_and_its_original_link_each_other_on_paper() {
    let n = Newsroom::new().await;
    let (original, hash) = n.publishable().await;
    n.act_ok(
        &n.publisher,
        original,
        "publish",
        json!({"content_hash": hash}),
    )
    .await;
    let res = n.app.post(&format!("/drafts/{original}/corrections"), &n.author.token,
        json!({"title": "更正稿", "body": "更正后的正文。\n", "format": "text", "note": "原文第二段数字有误"})).await;
    let c: Value = res.json().await.unwrap();
    let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let chash = c["content_hash"].as_str().unwrap().to_string();
    n.through_all_stages(id, &chash).await;
    n.act_ok(&n.publisher, id, "publish", json!({"content_hash": chash}))
        .await;
    let (_, html) = sheet(&n, &n.author.token, id).await;
    positions(
        &html,
        &[
            "更正对象",
            "关于开展安全检查的通知",
            &original.to_string(),
            "更正说明：原文第二段数字有误",
        ],
    );
    let (_, html) = sheet(&n, &n.author.token, original).await;
    positions(&html, &["已被更正", "更正稿", &id.to_string(), "已更正"]);
}
