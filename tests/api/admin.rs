//! Administration: users, grants, departments, channels and workflows (SPEC §3).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{PASSWORD, TestApp, assert_problem};

#[tokio::test]
async fn admin_endpoints_need_a_token_and_the_admin_role() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let editor = app.user(&admin, "editor1", &["editor"]).await;
    let auditor = app.user(&admin, "auditor1", &["auditor"]).await;
    let id = editor.id;
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/users".into(), None),
        (
            Method::POST,
            "/users".into(),
            Some(json!({"username": "x12", "display_name": "x", "password": PASSWORD})),
        ),
        (Method::GET, format!("/users/{id}"), None),
        (
            Method::PATCH,
            format!("/users/{id}"),
            Some(json!({"display_name": "y"})),
        ),
        (
            Method::POST,
            format!("/users/{id}/password"),
            Some(json!({"new_password": "another-passphrase-1"})),
        ),
        (Method::GET, format!("/users/{id}/grants"), None),
        (
            Method::POST,
            format!("/users/{id}/grants"),
            Some(json!({"role": "editor"})),
        ),
        (
            Method::DELETE,
            format!("/users/{id}/grants/{}", Uuid::new_v4()),
            None,
        ),
        (Method::GET, "/departments".into(), None),
        (
            Method::POST,
            "/departments".into(),
            Some(json!({"code": "d", "name": "D"})),
        ),
        (
            Method::POST,
            "/channels".into(),
            Some(json!({"code": "c", "name": "C"})),
        ),
        (
            Method::PUT,
            "/channels/portal/workflow".into(),
            Some(
                json!({"stages": ["review_1","proofread_1","review_2","proofread_2","review_3","proofread_3"]}),
            ),
        ),
    ];
    let before = app.event_count().await;
    for (method, path, body) in calls {
        let anon = app.call(method.clone(), &path, None, body.clone()).await;
        assert_problem(anon, 401, "unauthenticated").await;
        for who in [&editor, &auditor] {
            let res = app
                .call(method.clone(), &path, Some(&who.token), body.clone())
                .await;
            assert_eq!(res.status(), 403, "{} {method} {path}", who.username);
            assert_problem(res, 403, "forbidden").await;
        }
    }
    assert_eq!(app.event_count().await, before, "refusals change nothing");
}

#[tokio::test]
async fn creating_users_enforces_the_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let ok = app
        .post(
            "/users",
            &admin.token,
            json!({"username": "Wang.Fang", "display_name": "王芳", "password": PASSWORD}),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let created: Value = ok.json().await.unwrap();
    assert_eq!(created["display_name"], "王芳");
    assert_eq!(created["disabled"], false);
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());

    let dup = app
        .post(
            "/users",
            &admin.token,
            json!({"username": "wang.fang", "display_name": "x", "password": PASSWORD}),
        )
        .await;
    assert_problem(dup, 409, "conflict").await;
    let before = app.event_count().await;
    for (body, field) in [
        (
            json!({"username": "ab", "display_name": "x", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "has space", "display_name": "x", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "x".repeat(65), "display_name": "x", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "okname", "display_name": "", "password": PASSWORD}),
            "display_name",
        ),
        (
            json!({"username": "okname", "display_name": "x", "password": "elevenchars"}),
            "password",
        ),
        (
            json!({"username": "okname", "display_name": "x", "password": "x".repeat(129)}),
            "password",
        ),
        (
            json!({"username": "okname", "display_name": "x", "password": "passwordpassword"}),
            "password",
        ),
        (
            json!({"username": "okname", "display_name": "x", "password": PASSWORD, "department_id": Uuid::new_v4()}),
            "department_id",
        ),
    ] {
        let body = assert_problem(
            app.post("/users", &admin.token, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(
        app.event_count().await,
        before,
        "a refused change writes no event"
    );
    // 128 characters is the most, and counts characters not bytes.
    let long = "长".repeat(128);
    let res = app
        .post(
            "/users",
            &admin.token,
            json!({"username": "longpw", "display_name": "x", "password": long}),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.login_ok("longpw", &long).await;
}

#[tokio::test]
async fn users_are_listed_page_by_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..5 {
        let res = app
            .post(
                "/users",
                &admin.token,
                json!({"username": format!("user{i}"), "display_name": "u", "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let (mut seen, mut lengths) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users?limit=2&cursor={c}"),
            None => "/users?limit=2".into(),
        };
        let page: Value = app.get(&path, &admin.token).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        lengths.push(items.len());
        assert!(lengths.len() <= 4, "pages never end: {lengths:?}");
        seen.extend(
            items
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(lengths, [2, 2, 2], "six users in pages of two");
    assert_eq!(
        seen,
        vec!["admin", "user0", "user1", "user2", "user3", "user4"]
    );
}

#[tokio::test]
async fn users_are_updated_and_unknown_ones_are_404() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let dept = app.department(&admin, "news").await;
    let user = app.user(&admin, "mover", &["editor"]).await;
    let path = format!("/users/{}", user.id);
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"display_name": "新名字", "department_id": dept})),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (
            body["display_name"].as_str(),
            body["department_id"].as_str()
        ),
        (Some("新名字"), Some(dept.to_string().as_str()))
    );
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"department_id": null})),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["department_id"],
        Value::Null
    );
    let bad = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"department_id": Uuid::new_v4()})),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;
    let me = app
        .call(
            Method::PATCH,
            &format!("/users/{}", admin.id),
            Some(&admin.token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_problem(me, 422, "validation_failed").await;
    let missing = app
        .call(
            Method::PATCH,
            &format!("/users/{}", Uuid::new_v4()),
            Some(&admin.token),
            Some(json!({"display_name": "x"})),
        )
        .await;
    assert_problem(missing, 404, "not_found").await;
    assert_problem(
        app.get(&format!("/users/{}", Uuid::new_v4()), &admin.token)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn grants_are_scoped_validated_and_revocable() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let dept = app.department(&admin, "news").await;
    let user = app.user(&admin, "signer", &[]).await;
    let grants = format!("/users/{}/grants", user.id);
    let res = app
        .post(
            &grants,
            &admin.token,
            json!({"role": "review_2", "channel": "portal", "department_id": dept}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let grant: Value = res.json().await.unwrap();
    assert_eq!(
        (grant["role"].as_str(), grant["channel"].as_str()),
        (Some("review_2"), Some("portal"))
    );

    let dup = app
        .post(
            &grants,
            &admin.token,
            json!({"role": "review_2", "channel": "portal", "department_id": dept}),
        )
        .await;
    assert_problem(dup, 409, "conflict").await;
    for (body, field) in [
        (json!({"role": "superuser"}), "role"),
        (json!({"role": "review_1", "channel": "tiktok"}), "channel"),
        (
            json!({"role": "review_1", "department_id": Uuid::new_v4()}),
            "department_id",
        ),
        (json!({"role": "admin", "channel": "portal"}), "role"),
    ] {
        let body = assert_problem(
            app.post(&grants, &admin.token, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field);
    }
    let missing_user = app
        .post(
            &format!("/users/{}/grants", Uuid::new_v4()),
            &admin.token,
            json!({"role": "editor"}),
        )
        .await;
    assert_problem(missing_user, 404, "not_found").await;

    let list: Value = app.get(&grants, &admin.token).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let gid = grant["id"].as_str().unwrap();
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("{grants}/{gid}"),
            Some(&admin.token),
            None
        )
        .await
        .status(),
        204
    );
    assert_problem(
        app.call(
            Method::DELETE,
            &format!("{grants}/{gid}"),
            Some(&admin.token),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let list: Value = app.get(&grants, &admin.token).await.json().await.unwrap();
    assert!(list.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn nobody_holds_both_admin_and_auditor() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.user(&admin, "inspector", &["auditor"]).await;
    let res = app
        .post(
            &format!("/users/{}/grants", auditor.id),
            &admin.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_problem(res, 403, "separation_of_duties").await;
    let res = app
        .post(
            &format!("/users/{}/grants", admin.id),
            &admin.token,
            json!({"role": "auditor"}),
        )
        .await;
    assert_problem(res, 403, "separation_of_duties").await;
    let me: Value = app.get("/me", &auditor.token).await.json().await.unwrap();
    assert_eq!(me["grants"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn departments_have_unique_codes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.department(&admin, "news").await;
    assert_problem(
        app.post(
            "/departments",
            &admin.token,
            json!({"code": "news", "name": "又一个"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.post(
            "/departments",
            &admin.token,
            json!({"code": "News!", "name": "x"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post(
            "/departments",
            &admin.token,
            json!({"code": "ok", "name": ""}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let list: Value = app
        .get("/departments", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "news科");
}

#[tokio::test]
async fn channels_are_seeded_addable_and_their_workflows_versioned() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let editor = app.user(&admin, "editor1", &["editor"]).await;
    let list: Value = app
        .get("/channels", &editor.token)
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for seeded in ["wechat_official", "portal", "wechat_group", "qq_group"] {
        assert!(codes.contains(&seeded), "{seeded} seeded");
    }
    assert_eq!(
        app.post(
            "/channels",
            &admin.token,
            json!({"code": "weibo", "name": "微博"})
        )
        .await
        .status(),
        201
    );
    assert_problem(
        app.post(
            "/channels",
            &admin.token,
            json!({"code": "weibo", "name": "x"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    let wf: Value = app
        .get("/channels/weibo/workflow", &editor.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wf["version"], 1);
    assert_eq!(
        wf["stages"],
        json!([
            "review_1",
            "proofread_1",
            "review_2",
            "proofread_2",
            "review_3",
            "proofread_3"
        ])
    );

    let order = json!([
        "review_1",
        "review_2",
        "review_3",
        "proofread_1",
        "proofread_2",
        "proofread_3"
    ]);
    let res = app
        .call(
            Method::PUT,
            "/channels/weibo/workflow",
            Some(&admin.token),
            Some(json!({"stages": order})),
        )
        .await;
    let wf: Value = res.json().await.unwrap();
    assert_eq!(
        (wf["version"].clone(), wf["stages"].clone()),
        (json!(2), order.clone())
    );
    for bad in [
        json!([
            "review_1",
            "review_1",
            "review_3",
            "proofread_1",
            "proofread_2",
            "proofread_3"
        ]),
        json!([
            "review_1",
            "review_2",
            "review_3",
            "proofread_1",
            "proofread_2"
        ]),
        json!([
            "review_1",
            "review_2",
            "review_3",
            "proofread_1",
            "proofread_2",
            "proofread_3",
            "review_1"
        ]),
        json!([
            "review_1",
            "review_2",
            "review_3",
            "proofread_1",
            "proofread_2",
            "publish"
        ]),
    ] {
        let res = app
            .call(
                Method::PUT,
                "/channels/weibo/workflow",
                Some(&admin.token),
                Some(json!({"stages": bad})),
            )
            .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = app
        .call(
            Method::PUT,
            "/channels/nope/workflow",
            Some(&admin.token),
            Some(json!({"stages": order})),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    assert_problem(
        app.get("/channels/nope/workflow", &editor.token).await,
        404,
        "not_found",
    )
    .await;
}

/// Invariant 7: each account, grant and catalog change writes exactly one
/// event, named for it (`==` on the whole list of new events).
#[tokio::test]
async fn each_admin_change_writes_exactly_one_event() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut seq = app.event_count().await;
    let mut expect_one = async |action: &str| {
        assert_eq!(app.actions_after(seq).await, [action], "after {action}");
        seq += 1;
    };
    let dept = app.department(&admin, "news").await;
    expect_one("department_created").await;
    let res = app.post("/users", &admin.token, json!({"username": "one", "display_name": "x", "password": PASSWORD, "department_id": dept})).await;
    assert_eq!(res.status(), 201, "create user");
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    expect_one("user_created").await;
    let res = app
        .post(
            &format!("/users/{id}/grants"),
            &admin.token,
            json!({"role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201, "grant");
    let grant = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    expect_one("grant_added").await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/users/{id}/grants/{grant}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204, "revoke");
    expect_one("grant_revoked").await;
    let res = app
        .post(
            &format!("/users/{id}/password"),
            &admin.token,
            json!({"new_password": "a-fresh-passphrase-for-one"}),
        )
        .await;
    assert_eq!(res.status(), 204, "reset password");
    expect_one("password_reset").await;
    let res = app
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(&admin.token),
            Some(json!({"display_name": "壹"})),
        )
        .await;
    assert_eq!(res.status(), 200, "rename");
    expect_one("user_updated").await;
    let res = app
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(&admin.token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200, "disable");
    // Disabling is an update of the account (its detail says `disabled`).
    expect_one("user_updated").await;
    let res = app
        .post(
            "/channels",
            &admin.token,
            json!({"code": "weibo", "name": "微博"}),
        )
        .await;
    assert_eq!(res.status(), 201, "add channel");
    expect_one("channel_created").await;
    let res = app
        .call(
            Method::PUT,
            "/channels/weibo/workflow",
            Some(&admin.token),
            Some(json!({"stages": ["review_1", "review_2", "review_3", "proofread_1", "proofread_2", "proofread_3"]})),
        )
        .await;
    assert_eq!(res.status(), 200, "change workflow");
    expect_one("workflow_changed").await;
}
