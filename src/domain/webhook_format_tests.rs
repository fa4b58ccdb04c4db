use super::*;

#[test]
fn submission_announces_submitted_and_the_first_step() {
    let got = announced("draft_submitted", Some("review_1"), &Map::new());
    let events: Vec<_> = got.iter().map(|a| a.event).collect();
    assert_eq!(events, [EventType::Submitted, EventType::StepOpened]);
    assert_eq!(got[1].stages, ["review_1"]);
}

#[test]
fn an_approval_opens_the_next_step_or_makes_it_publishable() {
    let mut detail = Map::new();
    detail.insert("next_stage".into(), json!("proofread_1"));
    let got = announced("stage_approved", Some("review_1"), &detail);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event, EventType::StepOpened);
    assert_eq!(got[0].stages, ["proofread_1"]);
    detail.insert("next_stage".into(), Value::Null);
    let last = announced("stage_approved", Some("proofread_3"), &detail);
    assert_eq!(last[0].event, EventType::Publishable);
}

#[test]
fn accounts_and_logins_announce_nothing() {
    for action in [
        "login",
        "user_created",
        "draft_created",
        "draft_edited",
        "comment_added",
    ] {
        assert!(announced(action, None, &Map::new()).is_empty(), "{action}");
    }
}

#[test]
fn event_names_round_trip() {
    for e in EventType::ALL {
        assert_eq!(EventType::parse(e.as_str()), Some(e));
    }
    assert_eq!(EventType::parse("draft.created"), None);
}

/// The example of the Standard Webhooks reference implementations.
#[test]
fn standard_signature_matches_the_reference_vector() {
    let key = standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let sig = standard_signature(
        &key,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[test]
fn standard_secrets_are_24_to_64_bytes_of_base64() {
    let made = standard_secret(&[7; 32]);
    assert!(made.starts_with("whsec_"));
    assert_eq!(standard_key(&made).unwrap(), vec![7; 32]);
    assert!(standard_key("whsec_c2hvcnQ=").is_none(), "5 bytes");
    assert!(standard_key("not base64 at all!").is_none());
}

#[test]
fn dingtalk_urls_carry_timestamp_and_an_encoded_sign() {
    let url = dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "SECxyz",
        1_700_000_000_000,
    );
    let (base, query) = url.split_once("&timestamp=").unwrap();
    assert_eq!(
        base,
        "https://oapi.dingtalk.com/robot/send?access_token=abc"
    );
    let (ts, sign) = query.split_once("&sign=").unwrap();
    assert_eq!(ts, "1700000000000");
    let decoded: String = url::form_urlencoded::parse(format!("s={sign}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    let expected = BASE64.encode(hmac_sha256(b"SECxyz", b"1700000000000\nSECxyz"));
    assert_eq!(decoded, expected);
    assert!(!sign.contains('+') && !sign.contains('/'), "{sign}");
}

#[test]
fn only_http_and_https_urls_with_a_host() {
    assert_eq!(
        url_problem("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),
        None
    );
    assert_eq!(url_problem("http://127.0.0.1:9/hook"), None);
    for bad in [
        "ftp://x/y",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "/relative",
        "http://",
        "",
    ] {
        assert!(url_problem(bad).is_some(), "{bad}");
    }
    assert!(url_problem(&format!("https://x/{}", "a".repeat(2100))).is_some());
}

#[test]
fn the_trail_keeps_no_robot_key() {
    assert_eq!(
        url_for_trail("https://u:p@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET#f"),
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    );
}

#[test]
fn backoff_doubles_from_the_base_up_to_an_hour_with_jitter() {
    let base = Duration::from_secs(5);
    assert_eq!(backoff(base, 1, 0.0), Duration::from_secs(5));
    assert_eq!(backoff(base, 2, 0.0), Duration::from_secs(10));
    assert_eq!(backoff(base, 9, 0.0), Duration::from_secs(1280));
    assert_eq!(backoff(base, 20, 0.0), MAX_BACKOFF);
    assert_eq!(backoff(base, 2, 0.999_999).as_millis(), 5000);
    let jittered = backoff(base, 3, 0.5);
    assert_eq!(jittered, Duration::from_secs(15));
}

#[test]
fn robot_messages_are_markdown_without_body_or_summary() {
    let payload = json!({"type": "draft.step_opened", "timestamp": "t", "data": {
        "title": "关于\n通知", "channel": "portal", "stages": ["review_2"],
        "eligible_signers": ["a", "b"], "actor": {"username": "li"}, "draft_id": "d"}});
    let wecom = robot_message(Format::Wecom, &payload);
    assert_eq!(wecom["msgtype"], "markdown");
    let text = wecom["markdown"]["content"].as_str().unwrap();
    assert!(text.starts_with("**稿件待签**"), "{text}");
    assert!(text.contains("> 标题：关于 通知"), "{text}");
    assert!(text.contains("> 环节：复审"), "{text}");
    assert!(text.contains("> 可签人数：2"), "{text}");
    let ding = robot_message(Format::Dingtalk, &payload);
    assert_eq!(ding["markdown"]["title"], "稿件待签");
    assert_eq!(ding["markdown"]["text"].as_str().unwrap(), text);
}
