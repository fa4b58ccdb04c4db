//! Line diffs of two revisions' bodies, bounded in time: two 200,000-character
//! bodies with nothing in common would otherwise keep a core busy for minutes.

use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

/// How long one diff may search for the shortest edit script. Past it,
/// `similar` finishes with a coarser but still correct diff.
pub const TIME_BOUND: Duration = Duration::from_millis(500);

/// One line of a diff: equal, deleted from `from`, or inserted in `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub op: ChangeTag,
    /// 1-based line in `from` (None for inserts).
    pub old_line: Option<usize>,
    /// 1-based line in `to` (None for deletes).
    pub new_line: Option<usize>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct LineDiff {
    pub lines: Vec<Line>,
    pub unified: String,
    /// False when the time bound cut the search short: every line is still
    /// accounted for, but the diff may mark more lines changed than it must.
    pub minimal: bool,
}

/// The line diff of `old` to `new`, searching for at most `bound`.
pub fn line_diff(old: &str, new: &str, headers: (&str, &str), bound: Duration) -> LineDiff {
    let deadline = Instant::now() + bound;
    let text = similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(old, new);
    let minimal = Instant::now() < deadline;
    let lines = text
        .iter_all_changes()
        .map(|c| Line {
            op: c.tag(),
            old_line: c.old_index().map(|i| i + 1),
            new_line: c.new_index().map(|i| i + 1),
            text: c.value().to_string(),
        })
        .collect();
    let unified = unified(&text, headers);
    LineDiff {
        lines,
        unified,
        minimal,
    }
}

fn unified(text: &TextDiff<'_, '_, str>, (from, to): (&str, &str)) -> String {
    text.unified_diff().header(from, to).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuild(diff: &LineDiff, side: ChangeTag) -> String {
        diff.lines
            .iter()
            .filter(|l| l.op == ChangeTag::Equal || l.op == side)
            .map(|l| l.text.as_str())
            .collect()
    }

    #[test]
    fn a_small_diff_is_minimal_and_names_lines() {
        let d = line_diff("a\nb\nc\n", "a\nB\nc\n", ("r1", "r2"), TIME_BOUND);
        assert!(d.minimal);
        let changed: Vec<_> = d
            .lines
            .iter()
            .filter(|l| l.op != ChangeTag::Equal)
            .collect();
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[0].old_line, Some(2));
        assert_eq!(changed[1].new_line, Some(2));
        assert!(d.unified.contains("-b\n+B\n"));
    }

    #[test]
    fn a_diff_cut_short_still_rebuilds_both_sides() {
        let old: String = (0..40_000).map(|i| format!("{}\n", i * 7 % 1000)).collect();
        let new: String = (0..40_000)
            .map(|i| format!("{}\n", i * 13 % 1000))
            .collect();
        let d = line_diff(&old, &new, ("r1", "r2"), Duration::from_millis(1));
        assert!(!d.minimal);
        assert_eq!(rebuild(&d, ChangeTag::Delete), old);
        assert_eq!(rebuild(&d, ChangeTag::Insert), new);
    }
}
