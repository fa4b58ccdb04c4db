//! Webhooks (SPEC §8): admin endpoints, the outbox written with the change,
//! the background sender's retries, signatures checked by an independent
//! Standard Webhooks implementation, the WeCom and DingTalk robot formats,
//! a dead receiver, and two processes sharing one outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::common::newsroom::{CHECKS, Newsroom, STAGES};
use crate::common::{TestApp, User, assert_problem};
use crate::instances::process::on_database;

mod receiver;
use receiver::{Behaviour, Receiver};

async fn create_webhook(app: &TestApp, admin: &User, body: Value) -> Value {
    let res = app.post("/webhooks", &admin.token, body).await;
    assert_eq!(res.status(), 201, "create webhook");
    res.json().await.unwrap()
}

async fn deliveries(app: &TestApp, admin: &User, id: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/webhooks/{id}/deliveries?limit=200"),
            &admin.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Polls the delivery log until `n` deliveries are in `status`.
async fn wait_deliveries(
    app: &TestApp,
    admin: &User,
    id: &str,
    status: &str,
    n: usize,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = deliveries(app, admin, id).await;
        if all.iter().filter(|d| d["status"] == status).count() >= n {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {n} {status}: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_delivery_is_retried_and_every_signature_verifies() {
    let room = Newsroom::new().await;
    let receiver = Receiver::start(Behaviour::FailFirst);
    let hook = create_webhook(
        &room.app,
        &room.admin,
        json!({
            "url": format!("{}/hooks/sanshen", receiver.base),
            "events": ["draft.submitted", "draft.step_opened"],
        }),
    )
    .await;
    let secret = hook["secret"]
        .as_str()
        .expect("a generated secret, shown once")
        .to_string();
    assert_eq!(hook["format"], "standard");
    let hook_id = hook["id"].as_str().unwrap().to_string();
    let (draft, hash) = room.draft().await;
    room.submit_ok(draft, &hash).await;

    let log = wait_deliveries(&room.app, &room.admin, &hook_id, "delivered", 2).await;
    assert_eq!(log.len(), 2, "one delivery per announced event");
    let attempts: BTreeSet<i64> = log
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .collect();
    assert_eq!(
        attempts,
        BTreeSet::from([1, 2]),
        "only the failed one was tried twice"
    );
    assert!(
        log.iter()
            .all(|d| d["last_status"] == 200 && d["last_error"].is_null())
    );

    let got = receiver.requests();
    assert_eq!(got.len(), 3, "two messages, one of them twice");
    let ids: Vec<&str> = got
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap())
        .collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 2);
    assert!(ids[1..].contains(&ids[0]), "the retry keeps its webhook-id");
    let checker = standardwebhooks::Webhook::new(&secret).unwrap();
    for r in &got {
        checker
            .verify(&r.body, &r.headers)
            .expect("signature verifies");
        assert_eq!(r.path_and_query, "/hooks/sanshen");
    }
    let mut tampered = got[2].body.to_vec();
    tampered[5] ^= 1;
    assert!(
        checker.verify(&tampered, &got[2].headers).is_err(),
        "a changed body fails"
    );

    let by_type: BTreeMap<String, Value> = got
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .map(|p| (p["type"].as_str().unwrap().to_string(), p))
        .collect();
    let opened = &by_type["draft.step_opened"]["data"];
    assert_eq!(opened["stages"], json!(["review_1"]));
    assert_eq!(
        opened["eligible_signers"],
        json!([room.signer("review_1").id])
    );
    assert_eq!(opened["title"], "关于开展安全检查的通知");
    assert_eq!(opened["draft_id"], draft.to_string());
    assert_eq!(opened["actor"]["username"], "author");
    let submitted = &by_type["draft.submitted"]["data"];
    assert_eq!(submitted["channel"], "portal");
    assert_eq!(submitted["tier"], "normal");
    for p in by_type.values() {
        let text = p.to_string();
        assert!(
            !text.contains("正文第一段")
                && p["data"].get("body").is_none()
                && p["data"].get("summary").is_none()
        );
    }
}

/// `draft.step_opened` names who may sign now: holders of the stage's
/// grant and their delegates in force, without anyone invariant 3 bars.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_opened_names_delegates_and_leaves_out_who_signed_a_stage_of_the_same_kind() {
    let room = Newsroom::new().await;
    let receiver = Receiver::start(Behaviour::AlwaysOk);
    create_webhook(
        &room.app,
        &room.admin,
        json!({"url": format!("{}/hooks", receiver.base), "events": ["draft.step_opened"]}),
    )
    .await;
    let both = room
        .app
        .user(&room.admin, "both.reviews", &["review_1", "review_2"])
        .await;
    let principal = room.signer("review_2");
    let deputy = room.signer("proofread_1");
    let starts = chrono::Utc::now() - chrono::Duration::minutes(1);
    let res = room
        .app
        .post(
            "/me/delegations",
            &principal.token,
            json!({"to_user_id": deputy.id, "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + chrono::Duration::days(2)).to_rfc3339(), "reason": "出差"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let (draft, hash) = room.draft().await;
    room.submit_ok(draft, &hash).await;
    let res = room.approve_as(&both, draft, "review_1", &hash).await;
    assert_eq!(res.status(), 200);
    room.approve_ok(draft, "proofread_1", &hash).await;

    let opened = |stage: &str, ids: &[uuid::Uuid]| {
        let list: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
        format!(
            "SELECT count(*) AS n FROM webhook_deliveries \
             WHERE event_type = 'draft.step_opened' AND payload->'data'->>'draft_id' = '{draft}' \
             AND payload->'data'->'stages' = '[\"{stage}\"]'::jsonb \
             AND payload->'data'->'eligible_signers' @> '[{l}]'::jsonb \
             AND jsonb_array_length(payload->'data'->'eligible_signers') = {n}",
            l = list.join(","),
            n = ids.len()
        )
    };
    // review_1 was open to both of its holders.
    let first = opened("review_1", &[room.signer("review_1").id, both.id]);
    assert_eq!(room.app.count(&first).await, 1);
    // review_2: its holder and the holder's deputy; not `both`, who signed review_1.
    let second = opened("review_2", &[principal.id, deputy.id]);
    assert_eq!(room.app.count(&second).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_webhooks_and_bad_ones_are_refused_naming_the_field() {
    let room = Newsroom::new().await;
    let (app, admin) = (&room.app, &room.admin);
    let ok = json!({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K3Y", "events": ["draft.publishable"], "format": "wecom"});
    assert_problem(
        app.post("/webhooks", &room.author.token, ok.clone()).await,
        403,
        "forbidden",
    )
    .await;
    for (body, field) in [
        (
            json!({"url": "ftp://example.com/x", "events": ["draft.published"]}),
            "url",
        ),
        (
            json!({"url": "javascript:alert(1)", "events": ["draft.published"]}),
            "url",
        ),
        (
            json!({"url": "http://x/", "events": ["draft.created"]}),
            "events",
        ),
        (json!({"url": "http://x/", "events": []}), "events"),
        (
            json!({"url": "http://x/", "events": ["draft.published"], "format": "slack"}),
            "format",
        ),
        (
            json!({"url": "http://x/", "events": ["draft.published"], "format": "wecom", "secret": "s"}),
            "secret",
        ),
        (
            json!({"url": "http://x/", "events": ["draft.published"], "secret": "too-short"}),
            "secret",
        ),
    ] {
        let problem = assert_problem(
            app.post("/webhooks", &admin.token, body.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let page: Value = app
        .get("/webhooks", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"], json!([]), "nothing refused was kept");

    let hook = create_webhook(app, admin, ok).await;
    assert!(hook.get("secret").is_none() && hook["has_secret"] == false);
    let id = hook["id"].as_str().unwrap();
    let page: Value = app
        .get("/webhooks", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_problem(
        app.get(&format!("/webhooks/{id}/deliveries"), &room.auditor.token)
            .await,
        403,
        "forbidden",
    )
    .await;

    let del = app
        .call(
            reqwest::Method::DELETE,
            &format!("/webhooks/{id}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(del.status(), 204);
    let again = app
        .call(
            reqwest::Method::DELETE,
            &format!("/webhooks/{id}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_problem(again, 404, "not_found").await;
    assert_problem(
        app.get(&format!("/webhooks/{id}/deliveries"), &admin.token)
            .await,
        404,
        "not_found",
    )
    .await;

    // Audited, without the robot's key.
    let events: Value = app
        .get("/audit/events?action=webhook_created", &room.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["detail"]["url"],
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    );
    let deleted: Value = app
        .get("/audit/events?action=webhook_deleted", &room.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_and_dingtalk_robots_get_markdown_and_dingtalk_urls_are_signed() {
    let room = Newsroom::new().await;
    let receiver = Receiver::start(Behaviour::AlwaysOk);
    let events = json!(["draft.publishable"]);
    create_webhook(&room.app, &room.admin, json!({"url": format!("{}/wecom?key=k1", receiver.base), "events": events, "format": "wecom"})).await;
    create_webhook(&room.app, &room.admin, json!({"url": format!("{}/ding?access_token=t1", receiver.base), "events": events, "format": "dingtalk", "secret": "SECtest"})).await;
    let (draft, hash) = room.draft().await;
    room.through_all_stages(draft, &hash).await;

    let got = receiver.wait_for(2).await;
    let wecom = got
        .iter()
        .find(|r| r.path_and_query.starts_with("/wecom"))
        .expect("wecom got one");
    let ding = got
        .iter()
        .find(|r| r.path_and_query.starts_with("/ding"))
        .expect("dingtalk got one");
    assert_eq!(wecom.path_and_query, "/wecom?key=k1");
    let w: Value = serde_json::from_slice(&wecom.body).unwrap();
    assert_eq!(w["msgtype"], "markdown");
    let content = w["markdown"]["content"].as_str().unwrap();
    assert!(
        content.contains("可发布") && content.contains("关于开展安全检查的通知"),
        "{content}"
    );
    let d: Value = serde_json::from_slice(&ding.body).unwrap();
    assert_eq!(d["msgtype"], "markdown");
    assert!(
        d["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("关于开展安全检查的通知")
    );
    assert!(!String::from_utf8_lossy(&ding.body).contains("正文第一段"));

    // DingTalk's check, written out here: sign = base64(HMAC-SHA256(secret, "ts\nsecret")).
    let query: BTreeMap<String, String> =
        url::Url::parse(&format!("http://x{}", ding.path_and_query))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
    assert_eq!(query["access_token"], "t1");
    let ts = &query["timestamp"];
    let age = chrono::Utc::now().timestamp_millis() - ts.parse::<i64>().unwrap();
    assert!((0..3_600_000).contains(&age), "a current timestamp in ms");
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"SECtest").unwrap();
    mac.update(format!("{ts}\nSECtest").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(query["sign"], expected);
    assert_eq!(got.len(), 2, "one publishable event, one message per robot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_receiver_never_slows_a_request() {
    let room = Newsroom::new().await;
    let receiver = Receiver::start(Behaviour::Hang);
    let hook = create_webhook(
        &room.app,
        &room.admin,
        json!({"url": receiver.base, "events": ["draft.step_opened"]}),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap();
    let (draft, hash) = room.draft().await;
    room.submit_ok(draft, &hash).await;
    // The sender is now stuck on a receiver that will never answer…
    receiver.wait_for(1).await;
    // …and a change that announces another event still commits and answers.
    let res = room.approve(draft, "review_1", &hash).await;
    assert_eq!(res.status(), 200, "approve while a delivery hangs");
    let log = wait_deliveries(&room.app, &room.admin, hook_id, "pending", 2).await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|d| d["status"] == "pending" && d["delivered_at"].is_null())
    );
    // Both hang in flight: neither has an answer recorded.
    receiver.wait_for(2).await;
    let log = deliveries(&room.app, &room.admin, hook_id).await;
    assert!(
        log.iter()
            .all(|d| d["attempts"] == 1 && d["last_status"].is_null()),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_outbox_and_deliver_each_message_once() {
    let database = crate::common::fresh_database().await;
    let env = [("SANSHEN_WEBHOOK_BACKOFF_MS", "50")];
    let (a, b) = tokio::join!(on_database(&database, &env), on_database(&database, &env));
    let receiver = Receiver::start(Behaviour::AlwaysOk);
    let admin = a.api.admin().await;
    let res = a
        .api
        .post("/webhooks", &admin, json!({"url": receiver.base, "events": ["draft.submitted", "draft.step_opened", "draft.publishable"]}))
        .await;
    assert_eq!(res.status(), 201);
    let hook: Value = res.json().await.unwrap();
    let checker = standardwebhooks::Webhook::new(hook["secret"].as_str().unwrap()).unwrap();
    a.api.create_user(&admin, "author", "editor").await;
    let author = a.api.token("author", crate::common::PASSWORD).await;
    let mut signers = Vec::new();
    for stage in STAGES {
        signers.push(a.api.user(&admin, &format!("s.{stage}"), stage).await);
    }
    const DRAFTS: usize = 3;
    for n in 0..DRAFTS {
        let api = |i: usize| {
            if (n + i).is_multiple_of(2) {
                &a.api
            } else {
                &b.api
            }
        };
        let body = json!({"channel": "portal", "title": format!("通知 {n}"), "body": "正文。\n", "format": "text"});
        let draft: Value = api(0)
            .post("/drafts", &author, body)
            .await
            .json()
            .await
            .unwrap();
        let (id, hash) = (
            draft["id"].as_str().unwrap(),
            draft["content_hash"].as_str().unwrap(),
        );
        let res = api(1)
            .post(
                &format!("/drafts/{id}/submit"),
                &author,
                json!({"content_hash": hash}),
            )
            .await;
        assert_eq!(res.status(), 200);
        for (i, stage) in STAGES.iter().enumerate() {
            let approval = json!({"stage": stage, "content_hash": hash, "checks": CHECKS});
            let res = api(i)
                .post(&format!("/drafts/{id}/approve"), &signers[i], approval)
                .await;
            assert_eq!(res.status(), 200, "approve {stage}");
        }
    }
    // Per draft: submitted, six steps opened (the first with the submission), publishable.
    let expected = DRAFTS * 8;
    let got = receiver.wait_for(expected).await;
    // Every row is delivered once it is acknowledged; wait for the log to say so on both.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log: Value = b
            .api
            .get(
                &format!(
                    "/webhooks/{}/deliveries?limit=200",
                    hook["id"].as_str().unwrap()
                ),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        let items = log["items"].as_array().unwrap();
        if items.len() == expected && items.iter().all(|d| d["status"] == "delivered") {
            assert!(
                items.iter().all(|d| d["attempts"] == 1),
                "no row was sent twice"
            );
            break;
        }
        assert!(Instant::now() < deadline, "deliveries: {log:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got_now = receiver.requests();
    assert_eq!(
        got_now.len(),
        expected,
        "no message was sent twice: {} then {}",
        got.len(),
        got_now.len()
    );
    let ids: BTreeSet<String> = got_now
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), expected);
    for r in &got_now {
        checker
            .verify(&r.body, &r.headers)
            .expect("signature verifies");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_counts_as_a_failed_try() {
    let room = Newsroom::new().await;
    let receiver = Receiver::start(Behaviour::Redirect);
    let hook = create_webhook(
        &room.app,
        &room.admin,
        json!({"url": format!("{}/hook", receiver.base), "events": ["draft.submitted"]}),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap();
    let (draft, hash) = room.draft().await;
    room.submit_ok(draft, &hash).await;
    // The retry after the first redirect shows the first try was recorded.
    receiver.wait_for(2).await;
    let log = deliveries(&room.app, &room.admin, hook_id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["last_status"], 302);
    assert_eq!(log[0]["last_error"], "redirect not followed");
    let paths: BTreeSet<String> = receiver
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["/hook".to_string()]),
        "never /elsewhere"
    );
}

/// The sender is rung after a request whose transaction wrote outbox rows,
/// and only then (`src/http/chain_nudge.rs`): what marks such a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_change_that_writes_outbox_rows_is_noted_for_the_sender() {
    use diesel_async::AsyncConnection;
    use sanshen::db::audit_log::{NewEvent, Origin, append};
    use sanshen::db::webhooks::noting_writes;

    let room = Newsroom::new().await;
    let receiver = Receiver::start(Behaviour::AlwaysOk);
    create_webhook(
        &room.app,
        &room.admin,
        json!({
            "url": format!("{}/hooks/sanshen", receiver.base),
            "events": ["draft.submitted"],
        }),
    )
    .await;
    let (draft, hash) = room.draft().await;
    let mut conn = crate::common::superuser(&room.app).await;
    let origin = Origin {
        request_id: None,
        ip: None,
    };
    let event = |action| {
        NewEvent::new(action, &origin)
            .on_draft(draft, 1, &hash)
            .transition("draft", "in_review")
    };
    let outbox = async |conn: &mut diesel_async::AsyncPgConnection| {
        let n: i64 = diesel_async::RunQueryDsl::get_result(
            diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM webhook_deliveries)",
            )),
            conn,
        )
        .await
        .unwrap();
        n
    };
    // Withdrawal is not subscribed: nothing written, nothing noted; a
    // submission is, and is noted.
    for (action, noted) in [("draft_withdrawn", false), ("draft_submitted", true)] {
        let before = outbox(&mut conn).await;
        let (written, wrote) =
            noting_writes(conn.transaction::<_, diesel::result::Error, _>(async |c| {
                append(c, event(action)).await
            }))
            .await;
        written.unwrap();
        assert_eq!(wrote, noted, "{action}");
        assert_eq!(outbox(&mut conn).await > before, noted, "{action}");
    }
    // Outside a request's scope (a background job) the rows are written all
    // the same.
    let before = outbox(&mut conn).await;
    conn.transaction::<_, diesel::result::Error, _>(async |c| {
        append(c, event("draft_submitted")).await
    })
    .await
    .unwrap();
    assert!(outbox(&mut conn).await > before);
}
