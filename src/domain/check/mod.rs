//! Machine check (机审, SPEC §6): lexicon terms (错敏词) and personal data
//! in a revision's title, summary and body. Pure: the lexicons come in
//! compiled (`Matcher`), the findings go out; storing and gating are the
//! use-case's (`crate::check`).

pub mod cache;
pub mod detectors;
pub mod matcher;
pub mod text;

#[cfg(test)]
mod props;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::domain::vocabulary::Format;
pub use matcher::{Entry, EntryError, Matcher};
use text::{Folded, excerpt, html_text};

/// How bad a finding is: `block` must never go out (错误表述, 禁用词);
/// `warn` needs a human to look (敏感词, 不规范表述, personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Block,
    Warn,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Block => "block",
            Severity::Warn => "warn",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "block" => Some(Severity::Block),
            "warn" => Some(Severity::Warn),
            _ => None,
        }
    }
}

/// Which field of the content a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Summary,
    Body,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Body => "body",
        }
    }
}

/// One thing the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// `<field>:<start>-<end>:<rule>`: the same finding has the same id in
    /// every report of the same text and lexicons, so that an approval can
    /// acknowledge it.
    #[schema(example = "body:12-14:lexicon:banned")]
    pub id: String,
    /// `lexicon:<code>` for a lexicon term, else the detector:
    /// `id_card`, `mobile`, `bank_card` or `email`.
    #[schema(example = "lexicon:banned")]
    pub rule: String,
    pub severity: Severity,
    /// The lexicon's term, or the detector's name.
    #[schema(example = "法轮")]
    pub term: String,
    pub field: Field,
    /// Characters (Unicode scalar values) of the field's checked text;
    /// `start` inclusive, `end` exclusive.
    pub start: usize,
    pub end: usize,
    /// The match with at most 20 characters of context either side.
    pub excerpt: String,
    pub suggestion: Option<String>,
}

/// What one check read.
pub struct Subject<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub format: Format,
}

const CONTEXT: usize = 20;

/// Every finding in `subject` by the detectors and `lexicons`, ordered by
/// field, position and rule.
pub fn check(subject: &Subject<'_>, lexicons: &[&Matcher]) -> Vec<Finding> {
    let body;
    let body_text = if subject.format == Format::Html {
        body = html_text(subject.body);
        body.as_str()
    } else {
        subject.body
    };
    let mut findings = Vec::new();
    for (field, text) in [
        (Field::Title, subject.title),
        (Field::Summary, subject.summary),
        (Field::Body, body_text),
    ] {
        check_field(field, text, lexicons, &mut findings);
    }
    findings.sort_by(|a, b| {
        (a.field, a.start, a.end, &a.rule).cmp(&(b.field, b.start, b.end, &b.rule))
    });
    findings
}

fn check_field(field: Field, text: &str, lexicons: &[&Matcher], out: &mut Vec<Finding>) {
    if text.is_empty() {
        return;
    }
    let chars: Vec<char> = text.chars().collect();
    let finding = |rule: String, severity, term: &str, (start, end), suggestion| Finding {
        id: format!("{}:{start}-{end}:{rule}", field.as_str()),
        rule,
        severity,
        term: term.into(),
        field,
        start,
        end,
        excerpt: excerpt(&chars, start, end, CONTEXT),
        suggestion,
    };
    let kept = Folded::new(text, false);
    for hit in detectors::detect(&kept) {
        let span = kept.span(hit.from, hit.to);
        out.push(finding(
            hit.rule.into(),
            Severity::Warn,
            hit.rule,
            span,
            None,
        ));
    }
    if lexicons.iter().all(|m| m.is_empty()) {
        return;
    }
    let stripped = kept.without_separators();
    for lexicon in lexicons {
        let rule = format!("lexicon:{}", lexicon.code);
        let mut seen = std::collections::HashSet::new();
        for hit in lexicon.find(&stripped) {
            let span = stripped.span(hit.from, hit.to);
            // Two terms folding differently never share a span, but one
            // term can cover the same characters twice through a character
            // that folds into several (㎒ → mhz): one finding.
            if seen.insert((span, hit.entry.term.as_str())) {
                let e = hit.entry;
                out.push(finding(
                    rule.clone(),
                    e.severity,
                    &e.term,
                    span,
                    e.suggestion.clone(),
                ));
            }
        }
    }
}

/// Findings per rule, for the `check_run` event and the bulletin.
pub fn counts(findings: &[Finding]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in findings {
        *counts.entry(f.rule.clone()).or_insert(0) += 1;
    }
    counts
}

/// A stored report: `{content_hash, lexicon_versions, findings}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub content_hash: String,
    /// The version of each lexicon applied, by code.
    #[schema(value_type = Object, example = json!({"banned": 3}))]
    pub lexicon_versions: BTreeMap<String, i32>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Lowercase hex SHA-256 of the report's JCS serialization (RFC 8785),
    /// as the `check_run` event records it.
    pub fn hash(&self) -> String {
        let bytes = serde_json_canonicalizer::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }

    pub fn blocks(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Block)
    }

    /// The `warn` findings whose ids `acknowledged` lacks.
    pub fn unacknowledged<'a>(&'a self, acknowledged: &[String]) -> Vec<&'a str> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warn && !acknowledged.contains(&f.id))
            .map(|f| f.id.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(terms: &[(&str, Severity)]) -> Matcher {
        let entries = terms
            .iter()
            .map(|(t, s)| Entry {
                term: t.to_string(),
                severity: *s,
                suggestion: Some("改".into()),
                note: None,
            })
            .collect();
        Matcher::build("words", 2, entries).unwrap()
    }

    fn subject<'a>(title: &'a str, body: &'a str, format: Format) -> Subject<'a> {
        Subject {
            title,
            summary: "",
            body,
            format,
        }
    }

    #[test]
    fn html_is_checked_on_its_text_content_with_offsets_in_it() {
        let m = lexicon(&[("禁用词", Severity::Block)]);
        let s = subject("标题", "<p>前文<b>禁</b>&#x7528;&nbsp;词</p>", Format::Html);
        let found = check(&s, &[&m]);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!((f.field, f.start, f.end), (Field::Body, 2, 6));
        assert_eq!(f.id, "body:2-6:lexicon:words");
        assert_eq!(f.excerpt, "前文禁用\u{a0}词");
        assert_eq!(f.suggestion.as_deref(), Some("改"));
    }

    #[test]
    fn markup_in_text_format_is_text() {
        let m = lexicon(&[("ab", Severity::Warn)]);
        let found = check(&subject("t", "xa</>b", Format::Text), &[&m]);
        assert_eq!(
            found.len(),
            1,
            "the < / > are punctuation between the term's characters"
        );
        assert_eq!((found[0].start, found[0].end), (1, 6));
    }

    #[test]
    fn case_and_width_do_not_hide_a_term() {
        let m = lexicon(&[("Falun", Severity::Block)]);
        let found = check(&subject("ＦＡＬＵＮ news", "x", Format::Text), &[&m]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field, found[0].start, found[0].end),
            (Field::Title, 0, 5)
        );
    }

    #[test]
    fn detectors_and_lexicons_together_with_counts_and_a_stable_hash() {
        let m = lexicon(&[("电话", Severity::Warn)]);
        let s = subject("电话", "电话：13800138000", Format::Markdown);
        let findings = check(&s, &[&m]);
        let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "title:0-2:lexicon:words",
                "body:0-2:lexicon:words",
                "body:3-14:mobile"
            ]
        );
        let c = counts(&findings);
        assert_eq!(c.get("lexicon:words"), Some(&2));
        assert_eq!(c.get("mobile"), Some(&1));
        let report = Report {
            content_hash: "h".into(),
            lexicon_versions: [("words".to_string(), 2)].into(),
            findings,
        };
        assert_eq!(report.hash(), report.clone().hash());
        assert_eq!(report.hash().len(), 64);
        assert!(!report.blocks());
        assert_eq!(report.unacknowledged(&["body:3-14:mobile".into()]).len(), 2);
    }
}
