//! The text a check reads: HTML reduced to its text content, then folded
//! (NFKC, lower case) with every folded character traced back to the
//! checked text's character offset, so findings count characters of what
//! the editor wrote, not of the folded copy.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The text content of an HTML fragment: tags and comments removed,
/// character references decoded, and the contents of `script` and `style`
/// dropped (no reader sees them). html5ever's tokenizer is the WHATWG one,
/// so what counts as a tag or an entity is what a browser thinks.
pub fn html_text(html: &str) -> String {
    let sink = TextSink::default();
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, Default::default());
    // `feed` stops early only for a script the sink asks to run; this one
    // never asks, so one call reads everything. The loop is a guard.
    while !input.is_empty() {
        let _ = tokenizer.feed(&input);
    }
    tokenizer.end();
    tokenizer.sink.text.take()
}

#[derive(Default)]
struct TextSink {
    text: RefCell<String>,
    hidden: RefCell<bool>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::CharacterTokens(t) if !*self.hidden.borrow() => {
                self.text.borrow_mut().push_str(&t)
            }
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                let raw = match name {
                    "script" => Some(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => Some(RawKind::Rawtext),
                    "title" | "textarea" => Some(RawKind::Rcdata),
                    _ => None,
                };
                let hides = matches!(name, "script" | "style");
                match (tag.kind, raw) {
                    (TagKind::StartTag, Some(kind)) if !tag.self_closing => {
                        *self.hidden.borrow_mut() = hides;
                        return TokenSinkResult::RawData(kind);
                    }
                    (TagKind::EndTag, Some(_)) => *self.hidden.borrow_mut() = false,
                    _ => {}
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Whitespace, the zero-width characters of SPEC §6, and ASCII
/// punctuation: what may stand between a term's characters.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Text folded for matching, with the origin of every byte.
#[derive(Debug, Default)]
pub struct Folded {
    /// NFKC, lower case; separators dropped when folded for terms.
    pub text: String,
    /// For each byte of `text`, the character offset in the checked text
    /// it came from; one more entry for the end.
    origin: Vec<u32>,
}

impl Folded {
    /// `text` folded; with `drop_separators`, as the lexicon matcher reads it.
    pub fn new(text: &str, drop_separators: bool) -> Folded {
        let mut folded = Folded {
            text: String::with_capacity(text.len()),
            origin: Vec::with_capacity(text.len() + 1),
        };
        let mut buf = [0u8; 4];
        for (i, c) in text.chars().enumerate() {
            let at = u32::try_from(i).unwrap_or(u32::MAX);
            fold_char(c, |f| {
                if drop_separators && is_separator(f) {
                    return;
                }
                let s = f.encode_utf8(&mut buf);
                folded.text.push_str(s);
                folded.origin.extend(std::iter::repeat_n(at, s.len()));
            });
        }
        folded
            .origin
            .push(u32::try_from(text.chars().count()).unwrap_or(u32::MAX));
        folded
    }

    /// This folded text without its separators: what `Folded::new(text,
    /// true)` gives, without folding the text a second time.
    pub fn without_separators(&self) -> Folded {
        let mut out = Folded {
            text: String::with_capacity(self.text.len()),
            origin: Vec::with_capacity(self.origin.len()),
        };
        for (at, c) in self.text.char_indices() {
            if !is_separator(c) {
                out.text.push(c);
                out.origin
                    .extend_from_slice(&self.origin[at..at + c.len_utf8()]);
            }
        }
        out.origin.extend(self.origin.last().copied());
        out
    }

    /// The checked text's character range `[start, end)` that the folded
    /// bytes `[from, to)` (a non-empty match) came from.
    pub fn span(&self, from: usize, to: usize) -> (usize, usize) {
        let start = self.origin[from] as usize;
        let end = self.origin[to.max(from + 1) - 1] as usize + 1;
        (start, end)
    }
}

/// One character folded: NFKC (full-width to half-width and the like),
/// then lower case. ASCII and characters NFKC leaves alone (all common
/// Han) take the short way, which keeps a 200,000-character body fast.
pub fn fold_char(c: char, mut out: impl FnMut(char)) {
    if c.is_ascii() {
        return out(c.to_ascii_lowercase());
    }
    // CJK Unified Ideographs and Extension A have no decomposition and no
    // case: most of a Chinese text skips the normalization tables.
    if matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}') {
        return out(c);
    }
    let mut one = [0u8; 4];
    let s: &str = c.encode_utf8(&mut one);
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        return c.to_lowercase().for_each(out);
    }
    for n in s.nfkc() {
        n.to_lowercase().for_each(&mut out);
    }
}

/// A term as the matcher looks for it: folded, separators removed.
pub fn fold_term(term: &str) -> String {
    Folded::new(term, true).text
}

/// At most `context` characters either side of `[start, end)` in `chars`.
pub fn excerpt(chars: &[char], start: usize, end: usize, context: usize) -> String {
    let from = start.saturating_sub(context);
    let to = (end + context).min(chars.len());
    chars[from.min(to)..to].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_drops_tags_and_decodes_entities() {
        let html = "<p class=\"x\">法&nbsp;<b>轮</b>&amp;功<!-- 法轮 --></p><script>var a = '禁用';</script>后<style>p{}</style>";
        assert_eq!(html_text(html), "法\u{a0}轮&功后");
    }

    #[test]
    fn title_keeps_its_markup_as_text() {
        assert_eq!(html_text("<title>a<b>c</title>d"), "a<b>cd");
    }

    #[test]
    fn folding_makes_full_width_half_width_and_lower_case() {
        let f = Folded::new("ＡＢＣ１２３", false);
        assert_eq!(f.text, "abc123");
        assert_eq!(f.span(3, 6), (3, 6));
    }

    #[test]
    fn separators_are_dropped_but_offsets_kept() {
        let f = Folded::new("法 .\u{200B}轮", true);
        assert_eq!(f.text, "法轮");
        assert_eq!(f.span(0, f.text.len()), (0, 5));
    }

    #[test]
    fn dropping_separators_later_is_folding_without_them() {
        for text in ["法 .\u{200B}轮", "a㎒ b", "ＡＢ,Ｃ 中\u{FEFF}文", "", " . "] {
            let kept = Folded::new(text, false);
            let stripped = Folded::new(text, true);
            let later = kept.without_separators();
            assert_eq!(later.text, stripped.text, "{text:?}");
            assert_eq!(later.origin, stripped.origin, "{text:?}");
        }
    }

    #[test]
    fn han_folds_to_itself() {
        let f = Folded::new("中文㐀\u{9FFF}", false);
        assert_eq!(f.text, "中文㐀\u{9FFF}");
    }

    #[test]
    fn an_expanding_character_maps_back_to_itself() {
        // U+3392 SQUARE MHZ folds to "mhz": three bytes from one character.
        let f = Folded::new("a㎒b", true);
        assert_eq!(f.text, "amhzb");
        assert_eq!(f.span(1, 4), (1, 2));
        assert_eq!(f.span(4, 5), (2, 3));
    }

    #[test]
    fn excerpt_keeps_twenty_characters_either_side() {
        let chars: Vec<char> = "0123456789".repeat(5).chars().collect();
        assert_eq!(excerpt(&chars, 25, 26, 20).chars().count(), 41);
        assert_eq!(excerpt(&chars, 0, 1, 20), "012345678901234567890");
    }
}
