//! The audit trail (SPEC §2 invariants 7–8, §3 Audit): who may read it, its
//! format, filters and pages, its immutability, and tamper detection.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::Method;
use sanshen::audit::chain::{AuditEvent, event_hash};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::Newsroom;
use crate::common::{TestApp, User, assert_problem, setup, superuser, verify};

async fn events(app: &TestApp, who: &User, query: &str) -> Value {
    let res = app.get(&format!("/audit/events{query}"), &who.token).await;
    assert_eq!(res.status(), 200, "GET /audit/events{query}");
    res.json().await.expect("json")
}

async fn departments(app: &TestApp, admin: &User, prefix: &str, n: usize) {
    for i in 0..n {
        app.department(admin, &format!("{prefix}{i}")).await;
    }
}

/// Like `app.sql`, on a connection of its own, returning the database's refusal.
async fn try_sql(conn: &mut AsyncPgConnection, sql: &str) -> Result<(), String> {
    conn.batch_execute(sql).await.map_err(|e| e.to_string())
}

async fn seqs(app: &TestApp) -> Vec<i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
    }
    app.chain().await;
    let mut conn = sanshen::db::connect(&app.state.pool).await.unwrap();
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT seq FROM audit_events ORDER BY seq"),
        &mut conn,
    )
    .await
    .unwrap();
    rows.into_iter().map(|r| r.seq).collect()
}

#[tokio::test]
async fn only_auditors_may_use_the_audit_api() {
    let (app, admin, auditor) = setup().await;
    let editor = app.user(&admin, "editor1", &["editor"]).await;
    let lookup = json!({"content_hash": "0".repeat(64)});
    let calls = [
        (Method::GET, "/audit/events", None),
        (Method::GET, "/audit/export", None),
        (Method::GET, "/audit/verify", None),
        (Method::POST, "/audit/lookup", Some(lookup)),
    ];
    for (method, path, body) in &calls {
        let res = app.call(method.clone(), path, None, body.clone()).await;
        assert_problem(res, 401, "unauthenticated").await;
        for who in [&editor, &admin] {
            let res = app
                .call(method.clone(), path, Some(&who.token), body.clone())
                .await;
            assert_problem(res, 403, "forbidden").await;
        }
        let res = app
            .call(method.clone(), path, Some(&auditor.token), body.clone())
            .await;
        assert_eq!(res.status(), 200, "{method} {path} as auditor");
    }
    // Refused calls leave no trace of having read anything.
    let page = events(&app, &auditor, "?action=audit_events_read&limit=200").await;
    let readers: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["actor"])
        .collect();
    assert!(readers.iter().all(|a| *a == "auditor1"), "{readers:?}");
}

#[tokio::test]
async fn events_come_in_the_spec_format_and_rehash() {
    let (app, admin, auditor) = setup().await;
    departments(&app, &admin, "fmt", 2).await;
    let page = events(&app, &auditor, "?limit=200").await;
    let items = page["items"].as_array().unwrap();
    assert!(page["next_cursor"].is_null());
    // The bootstrap, two logins, the auditor's account and grant, two
    // departments, and this read itself.
    assert_eq!(items.len(), 8, "{page}");
    let keys = [
        "seq",
        "occurred_at",
        "actor_id",
        "actor",
        "action",
        "draft_id",
        "revision",
        "content_hash",
        "stage",
        "from_status",
        "to_status",
        "detail",
        "ip",
        "request_id",
        "prev_hash",
        "hash",
    ];
    let mut prev = "0".repeat(64);
    for (i, item) in items.iter().enumerate() {
        let object = item.as_object().unwrap();
        assert_eq!(object.len(), keys.len(), "{item}");
        assert!(
            keys.iter().all(|k| object.contains_key(*k)),
            "absent values are null, not missing: {item}"
        );
        assert_eq!(item["seq"], i as i64 + 1, "gapless from 1");
        let at = item["occurred_at"].as_str().unwrap();
        assert!(
            at.len() == 27 && at.ends_with('Z') && at.as_bytes()[19] == b'.',
            "six fractional digits: {at}"
        );
        assert!(item["detail"].is_object());
        assert_eq!(item["prev_hash"], prev.as_str());
        let event: AuditEvent = serde_json::from_value(item.clone()).unwrap();
        assert_eq!(
            event_hash(&event),
            event.hash,
            "the hash recomputes from what the API returns"
        );
        prev = event.hash;
    }
    let created: Vec<&Value> = items
        .iter()
        .filter(|e| e["action"] == "department_created")
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["actor"], "admin");
    assert_eq!(created[0]["actor_id"], admin.id.to_string());
    assert!(created[0]["draft_id"].is_null() && created[0]["revision"].is_null());
    assert_eq!(created[0]["ip"], "127.0.0.1");
}

#[tokio::test]
async fn every_audit_call_is_itself_recorded() {
    let (app, _admin, auditor) = setup().await;
    let page = events(&app, &auditor, "?action=department_created&limit=7").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    // The read is committed before its page is read: it is in an unfiltered page.
    let page = events(&app, &auditor, "?limit=200").await;
    let last = page["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "audit_events_read");
    assert_eq!(last["actor"], "auditor1");
    assert_eq!(last["actor_id"], auditor.id.to_string());
    assert!(last["request_id"].is_string());

    let res = app
        .get(
            "/audit/export?format=csv&since=2020-01-01T00:00:00Z",
            &auditor.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap();
    verify(&app, &auditor).await;
    let res = app
        .post(
            "/audit/lookup",
            &auditor.token,
            json!({"content_hash": "a".repeat(64)}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let page = events(
        &app,
        &auditor,
        &format!("?actor_id={}&limit=200", auditor.id),
    )
    .await;
    let mine: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] != "login")
        .collect();
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "audit_events_read",
            "audit_events_read",
            "audit_exported",
            "audit_verified",
            "audit_lookup",
            "audit_events_read"
        ]
    );
    assert_eq!(
        mine[0]["detail"]["filters"],
        json!({"action": "department_created"})
    );
    assert_eq!(mine[0]["detail"]["limit"], 7);
    assert_eq!(
        mine[2]["detail"],
        json!({"format": "csv", "filters": {"since": "2020-01-01T00:00:00.000000Z"}})
    );
    assert_eq!(mine[3]["detail"]["valid"], true);
    assert_eq!(
        mine[4]["detail"],
        json!({"by": "content_hash", "content_hash": "a".repeat(64), "matches": 0})
    );
    assert_eq!(
        mine[5]["detail"]["filters"],
        json!({"actor_id": auditor.id.to_string()})
    );
}

#[tokio::test]
async fn filters_and_keyset_pages() {
    let (app, admin, auditor) = setup().await;
    departments(&app, &admin, "pg", 7).await;
    let all = events(&app, &auditor, "?action=department_created&limit=200").await;
    let all: Vec<Value> = all["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 7);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let after = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page = events(
            &app,
            &auditor,
            &format!("?action=department_created&limit=3{after}"),
        )
        .await;
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        (pages, &seen),
        (3, &all),
        "pages of 3, 3 and 1, in seq order, nothing twice or missed"
    );

    let by_admin = events(
        &app,
        &auditor,
        &format!("?actor_id={}&action=department_created", admin.id),
    )
    .await;
    assert_eq!(by_admin["items"].as_array().unwrap().len(), 7);
    let nobody = events(&app, &auditor, &format!("?actor_id={}", Uuid::new_v4())).await;
    assert_eq!(nobody["items"], json!([]));
    let no_draft = events(&app, &auditor, &format!("?draft_id={}", Uuid::new_v4())).await;
    assert_eq!(no_draft["items"], json!([]));

    // since is inclusive, until exclusive: [2nd, 5th) holds the 2nd, 3rd and 4th.
    let (since, until) = (
        all[1]["occurred_at"].as_str().unwrap(),
        all[4]["occurred_at"].as_str().unwrap(),
    );
    let window = events(
        &app,
        &auditor,
        &format!("?action=department_created&since={since}&until={until}"),
    )
    .await;
    assert_eq!(window["items"].as_array().unwrap(), &all[1..4]);
    // The same instant written with an offset (the '+' percent-encoded).
    let at = chrono::DateTime::parse_from_rfc3339(since)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let offset = at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
        .replace('+', "%2B");
    let window = events(
        &app,
        &auditor,
        &format!("?action=department_created&since={offset}"),
    )
    .await;
    assert_eq!(window["items"].as_array().unwrap(), &all[1..]);
}

#[tokio::test]
async fn bad_queries_are_malformed_requests() {
    let (app, _admin, auditor) = setup().await;
    for query in [
        "?since=yesterday",
        "?until=2026-11-24",
        "?since=2026-11-24T08:00:00+08:00",
        "?limit=0",
        "?limit=201",
        "?limit=many",
        "?cursor=nonsense!",
        "?draft_id=42",
        "?actor_id=",
        "?action=",
        "?action=a%00b",
        "?colour=red",
    ] {
        let res = app
            .get(&format!("/audit/events{query}"), &auditor.token)
            .await;
        assert_problem(res, 400, "malformed_request").await;
    }
    for query in ["?format=xml", "?since=soon", "?draft_id=x"] {
        let res = app
            .get(&format!("/audit/export{query}"), &auditor.token)
            .await;
        assert_problem(res, 400, "malformed_request").await;
    }
    let res = app
        .call(Method::PUT, "/audit/verify", Some(&auditor.token), None)
        .await;
    assert_problem(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn triggers_refuse_update_delete_and_truncate_even_for_the_owner() {
    let (app, admin, auditor) = setup().await;
    departments(&app, &admin, "imm", 2).await;
    let before = seqs(&app).await;
    let statements = [
        "UPDATE audit_events SET detail = '{\"forged\": true}' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
        "TRUNCATE audit_events CASCADE",
    ];
    // As the application connects: the tables' owner (here also a superuser).
    let mut owner = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    for sql in statements {
        let refused = try_sql(&mut owner, sql).await.expect_err(sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    // As an owner with no superuser power at all.
    let role = format!("audit_owner_{}", Uuid::new_v4().simple());
    try_sql(
        &mut owner,
        &format!(
            "CREATE ROLE {role} NOLOGIN; ALTER TABLE audit_events OWNER TO {role}; SET ROLE {role}"
        ),
    )
    .await
    .unwrap();
    for sql in statements {
        let refused = try_sql(&mut owner, sql).await.expect_err(sql);
        assert!(
            refused.contains("append-only"),
            "{sql} as {role}: {refused}"
        );
    }
    try_sql(
        &mut owner,
        &format!("RESET ROLE; ALTER TABLE audit_events OWNER TO CURRENT_USER; DROP ROLE {role}"),
    )
    .await
    .unwrap();
    assert_eq!(seqs(&app).await, before);
    assert_eq!(verify(&app, &auditor).await["valid"], true);
}

#[tokio::test]
async fn a_rewritten_event_is_named_by_verify() {
    let (app, admin, auditor) = setup().await;
    departments(&app, &admin, "rw", 4).await;
    let intact = verify(&app, &auditor).await;
    assert_eq!(intact["valid"], true);
    assert!(intact["first_invalid_seq"].is_null());
    assert_eq!(intact["checked"], intact["head_seq"]);
    let k = 5;
    let mut db = superuser(&app).await;
    db.batch_execute(&format!(
        "SET session_replication_role = replica; UPDATE audit_events SET detail = '{{\"code\": \"forged\"}}' WHERE seq = {k}"
    ))
    .await
    .unwrap();
    let broken = verify(&app, &auditor).await;
    assert_eq!(broken["valid"], false);
    assert_eq!(broken["first_invalid_seq"], k);

    // Rehashing the forged event does not help: the next event still names the original.
    let page = events(
        &app,
        &auditor,
        &format!(
            "?cursor={}&limit=1",
            sanshen::http::pagination::encode_seq_cursor(k - 1)
        ),
    )
    .await;
    let mut forged: AuditEvent = serde_json::from_value(page["items"][0].clone()).unwrap();
    forged.hash = event_hash(&forged);
    db.batch_execute(&format!(
        "UPDATE audit_events SET hash = '{}' WHERE seq = {k}",
        forged.hash
    ))
    .await
    .unwrap();
    let broken = verify(&app, &auditor).await;
    assert_eq!(
        (&broken["valid"], &broken["first_invalid_seq"]),
        (&json!(false), &json!(k + 1))
    );
}

#[tokio::test]
async fn deleted_events_are_reported_in_the_middle_and_at_the_end() {
    let (app, admin, auditor) = setup().await;
    departments(&app, &admin, "del", 4).await;
    let mut db = superuser(&app).await;
    let k = 4;
    db.batch_execute(&format!(
        "SET session_replication_role = replica; DELETE FROM audit_events WHERE seq = {k}"
    ))
    .await
    .unwrap();
    let broken = verify(&app, &auditor).await;
    // Shown by its successor, which no longer follows.
    assert_eq!(
        (&broken["valid"], &broken["first_invalid_seq"]),
        (&json!(false), &json!(k + 1))
    );

    // Cutting off the tail leaves an intact-looking chain; the head row witnesses it.
    let (app, admin, auditor) = setup().await;
    departments(&app, &admin, "tail", 2).await;
    let last = *seqs(&app).await.last().unwrap();
    let mut db = superuser(&app).await;
    db.batch_execute(&format!(
        "SET session_replication_role = replica; DELETE FROM audit_events WHERE seq >= {}",
        last - 1
    ))
    .await
    .unwrap();
    let broken = verify(&app, &auditor).await;
    assert_eq!(
        (&broken["valid"], &broken["first_invalid_seq"]),
        (&json!(false), &json!(last - 1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_leave_a_gapless_valid_chain() {
    const CLIENTS: usize = 8;
    const ACTIONS: usize = 50;
    let (app, admin, auditor) = setup().await;
    let before = seqs(&app).await.len();
    let clients = (0..CLIENTS).map(|c| {
        let (app, admin) = (&app, &admin);
        async move {
            for i in 0..ACTIONS {
                let res = app
                    .post(
                        "/departments",
                        &admin.token,
                        json!({"code": format!("c{c}-{i}"), "name": "并发"}),
                    )
                    .await;
                assert_eq!(res.status(), 201);
            }
        }
    });
    futures_util::future::join_all(clients).await;
    let seqs = seqs(&app).await;
    assert_eq!(seqs.len(), before + CLIENTS * ACTIONS);
    assert!(
        seqs.iter().enumerate().all(|(i, s)| *s == i as i64 + 1),
        "seq runs 1..=N without gaps"
    );
    let v = verify(&app, &auditor).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["checked"], seqs.len());
    assert_eq!(v["head_seq"], seqs.len());
}

#[tokio::test]
async fn lookup_finds_the_approved_and_published_revision() {
    let room = Newsroom::new().await;
    let (app, auditor) = (&room.app, &room.auditor);
    let (id, hash) = room.publishable().await;
    let res = room
        .act(
            &room.publisher,
            id,
            "publish",
            json!({"content_hash": hash, "url": "https://mp.weixin.qq.com/s/x"}),
        )
        .await;
    assert_eq!(res.status(), 200, "publish");
    let seen_live = json!({"channel": "portal", "title": "关于开展安全检查的通知", "summary": "", "body": "正文第一段。\n第二段。\n", "format": "text"});
    for body in [json!({"content_hash": hash}), seen_live] {
        let res = app.post("/audit/lookup", &auditor.token, body).await;
        assert_eq!(res.status(), 200);
        let found: Value = res.json().await.unwrap();
        assert_eq!(found["content_hash"], hash.as_str());
        assert_eq!(found["truncated"], false);
        let m = &found["matches"][0];
        assert_eq!(found["matches"].as_array().unwrap().len(), 1);
        assert_eq!(
            (&m["draft_id"], &m["revision"], &m["status"]),
            (&json!(id), &json!(1), &json!("published"))
        );
        assert_eq!(
            (&m["published"], &m["current"], &m["channel"]),
            (&json!(true), &json!(true), &json!("portal"))
        );
        // The route it had to complete: the tier and the pinned version.
        let draft = room.snapshot(id).await;
        assert_eq!(m["risk_level"], "normal");
        assert_eq!(m["workflow_version"], draft["workflow"]["version"]);
        assert!(m["workflow_version"].as_i64().is_some());
        let signoffs = m["signoffs"].as_array().unwrap();
        let stages: Vec<&str> = signoffs
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            crate::common::newsroom::STAGES,
            "six approvals, in workflow order"
        );
        assert!(
            signoffs
                .iter()
                .all(|s| s["decision"] == "approve" && s["content_hash"] == hash.as_str())
        );
        let events = m["events"].as_array().unwrap();
        assert!(
            events.iter().all(|e| e["draft_id"] == json!(id)),
            "{events:?}"
        );
        let actions: Vec<&str> = events
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        let mut expected = vec!["draft_created", "check_run", "draft_submitted"];
        expected.extend(["stage_approved"; 6]);
        expected.push("draft_published");
        assert_eq!(actions, expected);
        assert_eq!(m["trail"], format!("/api/v1/drafts/{id}/trail"));
    }
    // A different text (one character changed) was never approved.
    let altered = json!({"channel": "portal", "title": "关于开展安全检查的通知", "body": "正文第一段。\n第二段！\n", "format": "text"});
    let found: Value = app
        .post("/audit/lookup", &auditor.token, altered)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["matches"], json!([]));
}

#[tokio::test]
async fn lookup_takes_exactly_one_shape() {
    let (app, _admin, auditor) = setup().await;
    let content = json!({"channel": "portal", "title": "t", "body": "b", "format": "text", "content_hash": "a".repeat(64)});
    let malformed = [
        content,
        json!({}),
        json!({"title": "t", "body": "b"}),
        json!({"content_hash": "a".repeat(64), "extra": 1}),
    ];
    for body in malformed {
        let res = app
            .post("/audit/lookup", &auditor.token, body.clone())
            .await;
        assert_problem(res, 400, "malformed_request").await;
    }
    let res = app
        .post(
            "/audit/lookup",
            &auditor.token,
            json!({"content_hash": "ABC"}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "content_hash");
    let res = app
        .post(
            "/audit/lookup",
            &auditor.token,
            json!({"channel": "portal", "title": "标".repeat(201), "body": "b", "format": "pdf"}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&Value> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["field"])
        .collect();
    assert_eq!(fields, [&json!("title"), &json!("format")]);
}

/// Invariant 7: each kind of draft change writes exactly one event, named
/// for it (a second event, or none, fails the `==`); a submission also
/// stores its machine-check report, whose event is `check_run` (SPEC §6).
#[tokio::test]
async fn each_draft_action_writes_exactly_one_event_named_for_it() {
    let n = Newsroom::new().await;
    let mut seq = n.events().await;
    let mut expect_one = async |actions: &[&str]| {
        assert_eq!(n.app.actions_after(seq).await, actions, "after {actions:?}");
        seq += actions.len() as i64;
    };
    let (id, first) = n.draft().await;
    expect_one(&["draft_created"]).await;
    let hash = n.edit_ok(id, &first, "改过的标题").await;
    expect_one(&["draft_edited"]).await;
    n.submit_ok(id, &hash).await;
    expect_one(&["check_run", "draft_submitted"]).await;
    n.approve_ok(id, "review_1", &hash).await;
    expect_one(&["stage_approved"]).await;
    n.return_ok(id, "proofread_1", &hash).await;
    expect_one(&["stage_returned"]).await;
    let res = n
        .app
        .post(
            &format!("/drafts/{id}/comments"),
            &n.author.token,
            json!({"body": "已按意见修改"}),
        )
        .await;
    assert_eq!(res.status(), 201, "comment");
    expect_one(&["comment_added"]).await;
    n.submit_ok(id, &hash).await;
    expect_one(&["check_run", "draft_submitted"]).await;
    for stage in crate::common::newsroom::STAGES {
        n.approve_ok(id, stage, &hash).await;
        expect_one(&["stage_approved"]).await;
    }
    n.act_ok(&n.publisher, id, "publish", json!({"content_hash": hash}))
        .await;
    expect_one(&["draft_published"]).await;
    n.act_ok(
        &n.publisher,
        id,
        "retract",
        json!({"reason_code": "error", "reason": "更正"}),
    )
    .await;
    expect_one(&["draft_retracted"]).await;
    let (other, _) = n.draft().await;
    expect_one(&["draft_created"]).await;
    n.act_ok(&n.author, other, "withdraw", json!({})).await;
    expect_one(&["draft_withdrawn"]).await;
}

/// Invariant 7 for sessions: login, refresh, password change and logout
/// each write exactly one event, named for it.
#[tokio::test]
async fn each_session_change_writes_exactly_one_event_named_for_it() {
    let (app, admin, _auditor) = setup().await;
    let user = app.user(&admin, "signer", &["review_1"]).await;
    let seq = app.event_count().await;
    let (token, refresh) = app.login_ok("signer", crate::common::PASSWORD).await;
    assert_eq!(app.actions_after(seq).await, ["login"]);

    let seq = app.event_count().await;
    let res = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(res.status(), 200, "refresh");
    assert_eq!(app.actions_after(seq).await, ["session_refreshed"]);

    // Two other sessions are open (the first login and this one): revoking
    // them is part of the one change, not an event each.
    let seq = app.event_count().await;
    let res = app
        .post(
            "/me/password",
            &token,
            json!({"current_password": crate::common::PASSWORD, "new_password": "another-long-passphrase-42"}),
        )
        .await;
    assert_eq!(res.status(), 204, "change password");
    assert_eq!(app.actions_after(seq).await, ["password_changed"]);

    let seq = app.event_count().await;
    let res = app
        .call(Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(res.status(), 204, "logout");
    assert_eq!(app.actions_after(seq).await, ["logout"]);
    assert_problem(app.get("/me", &user.token).await, 401, "unauthenticated").await;
}

/// Invariant 7, the other half: an approval whose transaction fails after
/// the sign-off row is written leaves neither the change nor its event —
/// not in the chain and not waiting in `audit_pending`.
#[tokio::test]
async fn an_approval_that_fails_part_way_leaves_neither_change_nor_event() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    n.app
        .sql(
            "CREATE FUNCTION fail_after_signoff() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure after the sign-off insert'; END $$",
        )
        .await;
    n.app
        .sql(
            "CREATE TRIGGER fail_after_signoff AFTER INSERT ON signoffs \
             FOR EACH ROW EXECUTE FUNCTION fail_after_signoff()",
        )
        .await;
    let (before, events) = (n.snapshot(id).await, n.events().await);
    assert_eq!(n.signoff_rows(id).await, 0);

    let res = n.approve(id, "review_1", &hash).await;
    // A fault of the server, not of the client: an opaque 500.
    let problem = assert_problem(res, 500, "internal_error").await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("injected"),
        "the cause stays in the logs: {problem}"
    );
    assert_eq!(n.signoff_rows(id).await, 0, "no sign-off row");
    assert_eq!(n.snapshot(id).await, before, "the draft is unchanged");
    assert_eq!(n.events().await, events, "no chained event");
    assert_eq!(n.pending_events().await, 0, "no event waiting either");

    // Without the fault the same request succeeds with its one event.
    n.app
        .sql("DROP TRIGGER fail_after_signoff ON signoffs")
        .await;
    n.approve_ok(id, "review_1", &hash).await;
    assert_eq!(n.app.actions_after(events).await, ["stage_approved"]);
    assert_eq!(n.signoff_rows(id).await, 1);
}
