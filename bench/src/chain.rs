//! Audit events in bulk for the export and verify scenarios: made here with
//! sanshen's own chain code, so they continue the server's chain validly,
//! and COPYed straight into its table (appending one by one through the API
//! would take hours).

use std::io::Write;

use chrono::{SubsecRound, Utc};
use indicatif::ProgressBar;
use sanshen::audit::chain::{AuditEvent, event_hash, format_occurred_at};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api::{CHECKS, STAGES};
use crate::server::Environment;

const COLUMNS: &str = "seq, occurred_at, actor_id, actor, action, draft_id, revision, \
    content_hash, stage, from_status, to_status, detail, ip, request_id, prev_hash, hash";

/// Appends `n` chained events after the current head, in one transaction
/// that also moves the head, and fails if the chain moved meanwhile.
pub fn append_events(env: &Environment, n: u64, progress: &ProgressBar) -> anyhow::Result<()> {
    let head = env.psql("sanshen", &["-c", "SELECT seq, hash FROM audit_head"])?;
    let (seq, hash) = head
        .trim()
        .split_once('|')
        .ok_or_else(|| anyhow::anyhow!("unexpected audit_head: {head}"))?;
    let first: i64 = seq.parse()?;
    let mut child = env.psql_stdin("sanshen")?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("psql has no stdin"))?;
    let written = write_script(stdin, first, hash, n, progress);
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "psql COPY failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    written
}

fn write_script(
    stdin: impl Write,
    first: i64,
    head_hash: &str,
    n: u64,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdin);
    writeln!(out, "BEGIN;")?;
    writeln!(
        out,
        "DO $$BEGIN IF (SELECT seq FROM audit_head FOR UPDATE) <> {first} THEN \
         RAISE EXCEPTION 'the chain moved meanwhile'; END IF; END$$;"
    )?;
    writeln!(out, "COPY audit_events ({COLUMNS}) FROM STDIN;")?;
    let mut events = Events::new(first, head_hash, n);
    let mut line = String::with_capacity(1024);
    for i in 0..n {
        let event = events.next_event();
        line.clear();
        copy_row(&event, &mut line);
        out.write_all(line.as_bytes())?;
        if i % 1000 == 999 {
            progress.inc(1000);
        }
    }
    writeln!(out, "\\.")?;
    writeln!(
        out,
        "UPDATE audit_head SET seq = {}, hash = '{}';",
        events.seq, events.prev_hash
    )?;
    writeln!(out, "COMMIT;")?;
    out.flush()?;
    Ok(())
}

/// A plausible trail: drafts signed off stage by stage by six signers.
struct Events {
    seq: i64,
    prev_hash: String,
    /// The time of the last event made; they are a microsecond apart.
    at: chrono::DateTime<Utc>,
    signers: Vec<Uuid>,
    draft: (Uuid, String),
}

impl Events {
    fn new(seq: i64, prev_hash: &str, n: u64) -> Events {
        let at = Utc::now().trunc_subsecs(6) - chrono::Duration::microseconds(n as i64);
        Events {
            seq,
            prev_hash: prev_hash.to_string(),
            at,
            signers: (0..6).map(|_| Uuid::new_v4()).collect(),
            draft: draft(),
        }
    }

    fn next_event(&mut self) -> AuditEvent {
        self.seq += 1;
        self.at += chrono::Duration::microseconds(1);
        let i = (self.seq % 6) as usize;
        if i == 0 {
            self.draft = draft();
        }
        let last = i == 5;
        let mut event = AuditEvent {
            seq: self.seq,
            occurred_at: format_occurred_at(self.at),
            actor_id: Some(self.signers[i]),
            actor: Some(format!("bench.{}", STAGES[i])),
            action: "stage_approved".into(),
            draft_id: Some(self.draft.0),
            revision: Some(1),
            content_hash: Some(self.draft.1.clone()),
            stage: Some(STAGES[i].into()),
            from_status: Some("in_review".into()),
            to_status: Some(if last { "publishable" } else { "in_review" }.into()),
            detail: json!({"checks": CHECKS, "comment": "同意", "next_stage": STAGES.get(i + 1)}),
            ip: Some("127.0.0.1".into()),
            request_id: Some(Uuid::new_v4().to_string()),
            prev_hash: std::mem::take(&mut self.prev_hash),
            hash: String::new(),
        };
        event.hash = event_hash(&event);
        self.prev_hash.clone_from(&event.hash);
        event
    }
}

fn draft() -> (Uuid, String) {
    let id = Uuid::new_v4();
    (id, hex::encode(Sha256::digest(id.as_bytes())))
}

/// One line of COPY's text format: tab-separated, `\N` for null.
fn copy_row(e: &AuditEvent, line: &mut String) {
    let fields = [
        Some(e.seq.to_string()),
        Some(e.occurred_at.clone()),
        e.actor_id.map(|u| u.to_string()),
        e.actor.clone(),
        Some(e.action.clone()),
        e.draft_id.map(|u| u.to_string()),
        e.revision.map(|r| r.to_string()),
        e.content_hash.clone(),
        e.stage.clone(),
        e.from_status.clone(),
        e.to_status.clone(),
        Some(e.detail.to_string()),
        e.ip.clone(),
        e.request_id.clone(),
        Some(e.prev_hash.clone()),
        Some(e.hash.clone()),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push('\t');
        }
        match field {
            None => line.push_str("\\N"),
            Some(text) => escape_into(text, line),
        }
    }
    line.push('\n');
}

fn escape_into(text: &str, line: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_escape_what_copy_would_misread() {
        let mut line = String::new();
        escape_into("a\\b\tc\nd", &mut line);
        assert_eq!(line, "a\\\\b\\tc\\nd");
    }

    #[test]
    fn the_made_events_form_a_chain() {
        let mut events = Events::new(41, &"0".repeat(64), 7);
        let mut verifier =
            sanshen::audit::chain::ChainVerifier::starting_after(41, &"0".repeat(64));
        for _ in 0..7 {
            verifier.push(&events.next_event());
        }
        let verdict = verifier.finish();
        assert!(verdict.valid);
        assert_eq!(verdict.head_seq, Some(48));
    }
}
