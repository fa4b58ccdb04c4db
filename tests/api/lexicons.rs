//! Lexicon administration (SPEC §6, issue 16): create, replace the entries
//! from JSON or CSV atomically, versions and `lexicon_changed`, paging.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{TestApp, User, assert_problem};

pub async fn create_lexicon(
    app: &TestApp,
    admin: &User,
    code: &str,
    channels: Option<&[&str]>,
) -> Value {
    let mut body = json!({"code": code, "name": "测试词库"});
    if let Some(c) = channels {
        body["channels"] = json!(c);
    }
    let res = app.post("/lexicons", &admin.token, body).await;
    assert_eq!(res.status(), 201, "create lexicon {code}");
    res.json().await.expect("lexicon json")
}

pub async fn put_entries(
    app: &TestApp,
    admin: &User,
    code: &str,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    app.client
        .request(Method::PUT, app.url(&format!("/lexicons/{code}/entries")))
        .bearer_auth(&admin.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request reaches the server")
}

pub async fn put_json_ok(app: &TestApp, admin: &User, code: &str, entries: Value) -> Value {
    let res = put_entries(app, admin, code, "application/json", entries.to_string()).await;
    assert_eq!(res.status(), 200, "replace entries of {code}");
    res.json().await.expect("lexicon json")
}

fn sha256_of_entries(entries: &Value) -> String {
    // What an office recomputes from its own list: JCS of the entries with
    // absent suggestion and note as null.
    let list: Vec<Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!({"term": e["term"], "severity": e["severity"], "suggestion": e.get("suggestion").cloned().unwrap_or(Value::Null), "note": e.get("note").cloned().unwrap_or(Value::Null)}))
        .collect();
    hex::encode(Sha256::digest(
        serde_json_canonicalizer::to_vec(&list).unwrap(),
    ))
}

#[tokio::test]
async fn admin_creates_a_lexicon_once_and_only_admin_may() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let editor = app.user(&admin, "writer", &["editor"]).await;
    let before = app.event_count().await;
    let lex = create_lexicon(&app, &admin, "banned", Some(&["portal"])).await;
    assert_eq!(lex["version"], 0);
    assert_eq!(lex["entry_count"], 0);
    assert_eq!(lex["channels"], json!(["portal"]));
    assert_eq!(app.actions_after(before).await, ["lexicon_created"]);

    let dup = app
        .post(
            "/lexicons",
            &admin.token,
            json!({"code": "banned", "name": "x"}),
        )
        .await;
    assert_problem(dup, 409, "conflict").await;
    let bad = app
        .post(
            "/lexicons",
            &admin.token,
            json!({"code": "Bad Code", "name": "x"}),
        )
        .await;
    let body = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "code");
    let nochan = app
        .post(
            "/lexicons",
            &admin.token,
            json!({"code": "x", "name": "x", "channels": ["nope"]}),
        )
        .await;
    assert_eq!(
        assert_problem(nochan, 422, "validation_failed").await["errors"][0]["field"],
        "channels"
    );
    let res = app
        .post(
            "/lexicons",
            &editor.token,
            json!({"code": "mine", "name": "x"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert_problem(app.get("/lexicons", &editor.token).await, 403, "forbidden").await;
    assert_eq!(
        app.event_count().await,
        before + 1,
        "only the one creation is audited"
    );

    let list: Value = app
        .get("/lexicons", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["code"], "banned");
}

#[tokio::test]
async fn json_replacement_bumps_the_version_and_audits_count_and_sha256() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    create_lexicon(&app, &admin, "words", None).await;
    let entries = json!([
        {"term": "错误表述", "severity": "block"},
        {"term": "不规范词", "severity": "warn", "suggestion": "规范词", "note": "见规范第3条"},
    ]);
    let before = app.event_count().await;
    let lex = put_json_ok(&app, &admin, "words", entries.clone()).await;
    assert_eq!(lex["version"], 1);
    assert_eq!(lex["entry_count"], 2);
    let sha = sha256_of_entries(&entries);
    assert_eq!(lex["entries_sha256"], sha);
    assert_eq!(app.actions_after(before).await, ["lexicon_changed"]);
    let n = app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'lexicon_changed' \
             AND detail->>'entries_sha256' = '{sha}' AND (detail->>'entry_count')::int = 2 \
             AND (detail->>'version')::int = 1 AND detail->>'lexicon' = 'words'"
        ))
        .await;
    assert_eq!(n, 1);

    let lex = put_json_ok(
        &app,
        &admin,
        "words",
        json!([{"term": "只剩一个", "severity": "warn"}]),
    )
    .await;
    assert_eq!(
        (lex["version"].as_i64(), lex["entry_count"].as_i64()),
        (Some(2), Some(1))
    );
    let page: Value = app
        .get("/lexicons/words/entries", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["items"],
        json!([{"term": "只剩一个", "severity": "warn", "suggestion": null, "note": null}])
    );
    assert_eq!(page["next_cursor"], Value::Null);

    let missing = put_entries(&app, &admin, "nosuch", "application/json", "[]".into()).await;
    assert_problem(missing, 404, "not_found").await;
    let wrong_type = put_entries(&app, &admin, "words", "text/plain", "term".into()).await;
    assert_problem(wrong_type, 415, "unsupported_media_type").await;
    let bad_severity = put_entries(
        &app,
        &admin,
        "words",
        "application/json",
        json!([{"term": "a", "severity": "fatal"}]).to_string(),
    )
    .await;
    assert_problem(bad_severity, 400, "malformed_request").await;
}

#[tokio::test]
async fn a_bad_csv_line_is_named_and_nothing_is_half_applied() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    create_lexicon(&app, &admin, "csvlist", None).await;
    let good = "\u{FEFF}term,severity,suggestion,note\n甲词,block,,\n\"乙,词\",warn,建议,备注\n";
    let res = put_entries(
        &app,
        &admin,
        "csvlist",
        "text/csv; charset=utf-8",
        good.into(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let lex: Value = res.json().await.unwrap();
    assert_eq!(
        (lex["version"].as_i64(), lex["entry_count"].as_i64()),
        (Some(1), Some(2))
    );
    let sha = lex["entries_sha256"].clone();
    let before = app.event_count().await;

    for (body, line) in [
        (
            "term,severity,suggestion,note\n丙,warn,,\n丁,fatal,,\n",
            "line 3",
        ),
        (
            "term,severity,suggestion,note\n丙,warn,,\n丁,warn\n",
            "line 3",
        ),
        ("term,severity,note\n丙,warn,,\n", "line 1"),
        (
            "term,severity,suggestion,note\n丙,warn,,\n戊,warn,,\n\" 丙 \",block,,\n",
            "line 4",
        ),
        ("term,severity,suggestion,note\n,warn,,\n", "line 2"),
    ] {
        let res = put_entries(&app, &admin, "csvlist", "text/csv", body.into()).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], line, "{body:?}: {problem}");
    }
    let dup_json = put_entries(
        &app,
        &admin,
        "csvlist",
        "application/json",
        json!([{"term": "ab", "severity": "warn"}, {"term": "Ａ b", "severity": "block"}])
            .to_string(),
    )
    .await;
    assert_eq!(
        assert_problem(dup_json, 422, "validation_failed").await["errors"][0]["field"],
        "[1]"
    );

    assert_eq!(
        app.event_count().await,
        before,
        "no event for a refused list"
    );
    let list: Value = app
        .get("/lexicons", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["version"], 1);
    assert_eq!(list[0]["entries_sha256"], sha);
    let n = app.count("SELECT count(*) AS n FROM lexicon_entries").await;
    assert_eq!(n, 2, "the old entries stand");
}

#[tokio::test]
async fn entries_page_and_filter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    create_lexicon(&app, &admin, "many", None).await;
    let entries: Vec<Value> = (0..5)
        .map(|i| json!({"term": format!("Term{i}"), "severity": "warn"}))
        .collect();
    put_json_ok(&app, &admin, "many", Value::Array(entries)).await;
    let first: Value = app
        .get("/lexicons/many/entries?limit=2", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let terms: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["term"].as_str().unwrap())
        .collect();
    assert_eq!(terms, ["Term0", "Term1"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/lexicons/many/entries?limit=2&cursor={cursor}"),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"][0]["term"], "Term2");
    let q: Value = app
        .get("/lexicons/many/entries?q=term3", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    assert_eq!(q["items"][0]["term"], "Term3");
    assert_problem(
        app.get("/lexicons/many/entries?cursor=zzz", &admin.token)
            .await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        app.get("/lexicons/none/entries", &admin.token).await,
        404,
        "not_found",
    )
    .await;
}
