//! The chain's rules, and a vector computed by scripts/verify_audit.py's method.

use super::*;
use serde_json::json;

fn chain(n: i64) -> Vec<AuditEvent> {
    let mut prev = GENESIS_PREV_HASH.to_string();
    (1..=n)
        .map(|seq| {
            let mut e = AuditEvent {
                seq,
                occurred_at: format!("2026-11-24T08:00:{:02}.123456Z", seq % 60),
                actor_id: None,
                actor: Some("li.na".into()),
                action: "stage_approved".into(),
                draft_id: None,
                revision: Some(1),
                content_hash: None,
                stage: Some("review_1".into()),
                from_status: Some("in_review".into()),
                to_status: Some("in_review".into()),
                detail: json!({"comment": "同意，注意\"引号\"\n换行", "n": seq}),
                ip: None,
                request_id: None,
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            e.hash = event_hash(&e);
            prev = e.hash.clone();
            e
        })
        .collect()
}

fn verify(events: &[AuditEvent]) -> Verification {
    let mut v = ChainVerifier::new();
    events.iter().for_each(|e| v.push(e));
    v.finish()
}

#[test]
fn a_built_chain_verifies() {
    let events = chain(5);
    let v = verify(&events);
    assert!(v.valid);
    assert_eq!(
        (v.checked, v.head_seq, v.head_hash.as_deref()),
        (5, Some(5), Some(events[4].hash.as_str()))
    );
    assert_eq!(verify(&[]).head_seq, None);
}

#[test]
fn the_hash_is_jcs_of_the_event_without_hash() {
    let e = &chain(1)[0];
    // Computed independently, as scripts/verify_audit.py does: sha256 of
    // json.dumps(event_without_hash, sort_keys=True, separators=(",", ":"), ensure_ascii=False).
    assert_eq!(
        e.hash,
        "015222e70cba2e2a2974aa981a5dda15995af83b2ec3f06bbae78408805b28e6"
    );
    let text = serde_json_canonicalizer::to_string(&{
        let mut v = serde_json::to_value(e).unwrap();
        v.as_object_mut().unwrap().remove("hash");
        v
    })
    .unwrap();
    assert!(text.starts_with(r#"{"action":"stage_approved","actor":"li.na","actor_id":null,"content_hash":null,"detail":{"comment":"#));
    assert_eq!(hex::encode(Sha256::digest(text.as_bytes())), e.hash);
}

#[test]
fn changing_any_field_is_caught_at_that_event() {
    let tamper: Vec<fn(&mut AuditEvent)> = vec![
        |e| e.occurred_at = "2026-11-24T08:00:59.000000Z".into(),
        |e| e.actor = Some("someone.else".into()),
        |e| e.actor_id = Some(Uuid::nil()),
        |e| e.action = "stage_returned".into(),
        |e| e.draft_id = Some(Uuid::nil()),
        |e| e.revision = Some(2),
        |e| e.content_hash = Some("ab".repeat(32)),
        |e| e.stage = Some("review_2".into()),
        |e| e.from_status = None,
        |e| e.to_status = Some("publishable".into()),
        |e| e.detail = json!({"comment": "不同意"}),
        |e| e.ip = Some("10.0.0.1".into()),
        |e| e.request_id = Some("x".into()),
        |e| e.prev_hash = "1".repeat(64),
        |e| e.hash = "2".repeat(64),
    ];
    for (i, change) in tamper.iter().enumerate() {
        let mut events = chain(5);
        change(&mut events[2]);
        assert_eq!(
            verify(&events).first_invalid_seq,
            Some(3),
            "field change #{i}"
        );
    }
}

#[test]
fn a_rewrite_with_a_recomputed_hash_breaks_the_next_link() {
    let mut events = chain(5);
    events[2].detail = json!({"comment": "改写"});
    events[2].hash = event_hash(&events[2]);
    assert_eq!(verify(&events).first_invalid_seq, Some(4));
}

#[test]
fn deleting_reordering_or_inserting_is_caught() {
    let mut deleted = chain(5);
    deleted.remove(2);
    assert_eq!(
        verify(&deleted).first_invalid_seq,
        Some(4),
        "the successor of the gap"
    );
    let mut swapped = chain(5);
    swapped.swap(1, 2);
    assert_eq!(verify(&swapped).first_invalid_seq, Some(3));
    let mut inserted = chain(5);
    let extra = inserted[1].clone();
    inserted.insert(2, extra);
    assert_eq!(verify(&inserted).first_invalid_seq, Some(2));
    let mut dropped_head = chain(5);
    dropped_head.remove(0);
    assert_eq!(verify(&dropped_head).first_invalid_seq, Some(2));
}

#[test]
fn a_part_of_a_chain_verifies_from_a_known_head() {
    let events = chain(6);
    let mut v = ChainVerifier::starting_after(3, &events[2].hash);
    events[3..].iter().for_each(|e| v.push(e));
    assert!(v.finish().valid);
}

#[test]
fn ndjson_exports_verify_offline() {
    let events = chain(4);
    let text: String = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    assert!(verify_ndjson(text.as_bytes()).unwrap().valid);
    let broken = text.replacen("同意", "不同意", 1);
    assert_eq!(
        verify_ndjson(broken.as_bytes()).unwrap().first_invalid_seq,
        Some(1)
    );
    let garbage = format!("{text}not json\n");
    assert!(matches!(
        verify_ndjson(garbage.as_bytes()),
        Err(VerifyFileError::Parse { line: 5, .. })
    ));
}

#[test]
fn occurred_at_has_microseconds_and_z() {
    let at = DateTime::from_timestamp_micros(1_764_000_000_000_001).unwrap();
    assert_eq!(format_occurred_at(at), "2025-11-24T16:00:00.000001Z");
}

/// The reference JCS form: the whole event through the canonicalizer.
fn reference(event: &AuditEvent) -> Vec<u8> {
    let mut value = serde_json::to_value(event).unwrap();
    value.as_object_mut().unwrap().remove("hash");
    serde_json_canonicalizer::to_vec(&value).unwrap()
}

mod fast_path {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Text with what JCS treats specially: controls, quotes, backslashes,
    /// CJK, characters at and above U+E000, and beyond the BMP.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[\\x00-\\x1f\"\\\\/a-z\u{7f}\u{2028}\u{e000}-\u{ffff}\u{4e00}-\u{4e10}\u{1f600}-\u{1f610}]{0,12}",
        ]
    }

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
                .prop_map(Value::from),
            Just(Value::from(1e21)),
            Just(Value::from(-0.0)),
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            text().prop_map(Value::String),
            number(),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((text(), inner), 0..5)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
        prop::option::of(s)
    }

    prop_compose! {
        fn event()(
            seq in prop_oneof![1i64..1_000_000, any::<i64>()],
            occurred_at in text(),
            actor in opt(text()),
            action in text(),
            revision in prop::option::of(any::<i32>()),
            content_hash in opt(text()),
            stage in opt(text()),
            statuses in (opt(text()), opt(text())),
            detail in prop_oneof![json(), prop::collection::vec((text(), json()), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))],
            ip in opt(text()),
            request_id in opt(text()),
            prev_hash in text(),
            ids in (any::<u128>(), any::<bool>()),
        ) -> AuditEvent {
            AuditEvent {
                seq,
                occurred_at,
                actor_id: ids.1.then(|| uuid::Uuid::from_u128(ids.0)),
                actor,
                action,
                draft_id: (!ids.1).then(|| uuid::Uuid::from_u128(ids.0)),
                revision,
                content_hash,
                stage,
                from_status: statuses.0,
                to_status: statuses.1,
                detail,
                ip,
                request_id,
                prev_hash,
                hash: "ignored".into(),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_fast_canonical_form_is_the_canonicalizers(e in event()) {
            let (fast, reference) = (canonical(Hashed::of(&e)), reference(&e));
            prop_assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&reference));
            let whole = serde_json_canonicalizer::to_vec(&e).unwrap();
            let line = canonical_line(&e);
            prop_assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&whole));
        }
    }
}

#[test]
fn events_as_the_server_writes_them_take_the_fast_path() {
    for e in chain(3) {
        let hashed = Hashed::of(&e);
        assert!(plain(&e.detail));
        assert_eq!(serde_json::to_vec(&hashed).unwrap(), reference(&e));
    }
    let mut odd = chain(1).remove(0);
    odd.detail = json!({"ratio": 0.5, "big": 9007199254740993u64});
    assert!(!plain(&odd.detail));
    assert_eq!(canonical(Hashed::of(&odd)), reference(&odd));
}
