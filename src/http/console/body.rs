//! A draft body made safe to show (SPEC §11): markdown through
//! `pulldown-cmark`, then markdown's and html's output through `ammonia`,
//! so no script, event handler, `javascript:` URL or style survives; text
//! stays text (the template escapes it).

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser};

use crate::domain::vocabulary::Format;

/// A body ready for the page: sanitized HTML, or plain text to escape.
pub enum Rendered {
    Html(String),
    Text(String),
}

pub fn render(format: Format, body: &str) -> Rendered {
    match format {
        Format::Text => Rendered::Text(body.to_string()),
        Format::Html => Rendered::Html(sanitizer().clean(body).to_string()),
        Format::Markdown => {
            let mut html = String::with_capacity(body.len() * 5 / 4);
            let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
            pulldown_cmark::html::push_html(&mut html, Parser::new_ext(body, options));
            Rendered::Html(sanitizer().clean(&html).to_string())
        }
    }
}

/// ammonia's defaults (a list of harmless tags and attributes, no `on*`,
/// no `style`), with links limited to http, https and mailto, and opened
/// without telling the target where they came from.
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"));
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(format: Format, body: &str) -> String {
        match render(format, body) {
            Rendered::Html(h) => h,
            Rendered::Text(_) => panic!("expected html"),
        }
    }

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let hostile = r#"<p onclick="x()">hi</p><script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">go</a><iframe src="https://evil.example"></iframe><p style="position:fixed">s</p>"#;
        for format in [Format::Html, Format::Markdown] {
            let out = html(format, hostile).to_lowercase();
            for bad in [
                "<script",
                "onclick",
                "onerror",
                "javascript:",
                "<iframe",
                "style=",
            ] {
                assert!(!out.contains(bad), "{format:?} kept {bad}: {out}");
            }
            assert!(out.contains("hi"), "{out}");
        }
    }

    #[test]
    fn markdown_becomes_html_and_text_stays_text() {
        assert_eq!(
            html(Format::Markdown, "# 标题\n\n**粗体**"),
            "<h1>标题</h1>\n<p><strong>粗体</strong></p>\n"
        );
        match render(Format::Text, "<b>x</b>") {
            Rendered::Text(t) => assert_eq!(t, "<b>x</b>"),
            Rendered::Html(_) => panic!("text must stay text"),
        }
    }
}
