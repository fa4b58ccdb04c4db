//! Reading drafts back: lists with filters and visibility, tasks,
//! revisions, diffs and comments (SPEC §3 Drafts).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::assert_problem;
use crate::common::newsroom::{CHECKS, Newsroom};

async fn ids(n: &Newsroom, token: &str, query: &str) -> Vec<String> {
    let page: Value = n
        .app
        .get(&format!("/drafts{query}"), token)
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_show_only_what_the_caller_may_see() {
    let n = Newsroom::new().await;
    let news = n.app.department(&n.admin, "news").await;
    let news_author = n
        .app
        .user_with(
            &n.admin,
            "news.author",
            Some(news),
            &[("editor", None, None)],
        )
        .await;
    let news_head = n
        .app
        .user_with(
            &n.admin,
            "news.head",
            Some(news),
            &[("review_2", None, Some(news))],
        )
        .await;
    let qq_publisher = n
        .app
        .user_with(
            &n.admin,
            "qq.pub",
            None,
            &[("publisher", Some("qq_group"), None)],
        )
        .await;
    let (mine, _) = n.draft().await;
    let news_draft = n.create_as(&news_author, "portal", "新闻科").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let qq_draft = n.create_as(&n.author, "qq_group", "QQ群通知").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let all: HashSet<String> = [mine.to_string(), news_draft.clone(), qq_draft.clone()].into();

    let set = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>();
    assert_eq!(
        set(ids(&n, &n.auditor.token, "").await),
        all,
        "auditors see all"
    );
    assert_eq!(
        set(ids(&n, &n.signer("review_1").token, "").await),
        all,
        "unscoped signers see all"
    );
    assert!(
        ids(&n, &n.admin.token, "").await.is_empty(),
        "admins see none"
    );
    assert_eq!(
        ids(&n, &news_author.token, "").await,
        vec![news_draft.clone()],
        "an editor sees their own"
    );
    assert_eq!(
        ids(&n, &news_head.token, "").await,
        vec![news_draft],
        "a scoped signer sees their department"
    );
    assert_eq!(
        ids(&n, &qq_publisher.token, "").await,
        vec![qq_draft.clone()],
        "a scoped publisher sees their channel"
    );
    let stranger = n.app.user(&n.admin, "stranger", &["editor"]).await;
    assert!(ids(&n, &stranger.token, "").await.is_empty());
    assert_eq!(
        ids(&n, &n.auditor.token, "?channel=qq_group").await,
        vec![qq_draft]
    );
}

#[tokio::test]
async fn lists_filter_and_page_newest_first() {
    let n = Newsroom::new().await;
    let mut created = Vec::new();
    for i in 0..5 {
        let d = n.create_as(&n.author, "portal", &format!("稿件{i}")).await;
        created.push(d["id"].as_str().unwrap().to_string());
    }
    let (id, hash) = (
        created[1].parse().unwrap(),
        n.get(&n.author, created[1].parse().unwrap()).await["content_hash"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    n.submit(id, &hash).await;
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let page: Value = n
            .app
            .get(&format!("/drafts{query}"), &n.author.token)
            .await
            .json()
            .await
            .unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "every draft once, newest first");
    assert_eq!(
        ids(&n, &n.author.token, "?status=in_review").await,
        vec![id.to_string()]
    );
    assert_eq!(
        ids(&n, &n.author.token, "?stage=review_1").await,
        vec![id.to_string()]
    );
    assert_eq!(
        ids(&n, &n.author.token, &format!("?author_id={}", n.author.id))
            .await
            .len(),
        5
    );
    assert!(
        ids(&n, &n.author.token, "?risk_level=sensitive")
            .await
            .is_empty()
    );
    for bad in [
        "?status=lost",
        "?stage=review_9",
        "?risk_level=x",
        "?author_id=nope",
        "?limit=500",
        "?channel=%00",
        "?cursor=abc",
        "?sort=asc",
    ] {
        assert_problem(
            n.app.get(&format!("/drafts{bad}"), &n.author.token).await,
            400,
            "malformed_request",
        )
        .await;
    }
}

#[tokio::test]
async fn tasks_list_what_the_caller_may_sign_now_oldest_first() {
    let n = Newsroom::new().await;
    let double = n
        .app
        .user(&n.admin, "double", &["review_1", "review_2"])
        .await;
    let (a, ha) = n.draft().await;
    let (b, hb) = n.draft().await;
    let (c, _) = n.draft().await;
    n.submit(b, &hb).await;
    n.submit(a, &ha).await;
    let tasks = |who: &'static str| {
        let token = match who {
            "double" => double.token.clone(),
            _ => n.signer(who).token.clone(),
        };
        let app = &n.app;
        async move {
            let page: Value = app.get("/tasks", &token).await.json().await.unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        tasks("review_1").await,
        vec![b.to_string(), a.to_string()],
        "oldest submission first"
    );
    assert!(tasks("review_2").await.is_empty());
    assert!(
        !tasks("review_1").await.contains(&c.to_string()),
        "unsubmitted drafts are no task"
    );
    // After `double` signs review_1 of b, b's review_2 is not their task (invariant 3).
    n.approve_as(&double, b, "review_1", &hb).await;
    n.approve(b, "proofread_1", &hb).await;
    assert_eq!(tasks("review_2").await, vec![b.to_string()]);
    assert!(!tasks("double").await.contains(&b.to_string()));
    let author_tasks: Value = n
        .app
        .get("/tasks", &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(author_tasks["items"].as_array().unwrap().is_empty());
}

/// The page is filled past drafts the signer may not sign: `/tasks` reads
/// each of the signer's stages in the due order (here two, merged) and
/// probes draft by draft, and barred drafts must not end the page early
/// nor skip a draft between pages.
#[tokio::test]
async fn tasks_pages_reach_past_drafts_the_signer_is_barred_from() {
    let n = Newsroom::new().await;
    let double = n
        .app
        .user(&n.admin, "double", &["review_1", "review_2"])
        .await;
    // Three drafts wait at review_2 after `double` signed their review_1:
    // first in the order, and barred for `double` (invariant 3).
    for _ in 0..3 {
        let (id, hash) = n.draft().await;
        n.submit(id, &hash).await;
        n.approve_as(&double, id, "review_1", &hash).await;
        n.approve(id, "proofread_1", &hash).await;
    }
    let mut free = Vec::new();
    for _ in 0..3 {
        let (id, hash) = n.draft().await;
        n.submit(id, &hash).await;
        free.push(id.to_string());
    }
    let mut seen = Vec::new();
    let mut path = "/tasks?limit=1".to_string();
    loop {
        let page: Value = n.app.get(&path, &double.token).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|d| d["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/tasks?limit=1&cursor={c}"),
            None => break,
        }
        assert!(seen.len() <= 3, "no page past the last task: {seen:?}");
    }
    assert_eq!(seen, free, "each free draft once, oldest first");
}

#[tokio::test]
async fn revisions_diffs_and_comments() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    let res = n
        .app
        .client
        .put(n.app.url(&format!("/drafts/{id}/content")))
        .bearer_auth(&n.author.token)
        .header("if-match", format!("\"{hash}\""))
        .json(&json!({"title": "新标题", "body": "正文第一段。\n改过的第二段。\n新增第三段。\n", "format": "text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = n
        .app
        .get(&format!("/drafts/{id}/revisions"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2]);
    assert!(
        list["items"][0].get("body").is_none(),
        "listed without bodies"
    );
    let one: Value = n
        .app
        .get(&format!("/drafts/{id}/revisions/1"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (one["content_hash"].as_str(), one["body"].as_str()),
        (Some(hash.as_str()), Some("正文第一段。\n第二段。\n"))
    );
    assert_problem(
        n.app
            .get(&format!("/drafts/{id}/revisions/9"), &n.author.token)
            .await,
        404,
        "not_found",
    )
    .await;

    let diff: Value = n
        .app
        .get(&format!("/drafts/{id}/diff?from=1&to=2"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    let ops: Vec<(&str, &str)> = diff["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["op"].as_str().unwrap(), l["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("equal", "正文第一段。\n"),
            ("delete", "第二段。\n"),
            ("insert", "改过的第二段。\n"),
            ("insert", "新增第三段。\n")
        ]
    );
    assert_eq!(diff["fields_changed"], json!(["title"]));
    assert!(diff["unified"].as_str().unwrap().contains("+新增第三段。"));
    assert_problem(
        n.app
            .get(&format!("/drafts/{id}/diff?from=1"), &n.author.token)
            .await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        n.app
            .get(&format!("/drafts/{id}/diff?from=1&to=7"), &n.author.token)
            .await,
        404,
        "not_found",
    )
    .await;

    let res = n
        .app
        .post(
            &format!("/drafts/{id}/comments"),
            &n.signer("review_1").token,
            json!({"body": "请核对数据来源"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(
        n.app
            .post(
                &format!("/drafts/{id}/comments"),
                &n.author.token,
                json!({"body": ""}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        n.app
            .post(
                &format!("/drafts/{id}/comments"),
                &n.auditor.token,
                json!({"body": "x"}),
            )
            .await,
        403,
        "forbidden",
    )
    .await;
    let comments: Value = n
        .app
        .get(&format!("/drafts/{id}/comments"), &n.author.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(comments["items"][0]["author"], "signer.review_1");
    assert_eq!(comments["items"].as_array().unwrap().len(), 1);
    let stranger = n.app.user(&n.admin, "stranger", &["editor"]).await;
    for path in [
        "revisions",
        "revisions/1",
        "diff?from=1&to=2",
        "comments",
        "trail",
    ] {
        assert_problem(
            n.app
                .get(&format!("/drafts/{id}/{path}"), &stranger.token)
                .await,
            404,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn the_approval_sheet_lists_each_stage_with_its_signer() {
    let n = Newsroom::new().await;
    let (id, hash) = n.publishable().await;
    let trail: Value = n
        .app
        .get(&format!("/drafts/{id}/trail"), &n.auditor.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trail["content_hash"], hash.as_str());
    let rows = trail["stages"].as_array().unwrap();
    for (row, stage) in rows.iter().zip(crate::common::newsroom::STAGES) {
        assert_eq!(row["stage"], stage);
        assert_eq!(row["role"], stage);
        assert_eq!(row["signer"], format!("signer.{stage}"));
        assert_eq!(row["comment"], "同意");
        // The newsroom attests the six checks on every approval; they are kept as sent.
        assert_eq!(row["checks"], json!(CHECKS));
    }
    let events = trail["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        9,
        "created, check_run, submitted, six approvals"
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64())
    );
}

/// Pages through `path` with `limit=2`, calling `insert` between pages;
/// returns the items' `key` in the order seen.
async fn page_through_while_inserting(
    n: &Newsroom,
    path: &str,
    token: &str,
    key: &str,
    mut insert: impl AsyncFnMut(usize),
) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_no in 0.. {
        assert!(page_no < 100, "{path}: paging does not end");
        let query = match &cursor {
            Some(c) => format!("{path}?limit=2&cursor={c}"),
            None => format!("{path}?limit=2"),
        };
        let res = n.app.get(&query, token).await;
        assert_eq!(res.status(), 200, "{query}");
        let page: Value = res.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{query}: a page holds at most its limit");
        seen.extend(items.iter().map(|i| i[key].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(items.len(), 2, "{query}: only the last page is short");
                cursor = Some(c.to_string());
            }
            None => break,
        }
        insert(page_no).await;
    }
    seen
}

#[tokio::test]
async fn pages_stay_stable_while_rows_are_inserted() {
    let n = Newsroom::new().await;
    // Drafts, newest first: drafts created meanwhile sort before the cursor.
    let mut before = Vec::new();
    for i in 0..5 {
        let d = n.create_as(&n.author, "portal", &format!("旧稿{i}")).await;
        before.push(d["id"].clone());
    }
    before.reverse();
    let seen = page_through_while_inserting(&n, "/drafts", &n.author.token, "id", async |i| {
        n.create_as(&n.author, "portal", &format!("新稿{i}")).await;
    })
    .await;
    assert_eq!(
        seen, before,
        "each draft that existed once, in order, none skipped"
    );

    // Users, oldest first: users created meanwhile come at the end, once each.
    let existing: Value = n
        .app
        .get("/users?limit=200", &n.admin.token)
        .await
        .json()
        .await
        .unwrap();
    let existing: Vec<Value> = existing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].clone())
        .collect();
    let mut made = 0;
    let seen = page_through_while_inserting(&n, "/users", &n.admin.token, "id", async |i| {
        if i < 3 {
            let res = n
                .app
                .post("/users", &n.admin.token, json!({"username": format!("new.user{i}"), "display_name": "新", "password": crate::common::PASSWORD}))
                .await;
            assert_eq!(res.status(), 201);
            made += 1;
        }
    })
    .await;
    assert_eq!(
        &seen[..existing.len()],
        &existing[..],
        "the users that existed, in order"
    );
    assert_eq!(seen.len(), existing.len() + made, "and each new one once");
    let unique: HashSet<String> = seen.iter().map(|v| v.to_string()).collect();
    assert_eq!(unique.len(), seen.len(), "no user twice");

    // Audit events by seq: every one seen once, gapless, although each page
    // read (audited) and each comment add events meanwhile.
    let (draft, _) = n.draft().await;
    let seen =
        page_through_while_inserting(&n, "/audit/events", &n.auditor.token, "seq", async |i| {
            if i < 10 {
                let res = n
                    .app
                    .post(
                        &format!("/drafts/{draft}/comments"),
                        &n.author.token,
                        json!({"body": format!("意见{i}")}),
                    )
                    .await;
                assert_eq!(res.status(), 201);
            }
        })
        .await;
    let seqs: Vec<i64> = seen.iter().map(|s| s.as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "1, 2, 3, … each once");
}

/// The reads a draft's GET and every action send beside the row: the
/// revision and sign-offs the row names when they run, with that
/// revision's number and the row's version for the caller to compare; one
/// row of nulls stands for "no sign-offs".
#[tokio::test]
async fn the_current_revision_and_signoffs_follow_the_row() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    use sanshen::db::draft_snapshot as snapshot;

    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    n.approve_ok(id, "review_1", &hash).await;
    n.approve_ok(id, "proofread_1", &hash).await;
    let conn = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    let found = snapshot::current_signoffs(&conn, id)
        .await
        .unwrap()
        .unwrap();
    let signed = &found.signed;
    let stages: Vec<&str> = signed.iter().map(|(s, _)| s.stage.as_str()).collect();
    assert_eq!(
        (found.revision, stages),
        (1, vec!["review_1", "proofread_1"])
    );
    assert_eq!(signed[0].1, n.signer("review_1").username);
    // The row's version as the sign-offs' statement saw it is the row's.
    let (_, version, revision) = snapshot::find_with_revision(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revision.map(|r| r.number), Some(1));
    assert_eq!(found.version, version);
    let current = snapshot::current_revision(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((current.number, current.content_hash), (1, hash.clone()));

    n.return_ok(id, "review_2", &hash).await;
    let hash2 = n.edit_ok(id, &hash, "第二稿").await;
    let found = snapshot::current_signoffs(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.revision, found.signed.len()),
        (2, 0),
        "none yet on revision 2"
    );
    assert_ne!(found.version, version, "every action writes a new version");
    let (_, now, revision) = snapshot::find_with_revision(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revision.map(|r| r.content_hash), Some(hash2.clone()));
    assert_eq!(found.version, now);
    let current = snapshot::current_revision(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((current.number, current.content_hash), (2, hash2.clone()));
    let d = n.get(&n.author, id).await;
    assert_eq!(
        (
            d["revision"].as_i64(),
            d["signoffs"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );

    let nobody = uuid::Uuid::new_v4();
    assert!(
        snapshot::current_signoffs(&conn, nobody)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        snapshot::current_revision(&conn, nobody)
            .await
            .unwrap()
            .is_none()
    );
}

/// Why an action may read the sign-offs in the round trip that takes the
/// lock: sign-offs read before a sign-off committed carry the row's older
/// version, which the lock (granted after the commit) does not return, so
/// `facts::settle` reads them again; read under the lock, they agree.
#[tokio::test]
async fn signoffs_read_before_a_commit_carry_an_older_version_than_the_lock() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    use sanshen::db::draft_snapshot as snapshot;

    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    n.submit_ok(id, &hash).await;
    let mut conn = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    conn.batch_execute("BEGIN").await.unwrap();
    let early = snapshot::current_signoffs(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert!(early.signed.is_empty());
    n.approve_ok(id, "review_1", &hash).await;
    let (row, locked) = snapshot::lock_versioned(&conn, id).await.unwrap().unwrap();
    assert_eq!(row.current_stage.as_deref(), Some("proofread_1"));
    assert_ne!(early.version, locked, "the early read is seen to be stale");
    let late = snapshot::current_signoffs(&conn, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((late.version, late.signed.len()), (locked, 1));
    conn.batch_execute("ROLLBACK").await.unwrap();
}

/// Every action writes the row with `drafts::set_state`: the statement is
/// kept prepared on its connection (diesel caches no UPDATE by itself), so
/// a connection parses and plans it once, not on every sign-off.
#[tokio::test]
async fn the_row_write_of_an_action_is_prepared_once_per_connection() {
    use diesel::sql_types::BigInt;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    use sanshen::db::drafts::{self, DraftState};

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    let n = Newsroom::new().await;
    let (id, _) = n.draft().await;
    let mut conn = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    let row = drafts::find(&conn, id).await.unwrap().unwrap();
    for _ in 0..3 {
        let state = DraftState {
            status: &row.status,
            current_stage: None,
            workflow_version: row.workflow_version,
            revision: row.revision,
            round: row.round,
            published_url: None,
            updated_at: chrono::Utc::now(),
            current_step: None,
            current_stages: Vec::new(),
            due_at: None,
            overdue: false,
        };
        drafts::set_state(&conn, id, &state).await.unwrap();
    }
    let kept: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'UPDATE \"drafts\"%'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(kept.n, 1, "one statement, kept for the connection");
}
