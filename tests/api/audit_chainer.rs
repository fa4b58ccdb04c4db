//! The batched chain (issue 4 item 8): a change's transaction queues its
//! event unchained; the chainer links committed events, one batch a
//! transaction, in whichever process holds the head's lock.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use sanshen::audit::{NewEvent, Origin, append};
use serde_json::{Value, json};

use crate::common::os::cli;
use crate::common::{TestApp, User, superuser, verify};

#[derive(diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    waiting: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    linked: i64,
}

/// Events waiting and events linked, read without chaining anything.
async fn counts(app: &TestApp) -> (i64, i64) {
    let mut conn = sanshen::db::connect(&app.state.pool).await.unwrap();
    let rows: Vec<Counts> = diesel::sql_query(
        "SELECT (SELECT count(*) FROM audit_pending) AS waiting, \
                (SELECT count(*) FROM audit_events) AS linked",
    )
    .load(&mut conn)
    .await
    .unwrap();
    (rows[0].waiting, rows[0].linked)
}

async fn events_with_action(app: &TestApp, auditor: &User, action: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/audit/events?action={action}&limit=200"),
            &auditor.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_chainer_links_committed_events_without_being_asked() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.chain().await;
    let (_, linked_before) = counts(&app).await;
    let res = app
        .post(
            "/departments",
            &admin.token,
            json!({"code": "chained", "name": "链"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // No audit read, no flush: only the background chainer can link it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (waiting, linked) = counts(&app).await;
        if waiting == 0 && linked == linked_before + 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 5 s: {waiting} waiting, {linked} linked (was {linked_before})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_event_is_linked_only_once_its_change_commits_and_never_if_it_rolls_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.user(&admin, "auditor1", &["auditor"]).await;
    let mut open = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let mut doomed = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    open.batch_execute("BEGIN").await.unwrap();
    doomed.batch_execute("BEGIN").await.unwrap();
    append(
        &open,
        NewEvent::new("test_committed_late", &Origin::default()),
    )
    .await
    .unwrap();
    append(
        &doomed,
        NewEvent::new("test_rolled_back", &Origin::default()),
    )
    .await
    .unwrap();

    // Neither transaction has committed: the chain goes on without them.
    let v = verify(&app, &auditor).await;
    assert_eq!(v["valid"], true, "{v}");
    assert!(
        events_with_action(&app, &auditor, "test_committed_late")
            .await
            .is_empty()
    );

    open.batch_execute("COMMIT").await.unwrap();
    doomed.batch_execute("ROLLBACK").await.unwrap();
    let late = events_with_action(&app, &auditor, "test_committed_late").await;
    assert_eq!(late.len(), 1, "linked once, after its commit");
    assert!(
        late[0]["seq"].as_i64().unwrap() > v["head_seq"].as_i64().unwrap(),
        "linked after everything the earlier verify saw"
    );
    assert!(
        events_with_action(&app, &auditor, "test_rolled_back")
            .await
            .is_empty()
    );
    app.chain().await;
    assert_eq!(counts(&app).await.0, 0, "nothing left waiting");
    assert_eq!(verify(&app, &auditor).await["valid"], true);
}

#[tokio::test]
async fn a_waiting_event_cannot_be_edited_or_truncated() {
    let app = TestApp::spawn().await;
    let mut owner = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_pending SET action = 'forged'",
        "TRUNCATE audit_pending",
    ] {
        // Inside a transaction that queued an event, so there is a row to
        // refuse the change on, invisible to the chainer meanwhile.
        owner.batch_execute("BEGIN").await.unwrap();
        append(&owner, NewEvent::new("test_waiting", &Origin::default()))
            .await
            .unwrap();
        let refused = owner.batch_execute(sql).await.expect_err(sql).to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
        owner.batch_execute("ROLLBACK").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_chaining_at_once_leave_one_gapless_valid_chain() {
    const CLIENTS: usize = 4;
    const ACTIONS: usize = 40;
    let first = TestApp::spawn().await;
    let second = first.second_process().await;
    let admin = first.admin().await;
    let auditor = first.user(&admin, "auditor1", &["auditor"]).await;
    first.chain().await;
    let (_, before) = counts(&first).await;
    let clients = (0..2 * CLIENTS).map(|c| {
        let app = if c % 2 == 0 { &first } else { &second };
        let admin = &admin;
        async move {
            for i in 0..ACTIONS {
                let res = app
                    .post(
                        "/departments",
                        &admin.token,
                        json!({"code": format!("p{c}-{i}"), "name": "两个进程"}),
                    )
                    .await;
                assert_eq!(res.status(), 201);
            }
        }
    });
    futures_util::future::join_all(clients).await;
    let v = verify(&second, &auditor).await;
    assert_eq!(v["valid"], true, "{v}");
    // Every change exactly once (the verify's own record follows the check).
    let expected = before + (2 * CLIENTS * ACTIONS) as i64;
    assert_eq!(v["head_seq"], expected, "{v}");
    assert_eq!(v["checked"], expected, "{v}");
}

#[tokio::test]
async fn a_queued_event_cannot_be_deleted_by_the_owner() {
    let app = TestApp::spawn().await;
    let mut owner = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    owner.batch_execute("BEGIN").await.unwrap();
    append(&owner, NewEvent::new("test_waiting", &Origin::default()))
        .await
        .unwrap();
    let refused = owner
        .batch_execute("DELETE FROM audit_pending")
        .await
        .expect_err("a DELETE of the queue")
        .to_string();
    assert!(refused.contains("only by being chained"), "{refused}");
    owner.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn a_change_whose_event_was_removed_is_reported_missing() {
    let n = crate::common::newsroom::Newsroom::new().await;
    let (id, hash) = n.draft().await;
    assert_eq!(n.submit(id, &hash).await.status(), 200);
    let healthy = verify(&n.app, &n.auditor).await;
    assert_eq!(
        (
            &healthy["valid"],
            &healthy["missing_total"],
            &healthy["missing_events"]
        ),
        (&json!(true), &json!(0), &json!([])),
        "{healthy}"
    );
    // Hold the chain's head, as a chainer mid-batch would, so the next
    // events stay queued where a superuser can reach them.
    let mut holder = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    holder
        .batch_execute("BEGIN; SELECT seq FROM audit_head FOR UPDATE")
        .await
        .unwrap();
    let approved = n.approve(id, "review_1", &hash).await;
    assert_eq!(approved.status(), 200);
    let editor = n.app.user(&n.admin, "late.editor", &["editor"]).await;
    let grants: Value = n
        .app
        .get(&format!("/users/{}/grants", editor.id), &n.admin.token)
        .await
        .json()
        .await
        .unwrap();
    let grant_id = grants[0]["id"].as_str().unwrap().to_string();
    let signoff_id = n.get(&n.auditor, id).await["signoffs"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    superuser(&n.app)
        .await
        .batch_execute(
            "SET session_replication_role = replica; \
             DELETE FROM audit_pending WHERE action IN ('stage_approved', 'grant_added')",
        )
        .await
        .unwrap();
    holder.batch_execute("ROLLBACK").await.unwrap();

    let v = verify(&n.app, &n.auditor).await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(
        v["first_invalid_seq"],
        Value::Null,
        "the chain itself is intact: {v}"
    );
    assert_eq!(v["missing_total"], 2, "{v}");
    assert_eq!(
        v["missing_events"],
        json!([{"kind": "grant", "id": grant_id}, {"kind": "signoff", "id": signoff_id}])
    );
    let out = cli(&["audit", "verify"], Some(&n.app.database_url)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("INCOMPLETE"), "{stdout}");
    assert!(
        stdout.contains(&format!("signoff {signoff_id}")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("grant {grant_id}")), "{stdout}");
}

/// A batch of any size is linked by one statement kept prepared on its
/// connection (a `VALUES` list of n rows was a new statement for each n),
/// with its optional fields written as they were queued.
#[tokio::test]
async fn batches_of_any_size_are_linked_by_one_prepared_statement() {
    use sanshen::db::chainer::chain_batch;

    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.user(&admin, "chain.size", &["auditor"]).await;
    app.chain().await;
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let origin = Origin {
        request_id: Some("req-size".into()),
        ip: None,
    };
    for size in 1..=3 {
        // Queued and linked in one transaction: no other chainer sees them.
        let linked = conn
            .transaction::<_, diesel::result::Error, _>(async |c| {
                for i in 0..size {
                    let event = NewEvent::new("department_created", &origin)
                        .with("size", size)
                        .with("i", i);
                    append(c, event).await?;
                }
                chain_batch(c).await
            })
            .await
            .unwrap();
        assert_eq!(linked.len(), size, "a batch of {size}");
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let kept: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements \
         WHERE statement LIKE 'INSERT INTO audit_events%'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(kept.n, 1, "one statement for batches of 1, 2 and 3");
    let events = events_with_action(&app, &auditor, "department_created").await;
    let sized: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail"]["size"].is_number())
        .collect();
    assert_eq!(sized.len(), 6);
    for e in sized {
        assert_eq!(e["request_id"], "req-size");
        assert_eq!(e["ip"], Value::Null);
        assert_eq!(e["actor_id"], Value::Null);
    }
    assert_eq!(verify(&app, &auditor).await["valid"], true);
}
