//! The tables the run prints (markdown, so they paste into
//! docs/benchmarks.md as they are).

use std::fmt::Write;

/// A target from issue 6, held against a measured figure.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    Below(f64),
}

impl Target {
    pub fn met(self, value: f64) -> bool {
        match self {
            Target::AtLeast(t) => value >= t,
            Target::AtMost(t) => value <= t,
            Target::Below(t) => value < t,
        }
    }

    fn describe(self) -> String {
        match self {
            Target::AtLeast(t) => format!("≥ {}", number(t)),
            Target::AtMost(t) => format!("≤ {}", number(t)),
            Target::Below(t) => format!("< {}", number(t)),
        }
    }
}

/// A figure with thousands separated by thin spaces (100 000).
pub fn number(x: f64) -> String {
    if x.fract() != 0.0 && x.abs() < 100.0 {
        return format!("{x:.2}");
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

pub struct Table {
    headers: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &'static [&'static str]) -> Table {
        Table {
            headers,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let mut out = format!("| {} |\n", self.headers.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(self.headers.len()));
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }
}

/// The main table: one row per scenario and concurrency, with its ratio
/// (or figure) against its target.
pub struct Report {
    pub results: Table,
    pub chain: Table,
    pub missed: Vec<String>,
    /// approve per client count: (clients, sanshen sign-offs/s, twin tx/s
    /// in the simple protocol, twin tx/s prepared), for `--plot`.
    pub approve_rates: Vec<(usize, f64, f64, f64)>,
}

impl Report {
    pub fn new() -> Report {
        Report {
            results: Table::new(&[
                "scenario",
                "clients",
                "sanshen",
                "p50 ms",
                "p99 ms",
                "pgbench",
                "ratio / figure",
                "target",
            ]),
            chain: Table::new(&[
                "clients",
                "sign-off with the chain (per transaction) tx/s",
                "without the chain tx/s",
                "the chain costs",
                "with the batched chain tx/s",
                "the batched chain costs",
                "left unchained at the end",
                "mean latency per tx / without / batched ms",
            ]),
            missed: Vec::new(),
            approve_rates: Vec::new(),
        }
    }

    /// Adds a row whose last two cells are the ratio (or figure) and its target.
    pub fn result(&mut self, cells: [String; 6], value: f64, shown: String, target: Target) {
        let met = target.met(value);
        let verdict = format!(
            "{} {}",
            target.describe(),
            if met { "met" } else { "**missed**" }
        );
        if !met {
            self.missed.push(format!(
                "{} ×{}: {shown} (target {})",
                cells[0],
                cells[1],
                target.describe()
            ));
        }
        let mut row = cells.to_vec();
        row.push(shown);
        row.push(verdict);
        self.results.push(row);
    }

    /// Adds a row held against no target of its own: `note` says why (or
    /// which target the figure is only an upper bound of).
    pub fn figure(&mut self, cells: [String; 6], shown: String, note: &str) {
        let mut row = cells.to_vec();
        row.push(shown);
        row.push(note.to_string());
        self.results.push(row);
    }

    pub fn render(&self) -> String {
        let mut out = String::from("\n");
        out.push_str(&self.results.render());
        if !self.chain.is_empty() {
            out.push_str(
                "\nThe audit chain's cost at the database, pgbench (issue 4, item 8):\n\n",
            );
            out.push_str(&self.chain.render());
        }
        if self.missed.is_empty() {
            out.push_str("\nEvery target met.\n");
        } else {
            out.push_str("\nMissed:\n");
            for m in &self.missed {
                let _ = writeln!(out, "- {m}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands_and_keep_small_ratios() {
        assert_eq!(number(1_003_020.0), "1 003 020");
        assert_eq!(number(999.0), "999");
        assert_eq!(number(0.634), "0.63");
        assert_eq!(number(139875.4), "139 875");
    }

    #[test]
    fn targets_judge_their_figure() {
        assert!(Target::AtLeast(0.5).met(0.5));
        assert!(!Target::AtMost(2.0).met(2.3));
        assert!(!Target::Below(100.0).met(100.0));
    }
}
