//! What a new user and an attacker found in the landed server (issue 13):
//! throttling under parallel attempts, lock-outs of the owner, inputs that
//! reached SQL unbounded, JSON read two ways, 三员分立, large diffs.

use std::net::Ipv4Addr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::newsroom::Newsroom;
use crate::common::{ADMIN_PASSWORD, PASSWORD, TestApp, assert_problem, client_from};

async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> u16 {
    client
        .post(app.url("/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

fn tally(statuses: &[u16]) -> std::collections::BTreeMap<u16, usize> {
    let mut t = std::collections::BTreeMap::new();
    for s in statuses {
        *t.entry(*s).or_insert(0) += 1;
    }
    t
}

#[tokio::test]
async fn forty_wrong_passwords_at_once_are_evaluated_five_times_at_most() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user(&admin, "target", &["editor"]).await;
    let client = client_from(Ipv4Addr::new(127, 0, 0, 1));
    let attempts = (0..40).map(|_| login_from(&app, &client, "target", "not-the-password-1"));
    let statuses = join_all(attempts).await;
    let t = tally(&statuses);
    assert_eq!(t.get(&401), Some(&5), "five evaluated: {t:?}");
    assert_eq!(t.get(&429), Some(&35), "the rest held: {t:?}");
    let failed = app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'login_failed'")
        .await;
    assert_eq!(failed, 5, "one event per evaluated attempt");
    // Held, the right password is refused too until the wait ends.
    assert_eq!(login_from(&app, &client, "target", PASSWORD).await, 429);
    assert_eq!(
        app.count_chained("SELECT count(*) AS n FROM login_attempts")
            .await,
        0,
        "no reservation left behind"
    );
}

#[tokio::test]
async fn logins_held_only_by_attempts_in_flight_wait_a_second() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user(&admin, "script", &["editor"]).await;
    let client = client_from(Ipv4Addr::new(127, 0, 0, 1));
    let attempts = (0..10).map(|_| async {
        let res = client
            .post(app.url("/auth/login"))
            .json(&json!({"username": "script", "password": PASSWORD}))
            .send()
            .await
            .expect("the server answers");
        let retry = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("ascii").to_string());
        (res.status().as_u16(), retry)
    });
    let answers = join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    let t = tally(&statuses);
    assert_eq!(
        t.get(&200).copied().unwrap_or(0) + t.get(&429).copied().unwrap_or(0),
        10,
        "{t:?}"
    );
    assert!(t.get(&200).copied().unwrap_or(0) >= 5, "{t:?}");
    for (status, retry) in &answers {
        if *status == 429 {
            assert_eq!(
                retry.as_deref(),
                Some("1"),
                "only attempts in flight held it"
            );
        }
    }
    // Nothing failed, so nothing is held once they are decided.
    assert_eq!(login_from(&app, &client, "script", PASSWORD).await, 200);
}

#[tokio::test]
async fn a_burst_from_many_addresses_stops_at_the_hourly_cap() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user(&admin, "popular", &["editor"]).await;
    // 24 addresses × 5 attempts: no address passes its own limit, 120 in all.
    let clients: Vec<_> = (10..34u8)
        .map(|h| client_from(Ipv4Addr::new(127, 0, 3, h)))
        .collect();
    let attempts = clients
        .iter()
        .flat_map(|c| (0..5).map(move |_| c))
        .map(|c| login_from(&app, c, "popular", "not-the-password-1"));
    let statuses = join_all(attempts).await;
    let t = tally(&statuses);
    assert_eq!(
        t.get(&401),
        Some(&100),
        "the hourly cap of 100 holds in a burst: {t:?}"
    );
    assert_eq!(t.get(&429), Some(&20), "{t:?}");
}

#[tokio::test]
async fn strangers_cannot_lock_the_owner_out_of_a_known_address() {
    let app = TestApp::spawn().await;
    // The admin signed in from 127.0.0.1 when the test began.
    let admin = app.admin().await;
    for host in 10..30u8 {
        let stranger = client_from(Ipv4Addr::new(127, 0, 4, host));
        for _ in 0..5 {
            assert_eq!(
                login_from(&app, &stranger, "admin", "not-the-password-1").await,
                401
            );
        }
    }
    let new_place = client_from(Ipv4Addr::new(127, 0, 5, 1));
    assert_eq!(
        login_from(&app, &new_place, "admin", ADMIN_PASSWORD).await,
        429,
        "an address the owner never used stays held by the cap"
    );
    let home = client_from(Ipv4Addr::new(127, 0, 0, 1));
    assert_eq!(
        login_from(&app, &home, "admin", ADMIN_PASSWORD).await,
        200,
        "the owner keeps working from a known address"
    );
    // Known means within 30 days.
    app.sql("UPDATE login_known_addresses SET last_success_at = now() - interval '31 days'")
        .await;
    assert_eq!(login_from(&app, &home, "admin", ADMIN_PASSWORD).await, 429);
    drop(admin);
}

#[tokio::test]
async fn an_impossible_username_is_an_ordinary_failure_and_audited() {
    let app = TestApp::spawn().await;
    for name in ["a".repeat(3000), "漢".repeat(2000), "x".repeat(65)] {
        let res = app.login(&name, "not-the-password-1").await;
        assert_problem(res, 401, "invalid_credentials").await;
    }
    let events = app
        .count_chained("SELECT count(*) AS n FROM audit_events WHERE action = 'login_failed'")
        .await;
    assert_eq!(events, 3);
    let recorded = app
        .count_chained(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'login_failed' \
         AND char_length(detail->>'username') = 64",
        )
        .await;
    assert_eq!(
        recorded, 3,
        "the attempted name is kept, cut to 64 characters"
    );
    // Throttled like any other name.
    let long = "b".repeat(5000);
    for _ in 0..5 {
        assert_problem(
            app.login(&long, "not-the-password-1").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_problem(
        app.login(&long, "not-the-password-1").await,
        429,
        "too_many_requests",
    )
    .await;
}

fn time_cursor(micros: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{micros}:{}", Uuid::nil()))
}

#[tokio::test]
async fn every_list_refuses_hostile_cursors_without_a_500() {
    let n = Newsroom::new().await;
    let (id, _) = n.draft().await;
    let hostile = [
        time_cursor(8_000_000_000_000_000_000),
        time_cursor(-8_000_000_000_000_000_000),
        time_cursor(i64::MAX),
        time_cursor(i64::MIN),
        URL_SAFE_NO_PAD.encode(format!("seq:{}", i64::MAX)),
        URL_SAFE_NO_PAD.encode(format!("seq:{}", i64::MIN)),
        URL_SAFE_NO_PAD.encode("seq:99999999999999999999999"),
        URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]),
        "!!!".to_string(),
        "a".repeat(5000),
    ];
    let lists = [
        ("/drafts", &n.author),
        ("/tasks", n.signer("review_1")),
        ("/users", &n.admin),
        (&*format!("/drafts/{id}/comments"), &n.author),
        (&*format!("/drafts/{id}/revisions"), &n.author),
        ("/audit/events", &n.auditor),
    ];
    for (path, who) in lists {
        for cursor in &hostile {
            let res = n
                .app
                .get(&format!("{path}?cursor={cursor}"), &who.token)
                .await;
            let status = res.status();
            assert!(
                status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                "{path} with cursor {cursor}: {status}"
            );
            if status == StatusCode::BAD_REQUEST {
                assert_problem(res, 400, "malformed_request").await;
            } else {
                let page: Value = res.json().await.expect("a page");
                assert!(page["items"].is_array(), "{path}: {page}");
            }
        }
        for bad in [
            "limit=0",
            "limit=201",
            "limit=-1",
            "limit=99999999999999999999",
            "limit=x",
        ] {
            let res = n.app.get(&format!("{path}?{bad}"), &who.token).await;
            assert_problem(res, 400, "malformed_request").await;
        }
    }
    for q in [
        "since=0001-01-01T00:00:00Z",
        "until=9999-12-31T23:59:59Z",
        "since=+275760-09-13T00:00:00Z",
    ] {
        let res = n
            .app
            .get(&format!("/audit/events?{q}"), &n.auditor.token)
            .await;
        assert!(
            res.status() == 200 || res.status() == 400,
            "/audit/events?{q}: {}",
            res.status()
        );
    }
    for q in [
        "from=1&to=2147483647",
        "from=-5&to=1",
        "from=1&to=99999999999",
    ] {
        let res = n
            .app
            .get(&format!("/drafts/{id}/diff?{q}"), &n.author.token)
            .await;
        assert!(
            res.status() == 404 || res.status() == 400,
            "diff?{q}: {}",
            res.status()
        );
    }
}

async fn raw_post(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("the server answers")
}

#[tokio::test]
async fn json_that_reads_two_ways_is_refused_everywhere() {
    let n = Newsroom::new().await;
    let before = n.events().await;
    let twice = r#"{"channel":"wechat_official","channel":"portal","title":"t","body":"b","format":"text"}"#;
    assert_problem(
        raw_post(&n.app, "/drafts", Some(&n.author.token), twice).await,
        400,
        "malformed_request",
    )
    .await;
    let positional = r#"["portal","t","b","text"]"#;
    assert_problem(
        raw_post(&n.app, "/drafts", Some(&n.author.token), positional).await,
        400,
        "malformed_request",
    )
    .await;
    let nested = r#"{"channel":"portal","title":"t","body":"b","format":"text","summary":"s","risk_level":"normal","risk_level":"sensitive"}"#;
    assert_problem(
        raw_post(&n.app, "/drafts", Some(&n.author.token), nested).await,
        400,
        "malformed_request",
    )
    .await;
    let login =
        format!(r#"{{"username":"nobody","username":"admin","password":"{ADMIN_PASSWORD}"}}"#);
    assert_problem(
        raw_post(&n.app, "/auth/login", None, &login).await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        raw_post(&n.app, "/auth/login", None, r#"["admin","x"]"#).await,
        400,
        "malformed_request",
    )
    .await;
    let user = format!(
        r#"{{"username":"u1","display_name":"a","display_name":"b","password":"{PASSWORD}"}}"#
    );
    assert_problem(
        raw_post(&n.app, "/users", Some(&n.admin.token), &user).await,
        400,
        "malformed_request",
    )
    .await;
    let (id, hash) = n.draft().await;
    let submit = format!(r#"{{"content_hash":"{hash}","content_hash":"{hash}"}}"#);
    assert_problem(
        raw_post(
            &n.app,
            &format!("/drafts/{id}/submit"),
            Some(&n.author.token),
            &submit,
        )
        .await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        raw_post(
            &n.app,
            &format!("/drafts/{id}/withdraw"),
            Some(&n.author.token),
            r#"["why"]"#,
        )
        .await,
        400,
        "malformed_request",
    )
    .await;
    let d = n.get(&n.author, id).await;
    assert_eq!(d["status"], "draft", "nothing changed");
    assert_eq!(
        n.events().await,
        before + 1,
        "only the one create above wrote an event"
    );
    let drafts: Value = n
        .app
        .get("/drafts", &n.author.token)
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(drafts["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_admin_holds_no_other_role_and_no_role_holder_becomes_admin() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for role in ["review_1", "editor", "publisher", "proofread_3", "auditor"] {
        let res = app
            .post(
                &format!("/users/{}/grants", admin.id),
                &admin.token,
                json!({"role": role}),
            )
            .await;
        assert_problem(res, 403, "separation_of_duties").await;
    }
    let editor = app.user(&admin, "editor.one", &["editor"]).await;
    let res = app
        .post(
            &format!("/users/{}/grants", editor.id),
            &admin.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_problem(res, 403, "separation_of_duties").await;
    // A user with no role may become a second admin, and then holds nothing else.
    let blank = app.user(&admin, "second.admin", &[]).await;
    let res = app
        .post(
            &format!("/users/{}/grants", blank.id),
            &admin.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post(
            &format!("/users/{}/grants", blank.id),
            &admin.token,
            json!({"role": "review_2"}),
        )
        .await;
    assert_problem(res, 403, "separation_of_duties").await;
    // The admin still sees no draft.
    let drafts: Value = app
        .get("/drafts", &admin.token)
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(drafts["items"], json!([]));
    let grants = app.count_chained( "SELECT count(*) AS n FROM grants WHERE role <> 'admin' AND user_id IN (SELECT user_id FROM grants WHERE role = 'admin')").await;
    assert_eq!(grants, 0);
}

/// Two bodies of 200,000 characters: 100,000 lines each of "a" or "b" in
/// two unrelated pseudo-random orders. Matches everywhere and an edit
/// distance in the tens of thousands: the search for a shortest diff
/// (O((N+M)·D)) would run for minutes, on any machine, without its bound.
fn scrambled_bodies() -> (String, String) {
    let lines = |mut x: u64| -> String {
        (0..100_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if x >> 63 == 0 { "a\n" } else { "b\n" }
            })
            .collect()
    };
    (lines(1), lines(2))
}

#[tokio::test]
async fn large_diffs_are_bounded_and_do_not_stall_others() {
    let n = Newsroom::new().await;
    let (a, b) = scrambled_bodies();
    let created = n
        .app
        .post(
            "/drafts",
            &n.author.token,
            json!({"channel": "portal", "title": "长文", "body": a, "format": "text"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("draft");
    let id = created["id"].as_str().expect("id").to_string();
    let hash = created["content_hash"].as_str().expect("hash").to_string();
    let res = n
        .app
        .client
        .put(n.app.url(&format!("/drafts/{id}/content")))
        .bearer_auth(&n.author.token)
        .header("if-match", format!("\"{hash}\""))
        .json(&json!({"title": "长文", "body": b, "format": "text"}))
        .send()
        .await
        .expect("edit");
    assert_eq!(res.status(), 200);
    // Completion order: a request that is not a diff must not wait for one.
    let order = std::sync::atomic::AtomicUsize::new(0);
    let diffs = (0..4).map(|_| async {
        let res = n
            .app
            .get(&format!("/drafts/{id}/diff?from=1&to=2"), &n.author.token)
            .await;
        assert_eq!(res.status(), 200);
        let done = order.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (done, res.json::<Value>().await.expect("diff"))
    });
    let other = async {
        // Sent once the diffs are under way.
        tokio::task::yield_now().await;
        let res = n.app.get("/me", &n.author.token).await;
        assert_eq!(res.status(), 200);
        order.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    };
    let (diffs, me_done) = futures_util::join!(join_all(diffs), other);
    assert_eq!(me_done, 0, "GET /me answered before any of the four diffs");
    let diffs: Vec<Value> = diffs.into_iter().map(|(_, d)| d).collect();
    for d in diffs {
        let rebuild = |keep: &str| -> String {
            d["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .filter(|l| l["op"] == "equal" || l["op"] == keep)
                .map(|l| l["text"].as_str().expect("text"))
                .collect()
        };
        assert_eq!(rebuild("delete"), a, "revision 1 rebuilds from the diff");
        assert_eq!(rebuild("insert"), b, "revision 2 rebuilds from the diff");
        assert_eq!(d["minimal"], false, "the search hit its time bound");
    }
}
