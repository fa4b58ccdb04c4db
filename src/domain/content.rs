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
}
