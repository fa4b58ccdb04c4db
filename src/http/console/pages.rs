//! The console's pages: tasks, a draft, and the approval sheet. Each reads
//! through one use-case and turns its read model into what the template
//! shows; the route is built by `route` alone, so that a richer route
//! (tiers, co-signing) changes one function.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use similar::ChangeTag;
use uuid::Uuid;

use crate::console::pages::{self, DraftPage, SignOffer, Since};
use crate::domain::vocabulary::{Check, Decision, Stage, StageKind, Status};
use crate::drafts::reads;
use crate::drafts::views::DraftView;
use crate::http::console::body::{self, Rendered};
use crate::http::console::labels;
use crate::http::console::session;
use crate::http::console::view::{ConsoleError, Notice, page, ser};
use crate::state::AppState;

#[derive(Serialize)]
struct TaskItem {
    id: Uuid,
    title: String,
    channel: String,
    risk: &'static str,
    risk_label: &'static str,
    stage_label: &'static str,
    since: String,
}

/// `GET /console/tasks`: what waits for the caller's signature, oldest first.
pub async fn tasks(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, csrf_token) = session::user(&req, &state).await?;
    let tasks: Vec<TaskItem> = pages::tasks(&state, &user)
        .await?
        .into_iter()
        .map(|t| TaskItem {
            id: t.id,
            title: t.title,
            channel: t.channel,
            risk: t.risk_level.as_str(),
            risk_label: labels::risk(t.risk_level),
            stage_label: t.current_stage.map_or("", labels::stage),
            since: t.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        "tasks.html",
        context! { username => user.username, csrf_token, tasks => ser(&tasks) },
    ))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/drafts/{id}`: the draft rendered safely, its route, what
/// changed since the caller last saw it, and the forms the caller may use.
pub async fn draft(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, csrf_token) = session::user(&req, &state).await?;
    let p = pages::draft(&state, &user, *id)
        .await
        .map_err(ConsoleError::on_draft(*id))?;
    let notice = done_notice(done.done.as_deref(), &p.draft);
    let ctx = draft_context(&p);
    Ok(page(
        StatusCode::OK,
        "draft.html",
        context! { username => user.username, csrf_token, notice => ser(&notice), ..ctx },
    ))
}

/// The message after a form succeeded (Post/Redirect/Get): fixed words
/// chosen by a key, never text from the query.
fn done_notice(done: Option<&str>, d: &DraftView) -> Option<Notice> {
    let now = match (d.status, d.current_stage) {
        (Status::InReview, Some(stage)) => format!("It is now at {}.", labels::stage(stage)),
        (status, _) => format!("It is now {}.", labels::status(status)),
    };
    match done? {
        "approved" => Some(Notice::ok(format!(
            "You approved revision {}. {now}",
            d.revision
        ))),
        "returned" => Some(Notice::ok(format!(
            "You returned the draft to its author. {now}"
        ))),
        "published" => Some(Notice::ok(format!("Marked published. {now}"))),
        _ => None,
    }
}

fn draft_context(p: &DraftPage) -> Value {
    let d = &p.draft;
    let (body_html, body_text) = match body::render(d.current.format, &d.current.body) {
        Rendered::Html(html) => (Some(Value::from_safe_string(html)), None),
        Rendered::Text(text) => (None, Some(text)),
    };
    let sign = match p.offer {
        SignOffer::Sign(stage) => Some(context! {
            stage => stage.as_str(),
            stage_label => labels::stage(stage),
            review => stage.kind() == StageKind::Review,
            checks => Check::ALL.iter().map(|c| context! { value => c.as_str(), label => labels::check(*c) }).collect::<Vec<_>>(),
        }),
        _ => None,
    };
    let barred = match &p.offer {
        SignOffer::Barred { stage, why } => {
            Some(context! { stage_label => labels::stage(*stage), why })
        }
        _ => None,
    };
    context! {
        d => context! {
            id => d.id.to_string(),
            title => d.current.title.clone(),
            summary => d.current.summary.clone(),
            status => d.status.as_str(),
            status_label => labels::status(d.status),
            stage_label => d.current_stage.map_or("—", labels::stage),
            risk => d.risk_level.as_str(),
            risk_label => labels::risk(d.risk_level),
            channel => d.channel.clone(),
            revision => d.revision,
            content_hash => d.content_hash.clone(),
            format => d.current.format.as_str(),
        },
        body_html, body_text,
        route => ser(route(d, &p.offer)),
        since => p.since.as_ref().map(since),
        findings => Vec::<Value>::new(),
        sign, barred,
        may_publish => p.may_publish,
        auditor => p.auditor,
    }
}

/// One step of the route: a stage, its state (`signed`, `returned`,
/// `current`, `waiting`) and who did what.
#[derive(Serialize)]
struct RouteStep {
    label: &'static str,
    state: &'static str,
    note: String,
    comment: Option<String>,
}

/// The draft's route (SPEC §5) with who signed what in the current round:
/// co-signers (会签) of a stage together, with how many of its quorum
/// have signed while it is open, and whom a deputy signed for (代签).
fn route(d: &DraftView, offer: &SignOffer) -> Vec<RouteStep> {
    let when = |s: &crate::drafts::views::SignoffView| {
        s.signed_at.format("%Y-%m-%d %H:%M UTC").to_string()
    };
    let who = |s: &crate::drafts::views::SignoffView| match s.on_behalf_of {
        Some(principal) => format!("{} (for {principal}) · {}", s.signer, when(s)),
        None => format!("{} · {}", s.signer, when(s)),
    };
    let mut rows = Vec::new();
    for step in &d.route {
        for &stage in &step.stages {
            let in_round =
                |s: &&crate::drafts::views::SignoffView| s.stage == stage && s.round == d.round;
            let approvals: Vec<_> = d
                .signoffs
                .iter()
                .filter(in_round)
                .filter(|s| s.decision == Decision::Approve)
                .collect();
            let returned = d
                .signoffs
                .iter()
                .filter(in_round)
                .rfind(|s| s.decision == Decision::Return);
            let open = d.status == Status::InReview && d.current_stages.contains(&stage);
            let signed = approvals
                .iter()
                .map(|s| who(s))
                .collect::<Vec<_>>()
                .join("; ");
            let (state, note, comment) = if let Some(s) = returned {
                (
                    "returned",
                    format!("returned by {}", who(s)),
                    s.comment.clone(),
                )
            } else if open {
                let mine = if matches!(offer, SignOffer::Sign(s) if *s == stage) {
                    "waiting for you"
                } else {
                    "waiting"
                };
                let note = if step.quorum > 1 {
                    format!(
                        "{mine} · {} of {} signed {signed}",
                        approvals.len(),
                        step.quorum
                    )
                } else {
                    mine.to_string()
                };
                ("current", note, None)
            } else if !approvals.is_empty() {
                (
                    "signed",
                    signed,
                    approvals.last().and_then(|s| s.comment.clone()),
                )
            } else {
                ("waiting", String::new(), None)
            };
            rows.push(RouteStep {
                label: labels::stage(stage),
                state,
                note,
                comment,
            });
        }
    }
    rows
}

/// Lines shown around each change in the diff.
const CONTEXT_LINES: usize = 2;
/// The most diff lines a page shows; the rest is summed up.
const DIFF_LINES_SHOWN: usize = 400;

#[derive(Serialize)]
struct DiffLine {
    op: &'static str,
    mark: &'static str,
    text: String,
}

fn since(s: &Since) -> Value {
    let lines = &s.diff.lines;
    let changed: Vec<bool> = lines.iter().map(|l| l.op != ChangeTag::Equal).collect();
    let near_change = |i: usize| {
        let lo = i.saturating_sub(CONTEXT_LINES);
        let hi = (i + CONTEXT_LINES + 1).min(lines.len());
        changed[lo..hi].iter().any(|c| *c)
    };
    let (mut shown, mut skipping) = (Vec::new(), false);
    for (i, l) in lines.iter().enumerate() {
        if !near_change(i) {
            if !skipping {
                shown.push(DiffLine {
                    op: "skip",
                    mark: "⋯",
                    text: String::new(),
                });
            }
            skipping = true;
            continue;
        }
        skipping = false;
        let (op, mark) = match l.op {
            ChangeTag::Equal => ("equal", " "),
            ChangeTag::Delete => ("delete", "−"),
            ChangeTag::Insert => ("insert", "+"),
        };
        shown.push(DiffLine {
            op,
            mark,
            text: l.text.trim_end_matches('\n').to_string(),
        });
    }
    let added = lines.iter().filter(|l| l.op == ChangeTag::Insert).count();
    let removed = lines.iter().filter(|l| l.op == ChangeTag::Delete).count();
    let cut = shown.len().saturating_sub(DIFF_LINES_SHOWN);
    shown.truncate(DIFF_LINES_SHOWN);
    let mut summary = match (added, removed) {
        (0, 0) => "the text is the same".to_string(),
        _ => format!("{added} line(s) added, {removed} removed"),
    };
    if cut > 0 {
        summary.push_str(&format!("; the first {DIFF_LINES_SHOWN} lines shown"));
    }
    context! {
        revision => s.revision,
        by_caller => s.by_caller,
        changed => added + removed > 0,
        summary,
        lines => ser(&shown),
    }
}

#[derive(Serialize)]
struct SheetRow {
    label: &'static str,
    signer: Option<String>,
    signed_at: Option<String>,
    comment: Option<String>,
    checks: String,
}

/// `GET /console/drafts/{id}/sheet`: the approval sheet (审核签发单), read-only.
pub async fn sheet(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, csrf_token) = session::user(&req, &state).await?;
    let (loaded, events) = reads::trail(&state, &user, *id)
        .await
        .map_err(ConsoleError::on_draft(*id))?;
    let d = reads::view(loaded).map_err(ConsoleError::on_draft(*id))?;
    let rows: Vec<SheetRow> = d
        .workflow
        .stages
        .iter()
        .map(|&stage: &Stage| {
            let s = d.signoffs.iter().rev().find(|s| {
                s.stage == stage && s.round == d.round && s.decision == Decision::Approve
            });
            SheetRow {
                label: labels::stage(stage),
                signer: s.map(|s| s.signer.clone()),
                signed_at: s.map(|s| s.signed_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
                comment: s.and_then(|s| s.comment.clone()),
                checks: s.map_or(String::new(), |s| {
                    s.checks
                        .iter()
                        .map(|c| labels::check(*c))
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
            }
        })
        .collect();
    let events: Vec<Value> = events
        .into_iter()
        .map(|e| {
            context! {
                seq => e.seq, at => e.occurred_at, actor => e.actor, action => e.action,
                stage => e.stage, revision => e.revision,
                transition => match (e.from_status.as_deref(), e.to_status.as_deref()) {
                    (Some(f), Some(t)) if f != t => format!("{f} → {t}"),
                    _ => String::new(),
                },
            }
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        "sheet.html",
        context! {
            username => user.username, csrf_token,
            d => context! { id => d.id.to_string(), title => d.current.title, status_label => labels::status(d.status),
                            revision => d.revision, content_hash => d.content_hash, channel => d.channel },
            rows => ser(&rows), events,
        },
    ))
}
