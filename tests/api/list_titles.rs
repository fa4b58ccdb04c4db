//! A list shows each draft's current title and content hash from the
//! draft's own row (migration 000160), kept as revisions are added.

use serde_json::{Value, json};

use crate::common::newsroom::Newsroom;

/// The summary of `id` in a list as `who` reads it.
async fn summary_in(n: &Newsroom, token: &str, path: &str, id: uuid::Uuid) -> Value {
    let page: Value = n.app.get(path, token).await.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == json!(id))
        .unwrap_or_else(|| panic!("{id} in {path}"))
        .clone()
}

/// Drafts whose row shows other than their current revision's title and
/// hash (migration 000160 keeps the copy).
async fn copies_astray(n: &Newsroom) -> i64 {
    use diesel::sql_types::BigInt;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(&n.app.database_url)
        .await
        .unwrap();
    let c: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM drafts d LEFT JOIN revisions r \
         ON r.draft_id = d.id AND r.number = d.revision \
         WHERE (d.title, d.content_hash) IS DISTINCT FROM (r.title, r.content_hash)",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    c.n
}

/// Lists read a draft's title and hash from its row, not its revisions:
/// the row follows every revision added, by sanshen or by plain SQL.
#[tokio::test]
async fn lists_show_the_current_revisions_title_and_hash() {
    let n = Newsroom::new().await;
    let (id, hash) = n.draft().await;
    let before = summary_in(&n, &n.author.token, "/drafts", id).await;
    assert_eq!(
        (&before["title"], &before["content_hash"]),
        (&json!("关于开展安全检查的通知"), &json!(hash))
    );
    n.submit_ok(id, &hash).await;
    n.return_ok(id, "review_1", &hash).await;
    let hash2 = n.edit_ok(id, &hash, "第二稿的标题").await;
    assert_ne!(hash2, hash);
    let d = n.get(&n.author, id).await;
    let after = summary_in(&n, &n.author.token, "/drafts?status=returned", id).await;
    assert_eq!(
        (&after["title"], &after["content_hash"], &after["revision"]),
        (&json!("第二稿的标题"), &json!(hash2), &json!(2))
    );
    assert_eq!(after["title"], d["current"]["title"]);
    n.submit_ok(id, &hash2).await;
    let task = summary_in(&n, &n.signer("review_1").token, "/tasks", id).await;
    assert_eq!(
        (&task["title"], &task["content_hash"]),
        (&json!("第二稿的标题"), &json!(hash2))
    );

    // Plain SQL, as the benchmark's loader writes a year: two revisions in
    // one statement; the row shows the higher.
    let other = uuid::Uuid::new_v4();
    let author: String = n.author.id.to_string();
    {
        use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
        let mut conn = AsyncPgConnection::establish(&n.app.database_url)
            .await
            .unwrap();
        conn.batch_execute(&format!(
            "BEGIN; \
             INSERT INTO drafts (id, channel, author_id, risk_level, status, revision, round) \
             VALUES ('{other}', 'portal', '{author}', 'normal', 'draft', 2, 0); \
             INSERT INTO revisions (draft_id, number, title, summary, body, format, content_hash, author_id) \
             VALUES ('{other}', 2, '二', '', 'b', 'text', '{h2}', '{author}'), \
                    ('{other}', 1, '一', '', 'a', 'text', '{h1}', '{author}'); \
             COMMIT;",
            h1 = "1".repeat(64),
            h2 = "2".repeat(64),
        ))
        .await
        .unwrap();
    }
    let loaded = summary_in(&n, &n.author.token, "/drafts?status=draft", other).await;
    assert_eq!(
        (&loaded["title"], &loaded["content_hash"]),
        (&json!("二"), &json!("2".repeat(64)))
    );
    assert_eq!(copies_astray(&n).await, 0);
}
