//! The machine check's speed (SPEC §6, issue 16), in process: a
//! 100,000-term lexicon compiled once, then 100 checks of a
//! 200,000-character body (p50/p99), beside a naive `str::contains` loop
//! over the same terms as the baseline. `sanshen-bench --check-matcher`.

use std::time::{Duration, Instant};

use sanshen::domain::check::{self, Entry, Matcher, Severity, Subject};
use sanshen::domain::vocabulary::Format;

/// A deterministic generator, so that runs compare (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A common Han character (U+4E00–U+9FA5).
    fn han(&mut self) -> char {
        char::from_u32(0x4E00 + (self.next() % 0x51A6) as u32).unwrap_or('中')
    }
}

/// The benchmark's lexicon and body, the same on every run: `terms`
/// distinct terms of 2–5 common Han characters (one in ten `block`, the
/// rest `warn`), and a body of `body_chars` random Han characters. Shared
/// by the in-process matcher bench and the server's `lexicon` scenario.
///
/// The terms appended to the body "so the findings path is exercised" are
/// cut off again by the truncation to `body_chars`: the findings are the
/// chance matches of 2-character terms. Kept as it was, so that the figures
/// compare with those already in docs/benchmarks.md.
pub fn generate(terms: usize, body_chars: usize) -> (Vec<Entry>, String) {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::with_capacity(terms);
    while entries.len() < terms {
        let len = 2 + (rng.next() % 4) as usize;
        let term: String = (0..len).map(|_| rng.han()).collect();
        if seen.insert(term.clone()) {
            entries.push(Entry {
                term,
                severity: if rng.next().is_multiple_of(10) {
                    Severity::Block
                } else {
                    Severity::Warn
                },
                suggestion: None,
                note: None,
            });
        }
    }
    let mut body: String = (0..body_chars).map(|_| rng.han()).collect();
    // A few real hits, so the findings path is exercised.
    for e in entries.iter().step_by(terms / 10 + 1) {
        body.push_str(&e.term);
    }
    let body: String = body.chars().take(body_chars).collect();
    (entries, body)
}

/// The entries as the CSV `PUT /lexicons/{code}/entries` takes
/// (`text/csv`, header `term,severity,suggestion,note`). The generated
/// terms are Han characters only: nothing needs quoting.
pub fn csv(entries: &[Entry]) -> String {
    let mut out = String::from("term,severity,suggestion,note\n");
    for e in entries {
        out.push_str(&e.term);
        out.push(',');
        out.push_str(e.severity.as_str());
        out.push_str(",,\n");
    }
    out
}

pub fn run(terms: usize, body_chars: usize, checks: usize) -> String {
    let (entries, body) = generate(terms, body_chars);
    let terms_only: Vec<String> = entries.iter().map(|e| e.term.clone()).collect();

    let started = Instant::now();
    let matcher = Matcher::build("bench", 1, entries).unwrap_or_else(|e| panic!("build: {e}"));
    let build = started.elapsed();

    let subject = Subject {
        title: "标题",
        summary: "",
        body: &body,
        format: Format::Text,
    };
    let mut times: Vec<Duration> = Vec::with_capacity(checks);
    let mut findings = 0;
    for _ in 0..checks {
        let t = Instant::now();
        findings = check::check(&subject, &[&matcher]).len();
        times.push(t.elapsed());
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];

    // The baseline: each term looked up with `str::contains`, as a naive
    // implementation would (no folding, no separators: a lower bound).
    let naive_runs = 3;
    let t = Instant::now();
    let mut naive_hits = 0;
    for _ in 0..naive_runs {
        naive_hits = terms_only
            .iter()
            .filter(|t| body.contains(t.as_str()))
            .count();
    }
    let naive = t.elapsed() / naive_runs;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "## Machine check (in process)\n\n\
         | what | figure |\n|---|---|\n\
         | lexicon | {terms} terms, automaton {:.1} MiB |\n\
         | build the matcher (once per version) | {:.0} ms |\n\
         | check of {body_chars} characters, p50 | {:.2} ms |\n\
         | same, p99 ({checks} checks) | {:.2} ms |\n\
         | findings per check | {findings} |\n\
         | naive `str::contains` per term, one pass | {:.0} ms ({naive_hits} terms found) |\n\
         | ratio naive / p50 | {:.0}× |\n",
        matcher.memory_usage() as f64 / 1024.0 / 1024.0,
        ms(build),
        ms(p(0.5)),
        ms(p(0.99)),
        ms(naive),
        ms(naive) / ms(p(0.5)).max(1e-9),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_sized() {
        let (a, body) = generate(1000, 5000);
        let (b, again) = generate(1000, 5000);
        assert_eq!(a.len(), 1000);
        assert_eq!(body.chars().count(), 5000);
        assert_eq!(body, again);
        assert!(a.iter().zip(&b).all(|(x, y)| x.term == y.term));
    }

    #[test]
    fn csv_has_the_header_and_a_line_per_entry() {
        let (entries, _) = generate(10, 10);
        let csv = csv(&entries);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("term,severity,suggestion,note"));
        assert_eq!(lines.clone().count(), 10);
        assert!(lines.all(|l| l.ends_with(",block,,") || l.ends_with(",warn,,")));
    }
}
