//! The signing console (SPEC §11) through real HTTP: cookie sessions on the
//! API's server sessions, CSRF on every form, the security headers, safe
//! rendering, and the forms calling the same rules as the API.

mod browser;

use reqwest::Method;
use serde_json::json;

use crate::common::newsroom::{CHECKS, Newsroom};
use crate::common::{PASSWORD, assert_problem};
use browser::Browser;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn assert_guarded(page: &browser::Page, what: &str) {
    let header = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(header("content-security-policy"), CSP, "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
}

#[tokio::test]
async fn login_sets_a_strict_http_only_session_cookie_and_lists_the_tasks() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut b = Browser::new(&n.app);
    let form = b.get("/console/login").await;
    assert_eq!(form.status, 200);
    assert_guarded(&form, "login form");
    let before = n.app.event_count().await;
    let res = b.login("signer.review_1", PASSWORD).await;
    assert_eq!(
        (res.status.as_u16(), res.location()),
        (303, "/console/tasks")
    );
    let session = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("sanshen_console="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    // The test server listens on 127.0.0.1: loopback, so no `Secure`.
    assert!(!session.contains("Secure"), "{session}");
    assert_eq!(n.app.actions_after(before).await, ["login"]);

    let tasks = b.get("/console/tasks").await;
    assert_eq!(tasks.status, 200);
    assert_guarded(&tasks, "tasks");
    assert!(
        tasks.html.contains(&format!("/console/drafts/{id}")),
        "{}",
        tasks.html
    );
    assert!(tasks.html.contains("关于开展安全检查的通知"));
    // The next stage's signer has nothing yet.
    let mut other = Browser::signed_in(&n.app, "signer.proofread_1").await;
    let none = other.get("/console/tasks").await;
    assert!(!none.html.contains(&format!("/console/drafts/{id}")));
    assert!(none.html.contains("Nothing waits for your signature."));
}

#[tokio::test]
async fn a_login_form_without_its_csrf_token_is_refused_and_logs_nobody_in() {
    let n = Newsroom::new().await;
    let mut b = Browser::new(&n.app);
    b.get("/console/login").await;
    n.app.chain().await;
    let before = n.app.event_count().await;
    let creds = [("username", "signer.review_1"), ("password", PASSWORD)];
    let missing = b.post("/console/login", &creds).await;
    assert_eq!(missing.status, 403);
    assert!(
        missing.html.contains("This form has expired"),
        "{}",
        missing.html
    );
    assert_guarded(&missing, "csrf refusal");
    let mut wrong = creds.to_vec();
    wrong.push(("csrf_token", "0000"));
    assert_eq!(b.post("/console/login", &wrong).await.status, 403);
    // Without the cookie (a cross-site post carries none) even the right token fails.
    let token = b.get("/console/login").await.field("csrf_token");
    b.cookies.clear();
    let mut forged = creds.to_vec();
    forged.push(("csrf_token", &token));
    assert_eq!(b.post("/console/login", &forged).await.status, 403);
    assert!(!b.cookies.contains_key("sanshen_console"));
    assert_eq!(n.app.actions_after(before).await, Vec::<String>::new());
}

#[tokio::test]
async fn console_logins_are_throttled_with_the_api_logins() {
    let n = Newsroom::new().await;
    let mut b = Browser::new(&n.app);
    for attempt in 1..=5 {
        let res = b.login("signer.review_1", "wrong-password-wrong").await;
        assert_eq!(res.status, 401, "attempt {attempt}");
        assert!(res.html.contains("Wrong username or password."));
    }
    let sixth = b.login("signer.review_1", PASSWORD).await;
    assert_eq!(sixth.status, 429);
    assert!(sixth.headers.get("retry-after").is_some());
    assert!(
        sixth.html.contains("Too many failed sign-ins"),
        "{}",
        sixth.html
    );
    // One throttle: the API refuses the same name from the same address.
    assert_problem(
        n.app.login("signer.review_1", PASSWORD).await,
        429,
        "too_many_requests",
    )
    .await;
}

#[tokio::test]
async fn a_signer_approves_the_revision_shown_and_the_draft_moves_on() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let page = b.get(&format!("/console/drafts/{id}")).await;
    assert_eq!(page.status, 200);
    assert_guarded(&page, "draft page");
    assert_eq!(page.field("content_hash"), hash);
    assert_eq!(page.field("stage"), "review_1");
    for check in CHECKS {
        assert!(
            page.html
                .contains(&format!("name=\"checks\" value=\"{check}\"")),
            "{check}"
        );
    }
    n.app.chain().await;
    let before = n.app.event_count().await;
    let done = b.approve_as_shown(&page, id).await;
    assert_eq!(
        (done.status.as_u16(), done.location()),
        (303, format!("/console/drafts/{id}?done=approved").as_str())
    );
    assert_eq!(n.app.actions_after(before).await, ["stage_approved"]);
    let draft = n.get(&n.author, id).await;
    assert_eq!(draft["current_stage"], "proofread_1");
    assert_eq!(draft["signoffs"][0]["signer"], "signer.review_1");
    assert_eq!(draft["signoffs"][0]["checks"], json!(CHECKS));
    let after = b.get(&format!("/console/drafts/{id}?done=approved")).await;
    assert!(
        after
            .html
            .contains("You approved revision 1. It is now at 一校 Proofread 1."),
        "{}",
        after.html
    );
    assert!(!after.html.contains("/approve\""), "no form once signed");
}

#[tokio::test]
async fn a_review_approval_without_all_six_checks_is_refused_in_plain_words() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let page = b.get(&format!("/console/drafts/{id}")).await;
    let csrf = page.field("csrf_token");
    let res = b
        .post(
            &format!("/console/drafts/{id}/approve"),
            &[
                ("csrf_token", &csrf),
                ("stage", "review_1"),
                ("content_hash", &hash),
                ("checks", "political"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.html
            .contains("missing: legal, policy, secrecy, language, public_opinion"),
        "{}",
        res.html
    );
    assert_eq!(n.get(&n.author, id).await["current_stage"], "review_1");
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let mut other = Browser::signed_in(&n.app, "signer.proofread_1").await;
    let others_token = other.get("/console/tasks").await.field("csrf_token");
    n.app.chain().await;
    let before = n.app.event_count().await;
    let path = format!("/console/drafts/{id}/approve");
    let mut form = vec![("stage", "review_1"), ("content_hash", hash.as_str())];
    form.extend(CHECKS.iter().map(|c| ("checks", *c)));
    let missing = b.post(&path, &form).await;
    assert_eq!(missing.status, 403);
    assert!(missing.html.contains("This form has expired"));
    form.push(("csrf_token", &others_token));
    assert_eq!(
        b.post(&path, &form).await.status,
        403,
        "another session's token"
    );
    let ret = b
        .post(
            &format!("/console/drafts/{id}/return"),
            &[
                ("stage", "review_1"),
                ("content_hash", &hash),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(ret.status, 403);
    let logout = b.post("/console/logout", &[("csrf_token", "")]).await;
    assert_eq!(logout.status, 403);
    assert_eq!(n.app.actions_after(before).await, Vec::<String>::new());
    assert_eq!(n.get(&n.author, id).await["current_stage"], "review_1");
}

#[tokio::test]
async fn stale_content_says_the_text_changed_and_links_to_the_new_revision() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let seen = b.get(&format!("/console/drafts/{id}")).await;
    // Meanwhile the draft goes back, is changed and comes back for review.
    n.return_ok(id, "review_1", &hash).await;
    let new_hash = n.edit_ok(id, &hash, "关于开展安全检查的通知（修订）").await;
    n.submit_ok(id, &new_hash).await;
    n.app.chain().await;
    let before = n.app.event_count().await;
    let res = b.approve_as_shown(&seen, id).await;
    assert_eq!(res.status, 409);
    assert!(
        res.html.contains("The text changed since you opened it"),
        "{}",
        res.html
    );
    // minijinja escapes `/` in values (`&#x2f;`); browsers read it as `/`.
    let link = res.html.replace("&#x2f;", "/");
    assert!(
        link.contains(&format!("href=\"/console/drafts/{id}\"")),
        "{link}"
    );
    assert!(res.html.contains("Read the new revision"));
    assert_eq!(n.app.actions_after(before).await, Vec::<String>::new());
    // The new revision shows what changed since the one this signer returned.
    let fresh = b.get(&format!("/console/drafts/{id}")).await;
    assert_eq!(fresh.field("content_hash"), new_hash);
    assert!(
        fresh
            .html
            .contains("Changes since revision 1 (the one you signed)"),
        "{}",
        fresh.html
    );
}

#[tokio::test]
async fn separation_of_duties_is_shown_as_a_clear_message() {
    let n = Newsroom::new().await;
    let both = n
        .app
        .user(&n.admin, "double.reviewer", &["review_1", "review_2"])
        .await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    assert_eq!(
        n.approve_as(&both, id, "review_1", &hash).await.status(),
        200
    );
    n.approve_ok(id, "proofread_1", &hash).await;
    let mut b = Browser::signed_in(&n.app, "double.reviewer").await;
    let page = b.get(&format!("/console/drafts/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.html
            .contains("You may not sign 复审 Review 2 of this draft"),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains("/approve\""),
        "no approve form for a barred signer"
    );
    n.app.chain().await;
    let before = n.app.event_count().await;
    let csrf = page.field("csrf_token");
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("stage", "review_2"),
        ("content_hash", hash.as_str()),
    ];
    form.extend(CHECKS.iter().map(|c| ("checks", *c)));
    let res = b
        .post(&format!("/console/drafts/{id}/approve"), &form)
        .await;
    assert_eq!(res.status, 403);
    assert!(
        res.html.contains("You may not sign this stage"),
        "{}",
        res.html
    );
    assert!(res.html.contains("Separation of duties"));
    assert_eq!(n.app.actions_after(before).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_hostile_html_body_comes_out_inert() {
    let n = Newsroom::new().await;
    let hostile = r#"<p>开头</p><script>alert('x')</script><img src="x" onerror="alert(1)"><a href="javascript:alert(2)">点我</a><svg onload="alert(3)"></svg><iframe src="https://evil.example/"></iframe>"#;
    for (format, body) in [
        ("html", hostile.to_string()),
        (
            "markdown",
            format!("# 标题\n\n{hostile}\n\n[链接](javascript:alert(4))"),
        ),
        ("text", hostile.to_string()),
    ] {
        let res = n
            .app
            .post(
                "/drafts",
                &n.author.token,
                json!({"channel": "portal", "title": "恶意", "body": body, "format": format}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let d: serde_json::Value = res.json().await.expect("json");
        let id: uuid::Uuid = d["id"].as_str().unwrap().parse().unwrap();
        n.submit_ok(id, d["content_hash"].as_str().unwrap()).await;
        let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
        let page = b.get(&format!("/console/drafts/{id}")).await;
        assert_eq!(page.status, 200, "{format}");
        let html = page.html.to_lowercase();
        // No element that runs anything, whatever the format.
        for bad in [
            "<script",
            "<img src=\"x\" onerror",
            "<svg",
            "<iframe",
            "href=\"javascript",
        ] {
            assert!(!html.contains(bad), "{format} body kept {bad}");
        }
        if format != "text" {
            // Rendered formats lose the attributes and URLs altogether.
            for bad in ["onerror", "onload", "javascript:"] {
                assert!(!html.contains(bad), "{format} body kept {bad}");
            }
        }
        assert!(
            page.html.contains("开头"),
            "{format}: the harmless text stays"
        );
        if format == "text" {
            assert!(
                page.html.contains("&lt;script&gt;"),
                "text is shown as text"
            );
        }
    }
}

#[tokio::test]
async fn logout_and_disabling_end_console_sessions_at_once() {
    let n = Newsroom::new().await;
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let tasks = b.get("/console/tasks").await;
    let stolen = b.cookies.clone();
    let csrf = tasks.field("csrf_token");
    n.app.chain().await;
    let before = n.app.event_count().await;
    let out = b.post("/console/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(
        (out.status.as_u16(), out.location()),
        (303, "/console/login")
    );
    assert_eq!(n.app.actions_after(before).await, ["logout"]);
    // A copy of the cookie from before the logout is worth nothing now.
    let mut replay = Browser::new(&n.app);
    replay.cookies = stolen;
    let res = replay.get("/console/tasks").await;
    assert_eq!(
        (res.status.as_u16(), res.location()),
        (303, "/console/login")
    );

    let mut c = Browser::signed_in(&n.app, "signer.proofread_1").await;
    assert_eq!(c.get("/console/tasks").await.status, 200);
    let who = n.signer("proofread_1").id;
    let res = n
        .app
        .call(
            Method::PATCH,
            &format!("/users/{who}"),
            Some(&n.admin.token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = c.get("/console/tasks").await;
    assert_eq!(
        (res.status.as_u16(), res.location()),
        (303, "/console/login")
    );
}

#[tokio::test]
async fn a_return_needs_a_reason_and_sends_the_draft_back() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let page = b.get(&format!("/console/drafts/{id}")).await;
    let csrf = page.field("csrf_token");
    let path = format!("/console/drafts/{id}/return");
    let empty = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("stage", "review_1"),
                ("content_hash", &hash),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.html.contains("reason:"), "{}", empty.html);
    let done = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("stage", "review_1"),
                ("content_hash", &hash),
                ("reason", "数据口径不一致"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let d = n.get(&n.author, id).await;
    assert_eq!(d["status"], "returned");
    assert_eq!(d["signoffs"][0]["comment"], "数据口径不一致");
}

#[tokio::test]
async fn publishers_get_a_publish_form_and_auditors_a_read_only_view_with_the_sheet() {
    let n = Newsroom::new().await;
    let (id, hash) = n.publishable().await;
    let mut auditor = Browser::signed_in(&n.app, "auditor").await;
    let view = auditor.get(&format!("/console/drafts/{id}")).await;
    assert_eq!(view.status, 200);
    assert!(
        !view
            .html
            .contains("method=\"post\" action=\"/console/drafts/"),
        "read-only"
    );
    assert!(view.html.contains(&format!("/console/drafts/{id}/sheet")));
    let sheet = auditor.get(&format!("/console/drafts/{id}/sheet")).await;
    assert_eq!(sheet.status, 200);
    assert_guarded(&sheet, "sheet");
    for stage in crate::common::newsroom::STAGES {
        assert!(
            sheet.html.contains(&format!("signer.{stage}")),
            "{stage} on the sheet"
        );
    }
    assert!(sheet.html.contains("stage_approved"));

    let mut publisher = Browser::signed_in(&n.app, "publisher").await;
    let page = publisher.get(&format!("/console/drafts/{id}")).await;
    assert!(
        page.html
            .contains(&format!("action=\"/console/drafts/{id}/publish\""))
    );
    assert_eq!(page.field("content_hash"), hash);
    let csrf = page.field("csrf_token");
    let res = publisher
        .post(
            &format!("/console/drafts/{id}/publish"),
            &[
                ("csrf_token", &csrf),
                ("content_hash", &hash),
                ("url", "https://www.example.gov.cn/a/1"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let d = n.get(&n.author, id).await;
    assert_eq!(
        (d["status"].as_str(), d["published_url"].as_str()),
        (Some("published"), Some("https://www.example.gov.cn/a/1"))
    );
}

#[tokio::test]
async fn pages_need_a_session_and_hide_what_the_caller_may_not_see() {
    let n = Newsroom::new().await;
    let (id, _) = n.draft().await;
    let mut anonymous = Browser::new(&n.app);
    for path in [
        "/console/tasks".to_string(),
        format!("/console/drafts/{id}"),
    ] {
        let res = anonymous.get(&path).await;
        assert_eq!(
            (res.status.as_u16(), res.location()),
            (303, "/console/login"),
            "{path}"
        );
    }
    // A bearer token is not a console session.
    let res = n
        .app
        .client
        .get(format!("{}/console/tasks", n.app.base))
        .bearer_auth(&n.author.token)
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.url().path(),
        "/console/login",
        "followed to the login form"
    );
    // A draft that is not there, or not the caller's to see: 404, as in the API.
    let mut b = Browser::signed_in(&n.app, "signer.review_1").await;
    let hidden = b
        .get(&format!("/console/drafts/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(hidden.status, 404);
    n.app.user(&n.admin, "other.editor", &["editor"]).await;
    let mut stranger = Browser::signed_in(&n.app, "other.editor").await;
    let theirs = stranger.get(&format!("/console/drafts/{id}")).await;
    assert_eq!(theirs.status, 404, "another editor's draft");
    assert!(theirs.html.contains("not yours to see"));
    assert_guarded(&hidden, "404");
    let css = b.get("/console/static/console.css").await;
    assert_eq!(css.status, 200);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    let wrong_method = b.get(&format!("/console/drafts/{id}/approve")).await;
    assert_eq!(wrong_method.status, 405);
}
