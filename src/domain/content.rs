//! The content of a revision, valid by construction ("parse, don't
//! validate"): a `Content` exists only if every field keeps SPEC §1's limits.

use crate::domain::vocabulary::Format;

/// A rule one field broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn field_error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A revision's content: title 1–200 characters (not blank), summary 0–120
/// (WeChat's digest limit), body 1–200 000 (not blank), no NUL anywhere.
/// Text is stored exactly as sent: no trimming, no normalisation, so the
/// hash is of what the signer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    title: String,
    summary: String,
    body: String,
    format: Format,
}

impl Content {
    pub fn parse(
        title: String,
        summary: Option<String>,
        body: String,
        format: &str,
    ) -> Result<Content, Vec<FieldError>> {
        let summary = summary.unwrap_or_default();
        let mut errors = Vec::new();
        let mut limit = |field: &'static str, value: &str, min: usize, max: usize| {
            let n = chars(value);
            if value.contains('\0') {
                errors.push(field_error(field, "must not contain NUL characters"));
            } else if n < min || n > max {
                errors.push(field_error(
                    field,
                    format!("must be {min}–{max} characters (got {n})"),
                ));
            } else if min > 0 && value.trim().is_empty() {
                errors.push(field_error(field, "must not be blank"));
            }
        };
        limit("title", &title, 1, 200);
        limit("summary", &summary, 0, 120);
        limit("body", &body, 1, 200_000);
        let parsed = Format::parse(format);
        if parsed.is_none() {
            errors.push(field_error("format", "must be html, markdown or text"));
        }
        match parsed {
            Some(format) if errors.is_empty() => Ok(Content {
                title,
                summary,
                body,
                format,
            }),
            _ => Err(errors),
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn summary(&self) -> &str {
        &self.summary
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn format(&self) -> Format {
        self.format
    }
}

/// A free-text reason or comment: 1–2000 characters, not blank, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remark(String);

impl Remark {
    pub const MAX: usize = 2000;

    pub fn parse(field: &'static str, text: String) -> Result<Remark, FieldError> {
        if text.contains('\0') {
            return Err(field_error(field, "must not contain NUL characters"));
        }
        if text.trim().is_empty() || chars(&text) > Remark::MAX {
            return Err(field_error(
                field,
                format!("must be 1–{} characters, not blank", Remark::MAX),
            ));
        }
        Ok(Remark(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Where an item comes from (来源, SPEC §7): 原创 or 转载 from a named
/// origin. It is not part of the content hash: the signers attest the text,
/// the sheet and the register show the source beside it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Original,
    /// The origin: 1–200 characters, not blank, no NUL.
    Reprint(String),
}

impl Source {
    pub const MAX_ORIGIN: usize = 200;

    /// From the request's `{kind, origin?}`; errors name `source.kind` or
    /// `source.origin`.
    pub fn parse(kind: &str, origin: Option<String>) -> Result<Source, FieldError> {
        match (kind, origin) {
            ("original", None) => Ok(Source::Original),
            ("original", Some(_)) => {
                Err(field_error("source.origin", "an original names no origin"))
            }
            ("reprint", None) => Err(field_error(
                "source.origin",
                "a reprint names its origin (1–200 characters)",
            )),
            ("reprint", Some(origin)) => {
                let n = chars(&origin);
                if origin.contains('\0') {
                    Err(field_error(
                        "source.origin",
                        "must not contain NUL characters",
                    ))
                } else if n == 0 || n > Source::MAX_ORIGIN || origin.trim().is_empty() {
                    Err(field_error(
                        "source.origin",
                        format!("must be 1–{} characters, not blank", Source::MAX_ORIGIN),
                    ))
                } else {
                    Ok(Source::Reprint(origin))
                }
            }
            _ => Err(field_error("source.kind", "must be original or reprint")),
        }
    }

    /// The stored pair: its kind, and the origin of a reprint; `None` for a
    /// pair the columns' CHECK should have refused (a corrupt row).
    pub fn from_stored(kind: &str, origin: Option<String>) -> Option<Source> {
        match (kind, origin) {
            ("reprint", Some(origin)) => Some(Source::Reprint(origin)),
            ("original", None) => Some(Source::Original),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Source::Original => "original",
            Source::Reprint(_) => "reprint",
        }
    }

    pub fn origin(&self) -> Option<&str> {
        match self {
            Source::Original => None,
            Source::Reprint(origin) => Some(origin),
        }
    }
}

/// A correction's 更正说明 (SPEC §7): 1–500 characters, not blank, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionNote(String);

impl CorrectionNote {
    pub const MAX: usize = 500;

    pub fn parse(text: String) -> Result<CorrectionNote, FieldError> {
        if text.contains('\0') {
            return Err(field_error("note", "must not contain NUL characters"));
        }
        if text.trim().is_empty() || chars(&text) > CorrectionNote::MAX {
            return Err(field_error(
                "note",
                format!("must be 1–{} characters, not blank", CorrectionNote::MAX),
            ));
        }
        Ok(CorrectionNote(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<Content, Vec<FieldError>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(
            Content::parse(
                "标".repeat(200),
                Some("摘".repeat(120)),
                "文".into(),
                "text"
            )
            .is_ok()
        );
        assert_eq!(
            fields(Content::parse("标".repeat(201), None, "x".into(), "text")),
            vec!["title"]
        );
        assert_eq!(
            fields(Content::parse(
                "t".into(),
                Some("摘".repeat(121)),
                "x".into(),
                "text"
            )),
            vec!["summary"]
        );
        assert!(Content::parse("t".into(), None, "b".repeat(200_000), "html").is_ok());
        assert_eq!(
            fields(Content::parse(
                "t".into(),
                None,
                "b".repeat(200_001),
                "html"
            )),
            vec!["body"]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let r = Content::parse(String::new(), Some("a\0b".into()), "   ".into(), "pdf");
        assert_eq!(fields(r), vec!["title", "summary", "body", "format"]);
    }

    #[test]
    fn text_is_kept_exactly_as_sent() {
        let c = Content::parse("  标题 ".into(), None, "\tbody\r\n".into(), "markdown").unwrap();
        assert_eq!(
            (c.title(), c.summary(), c.body()),
            ("  标题 ", "", "\tbody\r\n")
        );
    }

    #[test]
    fn remarks_must_say_something() {
        assert!(Remark::parse("reason", "  ".into()).is_err());
        assert!(Remark::parse("reason", "x".repeat(2001)).is_err());
        assert_eq!(
            Remark::parse("reason", "数据有误".into()).unwrap().as_str(),
            "数据有误"
        );
    }

    #[test]
    fn a_reprint_names_its_origin_and_an_original_none() {
        assert_eq!(Source::parse("original", None), Ok(Source::Original));
        assert_eq!(
            Source::parse("reprint", Some("新华社".into())),
            Ok(Source::Reprint("新华社".into()))
        );
        assert!(Source::parse("reprint", Some("源".repeat(200))).is_ok());
        let field = |r: Result<Source, FieldError>| r.err().map(|e| e.field);
        assert_eq!(field(Source::parse("reprint", None)), Some("source.origin"));
        assert_eq!(
            field(Source::parse("reprint", Some("源".repeat(201)))),
            Some("source.origin")
        );
        assert_eq!(
            field(Source::parse("reprint", Some(" ".into()))),
            Some("source.origin")
        );
        assert_eq!(
            field(Source::parse("original", Some("x".into()))),
            Some("source.origin")
        );
        assert_eq!(field(Source::parse("copied", None)), Some("source.kind"));
    }

    #[test]
    fn a_correction_note_is_one_to_five_hundred_characters() {
        assert!(CorrectionNote::parse("更".repeat(500)).is_ok());
        assert!(CorrectionNote::parse("更".repeat(501)).is_err());
        assert!(CorrectionNote::parse("\t".into()).is_err());
    }
}
