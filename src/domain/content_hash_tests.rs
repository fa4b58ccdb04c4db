//! Vectors from scripts/content_hash_vectors.py, computed without this code.

use super::*;
use crate::domain::content::Content;

fn hash(channel: &str, title: &str, summary: &str, body: &str, format: &str) -> String {
    let content = Content::parse(title.into(), Some(summary.into()), body.into(), format).unwrap();
    ContentHash::of(channel, &content).to_string()
}

#[test]
fn matches_independently_computed_vectors() {
    let cases = [
        (
            "9dfbe9fa8b9cb91fabe7c6883ec27bdad1046754faeb159dea7e19dc8e0dc813",
            ("portal", "通知", "", "正文", "text"),
        ),
        (
            "31759cb1b6cdafe68fbfeada427df74f9973646254d003d89971f398103bb1d4",
            (
                "wechat_official",
                "关于开展2026年度安全生产检查的通知",
                "各科室于12月15日前完成自查",
                "各科室：\n根据上级部署……",
                "markdown",
            ),
        ),
        (
            "002ee3e6d6303bc429dfa87c4fdf28ea03b8cecfd046685f9e9f3f02d842e542",
            (
                "qq_group",
                "emoji 🎉👍🏽",
                "astral 𠀀",
                "<p>\"quoted\" & 'single'</p>",
                "html",
            ),
        ),
        (
            "97a387b1ff4004d195ef9b3f1d496dc54025e12c097aa7506078f3536fca5e9f",
            (
                "portal",
                "back\\slash / slash",
                "tab\there",
                "line\r\nbreak\u{1}\u{1f}\u{7f}\u{8}\u{c}",
                "text",
            ),
        ),
        (
            "69581bf118c019dee32d5c055c4d4bea651de97ed1aa6e651bcf33bfcb6ecd58",
            (
                "wechat_group",
                "t",
                "",
                "\u{2028}\u{2029} separators and \u{feff} BOM",
                "text",
            ),
        ),
    ];
    for (expected, (channel, title, summary, body, format)) in cases {
        assert_eq!(
            hash(channel, title, summary, body, format),
            expected,
            "{title:?}"
        );
    }
}

#[test]
fn the_canonical_form_is_jcs() {
    let content = Content::parse("a\"/\u{1}".into(), None, "b\t".into(), "text").unwrap();
    let hashed = Hashed {
        body: content.body(),
        channel: "portal",
        format: "text",
        summary: "",
        title: content.title(),
    };
    let text = String::from_utf8(canonical(&hashed)).unwrap();
    assert_eq!(
        text,
        r#"{"body":"b\t","channel":"portal","format":"text","summary":"","title":"a\"/\u0001"}"#
    );
}

#[test]
fn etags_are_strong_and_exact() {
    let h = "ab".repeat(32);
    assert_eq!(
        ContentHash::parse_etag(&format!("\"{h}\""))
            .unwrap()
            .as_str(),
        h
    );
    assert!(ContentHash::parse_etag(&format!("W/\"{h}\"")).is_none());
    assert!(ContentHash::parse_etag(&h).is_none());
    assert!(ContentHash::parse(&h.to_uppercase()).is_none());
    assert!(ContentHash::parse(&h[..63]).is_none());
    assert_eq!(ContentHash::parse(&h).unwrap().etag(), format!("\"{h}\""));
}
