//! Exports of the trail (SPEC §3 Audit): NDJSON and CSV say what the events
//! API says, verify offline (Rust, Python, the CLI), fail visibly, and stream
//! 100 000 events in flat memory.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::os::{cli, free_port, scratch};
use crate::common::{TestApp, User, setup};

/// Every event, through the paginated API.
async fn all_events(app: &TestApp, auditor: &User) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .get(&format!("/audit/events?limit=200{cursor}"), &auditor.token)
            .await
            .json()
            .await
            .unwrap();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return items,
        }
    }
}

async fn export(
    app: &TestApp,
    auditor: &User,
    query: &str,
) -> (reqwest::header::HeaderMap, String) {
    let res = app
        .get(&format!("/audit/export{query}"), &auditor.token)
        .await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    (headers, res.text().await.unwrap())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// RFC 4180 records; an unquoted empty field is None (null), `""` is Some("").
fn parse_csv(text: &str) -> Vec<Vec<Option<String>>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), None::<String>);
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.get_or_insert_default().push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.get_or_insert_default().push(c),
            (false, '"') => {
                quoted = true;
                field.get_or_insert_default();
            }
            (false, ',') => row.push(field.take()),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(field.take());
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.get_or_insert_default().push(c),
        }
    }
    rows
}

/// A CSV field as the JSON value the events API gives.
fn csv_value(key: &str, field: &Option<String>) -> Value {
    match (key, field) {
        (_, None) => Value::Null,
        ("seq" | "revision", Some(n)) => json!(n.parse::<i64>().unwrap()),
        ("detail", Some(d)) => serde_json::from_str(d).unwrap(),
        (_, Some(s)) => json!(s),
    }
}

#[tokio::test]
async fn exports_say_exactly_what_the_events_api_says() {
    let (app, admin, auditor) = setup().await;
    for (code, name) in [("a", "新闻, \"科\"\r\n第二行"), ("b", "plain"), ("c", "  ")] {
        app.post(
            "/departments",
            &admin.token,
            json!({"code": code, "name": name}),
        )
        .await;
    }
    let (headers, ndjson) = export(&app, &auditor, "?format=ndjson").await;
    let (csv_headers, csv) = export(&app, &auditor, "?format=csv").await;
    let events = all_events(&app, &auditor).await;

    let lines: Vec<&str> = ndjson.lines().collect();
    let exported: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let through = exported.last().unwrap()["seq"].as_i64().unwrap();
    assert_eq!(
        exported.last().unwrap()["action"],
        "audit_exported",
        "the export ends with its own record"
    );
    assert_eq!(
        exported,
        events[..through as usize],
        "NDJSON = the events API, up to the export's own event"
    );
    for (line, value) in lines.iter().zip(&exported) {
        assert_eq!(
            *line,
            serde_json_canonicalizer::to_string(value).unwrap(),
            "each line is canonical (JCS)"
        );
    }
    assert!(ndjson.ends_with('\n'));
    assert_eq!(header(&headers, "content-type"), "application/x-ndjson");
    assert_eq!(
        header(&headers, "content-disposition"),
        format!("attachment; filename=\"sanshen-audit-through-{through}.ndjson\"")
    );

    let rows = parse_csv(&csv);
    let keys: Vec<String> = rows[0].iter().map(|k| k.clone().unwrap()).collect();
    assert_eq!(
        keys.join(","),
        "seq,occurred_at,actor_id,actor,action,draft_id,revision,content_hash,stage,from_status,to_status,detail,ip,request_id,prev_hash,hash"
    );
    let as_json: Vec<Value> = rows[1..]
        .iter()
        .map(|row| {
            Value::Object(
                keys.iter()
                    .zip(row)
                    .map(|(k, f)| (k.clone(), csv_value(k, f)))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        as_json.len() as i64,
        through + 1,
        "one record per event, the CSV export's own included"
    );
    assert_eq!(as_json, events[..as_json.len()]);
    assert!(header(&csv_headers, "content-type").starts_with("text/csv"));
    assert!(
        header(&csv_headers, "content-disposition")
            .ends_with(&format!("through-{}.csv\"", through + 1))
    );
}

#[tokio::test]
async fn exports_filter_by_time() {
    let (app, admin, auditor) = setup().await;
    app.department(&admin, "early").await;
    let events = all_events(&app, &auditor).await;
    let cut = events.last().unwrap()["occurred_at"]
        .as_str()
        .unwrap()
        .to_string();
    app.department(&admin, "late").await;
    let (_, before) = export(&app, &auditor, &format!("?until={cut}")).await;
    let before: Vec<Value> = before
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(before, events[..events.len() - 1]);
    let (_, after) = export(&app, &auditor, &format!("?since={cut}&format=ndjson")).await;
    let actions: Vec<String> = after
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .into()
        })
        .collect();
    assert_eq!(
        actions,
        [
            "audit_events_read",
            "department_created",
            "audit_exported",
            "audit_exported"
        ]
    );
}

fn python_verify(file: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/verify_audit.py");
    assert!(
        script.exists(),
        "{} is the auditors' script (README)",
        script.display()
    );
    Command::new("python3")
        .arg(script)
        .arg(file)
        .output()
        .expect("run python3")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[tokio::test]
async fn an_ndjson_export_verifies_offline_three_ways() {
    let (app, admin, auditor) = setup().await;
    // Text that JCS, serde and Python must all escape alike.
    let name = "新闻, \"科\"\r\n\t\u{1f}\\ / \u{2028} 😀";
    let res = app
        .post(
            "/departments",
            &admin.token,
            json!({"code": "offline", "name": name}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (_, ndjson) = export(&app, &auditor, "").await;
    assert!(ndjson.contains("😀"));
    let file = scratch("export").join("export.ndjson");
    std::fs::write(&file, &ndjson).unwrap();
    let n = ndjson.lines().count() as u64;

    let rust = sanshen::audit::chain::verify_ndjson(std::io::BufReader::new(
        std::fs::File::open(&file).unwrap(),
    ))
    .unwrap();
    assert!(
        rust.valid && rust.checked == n && rust.first_invalid_seq.is_none(),
        "{rust:?}"
    );
    let python = python_verify(&file);
    assert!(
        python.status.success(),
        "python: {} {}",
        stdout(&python),
        String::from_utf8_lossy(&python.stderr)
    );
    let out = cli(&["audit", "verify", "--file", file.to_str().unwrap()], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("valid"), "{}", stdout(&out));

    // One changed letter in the third event's detail.
    let tampered: Vec<String> = ndjson
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                l.replacen("\"detail\":{", "\"detail\":{\"x\":1,", 1)
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&file, tampered.join("\n") + "\n").unwrap();
    let rust = sanshen::audit::chain::verify_ndjson(std::io::BufReader::new(
        std::fs::File::open(&file).unwrap(),
    ))
    .unwrap();
    assert_eq!((rust.valid, rust.first_invalid_seq), (false, Some(3)));
    assert!(!python_verify(&file).status.success(), "python notices");
    let out = cli(&["audit", "verify", "--file", file.to_str().unwrap()], None).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("INVALID") && stdout(&out).contains('3'),
        "{}",
        stdout(&out)
    );
    std::fs::remove_file(&file).ok();
}

#[tokio::test]
async fn the_cli_verifies_the_database() {
    let (app, admin, _auditor) = setup().await;
    app.department(&admin, "cli").await;
    let out = cli(&["audit", "verify"], Some(&app.database_url)).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} {}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).starts_with("audit chain valid"),
        "{}",
        stdout(&out)
    );
    app.sql("INSERT INTO audit_events SELECT seq + 1, occurred_at, actor_id, actor, action, draft_id, revision, content_hash, stage, from_status, to_status, detail, ip, request_id, hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1").await;
    let out = cli(&["audit", "verify"], Some(&app.database_url)).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("INVALID"), "{}", stdout(&out));
}

/// Appends `n` load-test events whose chain is valid, computed in SQL (so
/// this is also a check that the server's hashing is the SPEC's: JCS with
/// sorted keys, SHA-256, genesis of 64 zeros), and moves the head on.
async fn load_events(app: &TestApp, n: u64) {
    app.sql(&format!(
        r#"DO $$
DECLARE h text; s bigint; t timestamptz; canon text; next_h text;
BEGIN
  SELECT seq, hash INTO s, h FROM audit_head FOR UPDATE;
  FOR i IN 1..{n} LOOP
    s := s + 1;
    t := date_trunc('microseconds', clock_timestamp());
    canon := '{{"action":"load_test","actor":null,"actor_id":null,"content_hash":null,"detail":{{"i":' || i
      || '}},"draft_id":null,"from_status":null,"ip":null,"occurred_at":"'
      || to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '","prev_hash":"' || h
      || '","request_id":null,"revision":null,"seq":' || s || ',"stage":null,"to_status":null}}';
    next_h := encode(sha256(convert_to(canon, 'UTF8')), 'hex');
    INSERT INTO audit_events (seq, occurred_at, action, detail, prev_hash, hash)
      VALUES (s, t, 'load_test', jsonb_build_object('i', i), h, next_h);
    h := next_h;
  END LOOP;
  UPDATE audit_head SET seq = s, hash = h;
END $$"#
    ))
    .await;
}

#[tokio::test]
async fn a_failed_export_is_cut_off_not_truncated_quietly() {
    let (app, _admin, auditor) = setup().await;
    load_events(&app, 2500).await;
    // A timestamp the server cannot represent: reading the second page fails.
    // One statement holding the head, so the chainer cannot link a queued
    // event into the same seq meanwhile.
    app.sql("WITH head AS (SELECT seq, hash FROM audit_head FOR UPDATE), broken AS (INSERT INTO audit_events (seq, occurred_at, action, detail, prev_hash, hash) SELECT seq + 1, 'infinity', 'broken', '{}', hash, hash FROM head) UPDATE audit_head SET seq = head.seq + 1 FROM head").await;
    let res = app.get("/audit/export", &auditor.token).await;
    assert_eq!(res.status(), 200, "headers go out before the failure");
    let mut body = res.bytes_stream();
    let (mut received, mut failed) = (0usize, false);
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received += bytes.len(),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(
        failed,
        "the client sees a broken transfer, not a complete file ({received} bytes arrived)"
    );
    assert!(received > 0, "the first page was sent");
}

/// A sanshen server process of its own over the test database, so its
/// memory is measured apart from the test harness.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(app: &TestApp) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_sanshen"))
            .arg("serve")
            .env("DATABASE_URL", &app.database_url)
            .env("SANSHEN_JWT_SECRET", &app.secret)
            .env("SANSHEN_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start sanshen serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if app
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("sanshen serve did not come up");
    }

    /// A `/proc/<pid>/status` figure in MiB (VmRSS now, VmHWM the peak).
    fn memory(&self, key: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib / 1024.0
    }
}

/// SANSHEN_TEST_EXPORT_EVENTS sets the size (default 100 000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_000_event_export_streams_in_flat_memory() {
    let n: u64 = std::env::var("SANSHEN_TEST_EXPORT_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (app, _admin, auditor) = setup().await;
    let started = Instant::now();
    load_events(&app, n).await;
    let loaded = started.elapsed();
    let server = Server::start(&app).await;
    let get = |path: &str| {
        app.client
            .get(format!("{}/api/v1{path}", server.base))
            .bearer_auth(&auditor.token)
    };
    assert_eq!(
        get("/audit/events?limit=200")
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "warm up"
    );
    let baseline = server.memory("VmRSS");

    let file = scratch("export").join("big.ndjson");
    let mut out = tokio::fs::File::create(&file).await.unwrap();
    let started = Instant::now();
    let res = get("/audit/export?format=ndjson").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (mut bytes, mut lines) = (0usize, 0usize);
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("the export completes");
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
            .await
            .unwrap();
    }
    let streamed = started.elapsed();
    let (peak, after) = (server.memory("VmHWM"), server.memory("VmRSS"));
    assert!(lines as u64 > n, "every event, and the ones before");

    let started = Instant::now();
    let verified = cli(&["audit", "verify", "--file", file.to_str().unwrap()], None).await;
    let offline = started.elapsed();
    let started = Instant::now();
    let online: Value = get("/audit/verify")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (online_time, online_peak) = (started.elapsed(), server.memory("VmHWM"));
    println!(
        "export of {lines} events ({:.1} MiB NDJSON): loaded in {loaded:.1?}, streamed in {streamed:.1?}; \
         server RSS {baseline:.1} MiB before, peak {peak:.1} MiB (growth {:.1} MiB), {after:.1} MiB after; \
         offline verify {offline:.1?}: {}; GET /audit/verify {online_time:.1?}, server peak then {online_peak:.1} MiB",
        bytes as f64 / 1048576.0,
        peak - baseline,
        stdout(&verified)
    );
    assert_eq!(online["valid"], true, "{online}");
    assert!(
        online_peak < 100.0,
        "verifying peaked at {online_peak:.1} MiB"
    );
    std::fs::remove_file(&file).ok();
    assert!(peak < 100.0, "the server process peaked at {peak:.1} MiB");
    assert!(
        peak - baseline < 32.0,
        "streaming grew the server by {:.1} MiB",
        peak - baseline
    );
    assert_eq!(
        verified.status.code(),
        Some(0),
        "the SQL-built chain checks out: {}",
        stdout(&verified)
    );
}

/// Verification reads the trail a page at a time, checking each page while
/// the next is read: a break far from the first page is still named.
#[tokio::test]
async fn a_break_pages_into_the_trail_is_named() {
    let (app, _admin, auditor) = setup().await;
    load_events(&app, 2500).await;
    let k = 1700;
    app.sql(&format!(
        "DO $$ BEGIN SET LOCAL session_replication_role = replica; \
         UPDATE audit_events SET detail = '{{\"i\": -1}}' WHERE seq = {k}; END $$"
    ))
    .await;
    let res = app.get("/audit/verify", &auditor.token).await;
    assert_eq!(res.status(), 200);
    let verdict: Value = res.json().await.unwrap();
    assert_eq!(
        (&verdict["valid"], &verdict["first_invalid_seq"]),
        (&json!(false), &json!(k)),
        "{verdict}"
    );
    let checked = cli(&["audit", "verify"], Some(&app.database_url)).await;
    assert_ne!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains(&k.to_string()),
        "{}",
        stdout(&checked)
    );
}
