//! One lexicon compiled for matching: an Aho–Corasick automaton over the
//! folded terms, built once per lexicon version and shared by every check.
//!
//! The automaton is daachorse's character-wise double array: a Chinese
//! text takes one transition per character, not three per UTF-8 byte, and
//! a state is 12 bytes, so a 100,000-term lexicon stays small enough for
//! the cache. aho-corasick's byte automaton spent ~33 ns per byte on that
//! lexicon (issue 16, docs/benchmarks.md).

use daachorse::CharwiseDoubleArrayAhoCorasick;

use super::Severity;
use super::text::{Folded, fold_term};

/// An entry as the lexicon holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub term: String,
    pub severity: Severity,
    pub suggestion: Option<String>,
    pub note: Option<String>,
}

/// Why a list of entries cannot be a lexicon; `line` counts from 1 (the
/// entry's place in a JSON array, or its CSV line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub index: usize,
    pub message: String,
}

/// Checks each entry alone and against the others: a term must keep
/// something after folding, and no two terms may fold to the same text
/// (which severity would win?). Terms are 1–200 characters, suggestions
/// and notes at most 500.
pub fn validate(entries: &[Entry]) -> Result<(), EntryError> {
    let mut seen = std::collections::HashMap::with_capacity(entries.len());
    for (index, e) in entries.iter().enumerate() {
        let fail = |message: String| Err(EntryError { index, message });
        let n = e.term.chars().count();
        if !(1..=200).contains(&n) {
            return fail("term must be 1–200 characters".into());
        }
        let long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.chars().count() > 500);
        if long(&e.suggestion) || long(&e.note) {
            return fail("suggestion and note are at most 500 characters".into());
        }
        if [Some(&e.term), e.suggestion.as_ref(), e.note.as_ref()]
            .into_iter()
            .flatten()
            .any(|s| s.contains('\0'))
        {
            return fail("must not contain NUL characters".into());
        }
        let folded = fold_term(&e.term);
        if folded.is_empty() {
            return fail("term is only spaces or punctuation".into());
        }
        if let Some(first) = seen.insert(folded, index) {
            return fail(format!(
                "term matches the same text as entry {} (\"{}\")",
                first + 1,
                entries[first].term
            ));
        }
    }
    Ok(())
}

/// A lexicon ready to match.
pub struct Matcher {
    pub code: String,
    pub version: i32,
    entries: Vec<Entry>,
    automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
}

/// A term found: the entry and the folded byte range.
pub struct TermHit<'a> {
    pub entry: &'a Entry,
    pub from: usize,
    pub to: usize,
}

impl Matcher {
    /// Compiles `entries` (validated, so every folded term is non-empty).
    pub fn build(code: &str, version: i32, entries: Vec<Entry>) -> Result<Matcher, String> {
        let automaton = if entries.is_empty() {
            None
        } else {
            let patterns = entries.iter().map(|e| fold_term(&e.term));
            // Standard semantics (the default) with overlapping search:
            // every term is reported, even one inside another ("法轮"
            // within "法轮功"). Pattern ids are the entries' places.
            let ac = CharwiseDoubleArrayAhoCorasick::new(patterns).map_err(|e| e.to_string())?;
            Some(ac)
        };
        Ok(Matcher {
            code: code.into(),
            version,
            entries,
            automaton,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Heap bytes of the automaton, for the benchmark.
    pub fn memory_usage(&self) -> usize {
        self.automaton
            .as_ref()
            .map_or(0, CharwiseDoubleArrayAhoCorasick::heap_bytes)
    }

    /// Every occurrence of every term in `folded` (folded without separators).
    pub fn find<'a>(&'a self, folded: &Folded) -> Vec<TermHit<'a>> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        ac.find_overlapping_iter(folded.text.as_str())
            .map(|m| TermHit {
                entry: &self.entries[m.value() as usize],
                from: m.start(),
                to: m.end(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: &str) -> Entry {
        Entry {
            term: term.into(),
            severity: Severity::Warn,
            suggestion: None,
            note: None,
        }
    }

    #[test]
    fn terms_that_fold_alike_are_refused() {
        let err = validate(&[entry("ab"), entry("x"), entry("Ａ.Ｂ")]).unwrap_err();
        assert_eq!(err.index, 2);
        assert!(err.message.contains("entry 1"), "{}", err.message);
    }

    #[test]
    fn a_term_of_punctuation_only_is_refused() {
        assert_eq!(validate(&[entry(" ,. ")]).unwrap_err().index, 0);
        assert_eq!(validate(&[entry("")]).unwrap_err().index, 0);
        assert!(validate(&[entry("法轮"), entry("法轮功")]).is_ok());
    }

    #[test]
    fn nested_terms_are_both_found() {
        let m = Matcher::build("x", 1, vec![entry("法轮"), entry("法轮功")]).unwrap();
        let f = Folded::new("这是法 轮.功", true);
        let hits: Vec<_> = m
            .find(&f)
            .iter()
            .map(|h| (h.entry.term.clone(), f.span(h.from, h.to)))
            .collect();
        assert_eq!(
            hits,
            vec![("法轮".to_string(), (2, 5)), ("法轮功".to_string(), (2, 7))]
        );
    }
}
