//! /me/delegations (代签, SPEC §8): creating, listing and revoking, and every
//! refusal leaving nothing behind.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::common::newsroom::Newsroom;
use crate::common::{User, assert_problem};

fn period(days: i64) -> (String, String) {
    let start = Utc::now() - Duration::minutes(1);
    (
        start.to_rfc3339(),
        (start + Duration::days(days)).to_rfc3339(),
    )
}

async fn delegate(room: &Newsroom, from: &User, body: Value) -> reqwest::Response {
    room.app.post("/me/delegations", &from.token, body).await
}

#[tokio::test]
async fn a_signer_delegates_all_they_sign_and_both_see_it() {
    let room = Newsroom::new().await;
    let principal = room.signer("review_3");
    let deputy = room.signer("review_1");
    let before = room.app.event_count().await;
    let (starts_at, ends_at) = period(7);
    let res = delegate(
        &room,
        principal,
        json!({"to_user_id": deputy.id, "starts_at": starts_at, "ends_at": ends_at, "reason": "出差"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["stages"], json!(["review_3"]));
    assert_eq!(made["principal_id"], json!(principal.id));
    assert_eq!(made["delegate_id"], json!(deputy.id));
    assert_eq!(made["in_force"], json!(true));
    assert_eq!(made["revoked_at"], Value::Null);

    assert_eq!(room.app.actions_after(before).await, ["delegation_created"]);
    let detail = room
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'delegation_created' \
             AND actor_id = '{}' AND detail->>'delegate_id' = '{}' \
             AND detail->>'delegation_id' = '{}' AND detail->>'reason' = '出差'",
            principal.id,
            deputy.id,
            made["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(detail, 1);

    let mine: Value = room
        .app
        .get("/me/delegations", &principal.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["given"].as_array().unwrap().len(), 1);
    assert_eq!(mine["given"][0]["id"], made["id"]);
    assert_eq!(mine["received"], json!([]));
    let theirs: Value = room
        .app
        .get("/me/delegations", &deputy.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["given"], json!([]));
    assert_eq!(theirs["received"][0]["id"], made["id"]);
    let stranger: Value = room
        .app
        .get("/me/delegations", &room.signer("proofread_2").token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stranger, json!({"given": [], "received": []}));
}

#[tokio::test]
async fn refusals_name_the_field_and_write_nothing() {
    let room = Newsroom::new().await;
    let principal = room.signer("review_2");
    let deputy = room.signer("review_1");
    let before = room.app.event_count().await;
    let (starts_at, ends_at) = period(3);
    let (_, too_far) = period(31);
    let past_start = (Utc::now() - Duration::days(3)).to_rfc3339();
    let past_end = (Utc::now() - Duration::days(1)).to_rfc3339();
    let cases = [
        (json!({"to_user_id": principal.id}), "to_user_id"),
        (json!({"to_user_id": uuid::Uuid::new_v4()}), "to_user_id"),
        (json!({"ends_at": too_far}), "ends_at"),
        (json!({"ends_at": starts_at}), "ends_at"),
        (
            json!({"starts_at": past_start, "ends_at": past_end}),
            "ends_at",
        ),
        (json!({"stages": ["review_3"]}), "stages"),
        (json!({"stages": ["no_such_stage"]}), "stages"),
        (json!({"stages": []}), "stages"),
        (json!({"reason": "   "}), "reason"),
        (json!({"reason": "长".repeat(501)}), "reason"),
    ];
    for (change, field) in cases {
        let mut body = json!({"to_user_id": deputy.id, "starts_at": starts_at,
            "ends_at": ends_at, "reason": "会议"});
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let problem = assert_problem(
            delegate(&room, principal, body).await,
            422,
            "validation_failed",
        )
        .await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{change}: {problem}");
    }
    // An editor signs nothing, so has nothing to delegate.
    let res = delegate(
        &room,
        &room.author,
        json!({"to_user_id": deputy.id, "starts_at": starts_at, "ends_at": ends_at, "reason": "x"}),
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    // Unknown fields and bad times are malformed.
    let res = delegate(
        &room,
        principal,
        json!({"to_user_id": deputy.id, "starts_at": "tomorrow", "ends_at": ends_at, "reason": "x"}),
    )
    .await;
    assert_problem(res, 400, "malformed_request").await;

    assert_eq!(
        room.app
            .count("SELECT count(*) AS n FROM delegations")
            .await,
        0
    );
    assert_eq!(room.app.event_count().await, before);
}

#[tokio::test]
async fn only_the_principal_revokes_and_only_once() {
    let room = Newsroom::new().await;
    let principal = room.signer("proofread_3");
    let deputy = room.signer("proofread_1");
    let (starts_at, ends_at) = period(2);
    let made: Value = delegate(
        &room,
        principal,
        json!({"to_user_id": deputy.id, "stages": ["proofread_3"], "starts_at": starts_at,
            "ends_at": ends_at, "reason": "休假"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let path = format!("/me/delegations/{}", made["id"].as_str().unwrap());
    let before = room.app.event_count().await;

    let res = room
        .app
        .call(reqwest::Method::DELETE, &path, Some(&deputy.token), None)
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = room
        .app
        .call(
            reqwest::Method::DELETE,
            &path,
            Some(&room.signer("review_1").token),
            None,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    assert_eq!(room.app.event_count().await, before);

    let res = room
        .app
        .call(reqwest::Method::DELETE, &path, Some(&principal.token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(room.app.actions_after(before).await, ["delegation_revoked"]);
    let res = room
        .app
        .call(reqwest::Method::DELETE, &path, Some(&principal.token), None)
        .await;
    assert_problem(res, 409, "conflict").await;

    let theirs: Value = room
        .app
        .get("/me/delegations", &deputy.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["received"][0]["in_force"], json!(false));
    assert!(theirs["received"][0]["revoked_at"].is_string());
}

#[tokio::test]
async fn a_deputy_signs_on_behalf_within_the_delegation_and_its_time() {
    let room = Newsroom::new().await;
    let principal = room.signer("review_3");
    // The deputy holds no grant of their own for review_3.
    // The deputy is an editor: no grant of their own sees or signs the draft.
    let deputy = room.app.user(&room.admin, "deputy", &["editor"]).await;
    let (id, hash) = room.draft().await;
    room.submit_ok(id, &hash).await;
    for stage in ["review_1", "proofread_1", "review_2", "proofread_2"] {
        room.approve_ok(id, stage, &hash).await;
    }
    // Before any delegation the draft is not theirs to see.
    let res = room.approve_as(&deputy, id, "review_3", &hash).await;
    assert_problem(res, 404, "not_found").await;
    let listed: Value = room
        .app
        .get("/drafts", &deputy.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));

    let (starts_at, ends_at) = period(1);
    let made: Value = delegate(
        &room,
        principal,
        json!({"to_user_id": deputy.id, "stages": ["review_3"], "starts_at": starts_at,
            "ends_at": ends_at, "reason": "出差"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(tasks_of(&room, &deputy).await, [id.to_string()]);
    let listed: Value = room
        .app
        .get("/drafts", &deputy.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let before = room.app.event_count().await;
    let res = room.approve_as(&deputy, id, "review_3", &hash).await;
    assert_eq!(res.status(), 200);
    assert!(tasks_of(&room, &deputy).await.is_empty());
    let draft: Value = res.json().await.unwrap();
    let signoff = draft["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "review_3")
        .unwrap()
        .clone();
    assert_eq!(signoff["signer_id"], json!(deputy.id));
    assert_eq!(signoff["on_behalf_of"], json!(principal.id));
    // A draft's GET reads the sign-offs in its row's statement: the same.
    let read = room.get(&room.author, id).await;
    assert_eq!(read["signoffs"], draft["signoffs"]);
    assert_eq!(room.app.actions_after(before).await, ["stage_approved"]);
    let recorded = room
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'stage_approved' \
             AND actor_id = '{}' AND detail->>'on_behalf_of' = '{}'",
            deputy.id, principal.id
        ))
        .await;
    assert_eq!(recorded, 1);

    // Once revoked, the deputy signs nothing more for the principal.
    let path = format!("/me/delegations/{}", made["id"].as_str().unwrap());
    let res = room
        .app
        .call(reqwest::Method::DELETE, &path, Some(&principal.token), None)
        .await;
    assert_eq!(res.status(), 204);
    let (id2, hash2) = room.draft().await;
    room.submit_ok(id2, &hash2).await;
    for stage in ["review_1", "proofread_1", "review_2", "proofread_2"] {
        room.approve_ok(id2, stage, &hash2).await;
    }
    assert_eq!(tasks_of(&room, principal).await, [id2.to_string()]);
    assert!(tasks_of(&room, &deputy).await.is_empty());
    let res = room.approve_as(&deputy, id2, "review_3", &hash2).await;
    assert_problem(res, 404, "not_found").await;
}

async fn tasks_of(room: &Newsroom, who: &User) -> Vec<String> {
    let page: Value = room
        .app
        .get("/tasks", &who.token)
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
