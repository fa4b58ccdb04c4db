//! Property tests of the matcher (issue 16): a term put into any text with
//! any separators between its characters is found at its offsets; text
//! holding no term yields no lexicon finding.

use proptest::prelude::*;

use super::text::is_separator;
use super::*;

const SEPARATORS: &[char] = &[
    ' ', '\t', '\n', '.', ',', '-', '*', '/', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}',
    '\u{FEFF}', '\u{3000}',
];

fn lexicon(terms: &[String]) -> Matcher {
    let entries = terms
        .iter()
        .map(|t| Entry {
            term: t.clone(),
            severity: Severity::Block,
            suggestion: None,
            note: None,
        })
        .collect();
    Matcher::build("p", 1, entries).unwrap()
}

/// Terms from a small alphabet of Han, Latin and full-width letters, so
/// that they collide with the text around them now and then.
fn term() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec!['法', '轮', '功', 'a', 'B', 'Ｃ', '习', '近']),
        2..6,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn filler() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![
            '的', '是', 'x', 'y', ' ', '，', '。', '法', 'a', '\u{200B}',
        ]),
        0..40,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #[test]
    fn a_term_with_separators_inside_is_found_at_its_offsets(
        term in term(),
        before in filler(),
        after in filler(),
        seps in proptest::collection::vec(proptest::collection::vec(prop::sample::select(SEPARATORS), 0..3), 8),
    ) {
        let mut inserted = String::new();
        for (i, c) in term.chars().enumerate() {
            if i > 0 {
                inserted.extend(seps[i].iter());
            }
            inserted.push(c);
        }
        let body = format!("{before}{inserted}{after}");
        let start = before.chars().count();
        let end = start + inserted.chars().count();
        let m = lexicon(std::slice::from_ref(&term));
        let s = Subject { title: "t", summary: "", body: &body, format: Format::Text };
        let found = check(&s, &[&m]);
        prop_assert!(
            found.iter().any(|f| f.field == Field::Body && f.start == start && f.end == end && f.term == term),
            "{term:?} in {body:?} at {start}..{end}: {found:?}"
        );
    }

    #[test]
    fn text_without_any_term_yields_no_lexicon_finding(
        terms in proptest::collection::vec(term(), 1..5),
        body in "[^\u{0}]{1,200}",
    ) {
        let mut terms = terms;
        terms.sort();
        terms.dedup_by(|a, b| text::fold_term(a) == text::fold_term(b));
        let stripped: String = text::Folded::new(&body, true).text;
        prop_assume!(terms.iter().all(|t| !stripped.contains(&text::fold_term(t))));
        let m = lexicon(&terms);
        let s = Subject { title: "t", summary: "", body: &body, format: Format::Text };
        let found = check(&s, &[&m]);
        prop_assert!(found.iter().all(|f| !f.rule.starts_with("lexicon:")), "{found:?}");
    }

    #[test]
    fn offsets_always_fall_inside_the_field(body in "\\PC{0,80}", term in term()) {
        let m = lexicon(std::slice::from_ref(&term));
        let s = Subject { title: "t", summary: "", body: &body, format: Format::Text };
        let n = body.chars().count();
        for f in check(&s, &[&m]) {
            prop_assert!(f.start < f.end && f.end <= n.max(1));
            let covered: String = body.chars().skip(f.start).take(f.end - f.start).collect();
            prop_assert!(!covered.starts_with(is_separator) || f.rule != "lexicon:p");
        }
    }
}
