//! The approve scenario's sign-offs/s against clients, for sanshen and both
//! pgbench twins, as a small self-contained SVG (issue 19 item 4):
//! `--plot signoffs.svg`. Clients on a log₂ axis, rates on a linear one
//! from zero.

use std::fmt::Write;

/// One line of the plot: `(clients, per second)` in the order measured.
pub struct Curve {
    pub name: &'static str,
    pub colour: &'static str,
    pub points: Vec<(usize, f64)>,
}

const W: f64 = 640.0;
const H: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// The SVG, or `None` when there is nothing to draw.
pub fn svg(title: &str, curves: &[Curve]) -> Option<String> {
    let xs: Vec<usize> = {
        let mut xs: Vec<usize> = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0))
            .collect();
        xs.sort_unstable();
        xs.dedup();
        xs
    };
    let top = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    if xs.is_empty() || top <= 0.0 {
        return None;
    }
    let (lo, hi) = (log2(xs[0]), log2(*xs.last()?));
    let x = |c: usize| {
        let span = (hi - lo).max(1.0);
        LEFT + (log2(c) - lo) / span * (W - LEFT - RIGHT)
    };
    let ymax = nice(top);
    let y = |v: f64| TOP + (1.0 - v / ymax) * (H - TOP - BOTTOM);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        W / 2.0,
        escape(title)
    );
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            crate::report::number(v),
            y0 = y(v)
        );
    }
    for &c in &xs {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{c}</text>",
            x(c),
            H - BOTTOM + 18.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">clients</text>\n\
         <text x=\"16\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1})\">per second</text>",
        (LEFT + W - RIGHT) / 2.0,
        H - 10.0,
        H / 2.0,
        H / 2.0
    );
    for (i, curve) in curves.iter().enumerate() {
        let points: Vec<String> = curve
            .points
            .iter()
            .map(|&(c, v)| format!("{:.1},{:.1}", x(c), y(v)))
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" "),
            colour = curve.colour
        );
        for &(c, v) in &curve.points {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
                x(c),
                y(v),
                curve.colour
            );
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let _ = writeln!(
            out,
            "<line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{c}\" stroke-width=\"2\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            W - RIGHT + 38.0,
            W - RIGHT + 44.0,
            ly + 4.0,
            escape(curve.name),
            lx = W - RIGHT + 16.0,
            c = curve.colour
        );
    }
    out.push_str("</svg>\n");
    Some(out)
}

fn log2(c: usize) -> f64 {
    (c.max(1) as f64).log2()
}

/// The axis' top: the next of 1, 2, 2.5, 5 × 10ⁿ at or above `v`.
fn nice(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|t| *t >= v)
        .unwrap_or(10.0 * p)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(name: &'static str, points: &[(usize, f64)]) -> Curve {
        Curve {
            name,
            colour: "#000",
            points: points.to_vec(),
        }
    }

    #[test]
    fn three_curves_on_log_clients() {
        let s = svg(
            "approve",
            &[
                curve(
                    "sanshen",
                    &[(1, 1003.0), (4, 1830.0), (16, 2150.0), (64, 1698.0)],
                ),
                curve(
                    "pgbench",
                    &[(1, 1147.0), (4, 2812.0), (16, 2851.0), (64, 2786.0)],
                ),
                curve(
                    "pgbench -M prepared",
                    &[(1, 1959.0), (4, 5306.0), (16, 5036.0), (64, 4924.0)],
                ),
            ],
        )
        .unwrap();
        assert_eq!(s.matches("<polyline").count(), 3);
        assert_eq!(s.matches("<circle").count(), 12);
        // 1, 4, 16, 64 evenly spaced: log₂ steps of 2.
        assert!(s.contains(">64</text>") && s.contains(">1</text>"));
        assert!(s.contains("pgbench -M prepared"));
        // The axis tops at 10 000, above the highest rate.
        assert!(s.contains(">10 000</text>"));
    }

    #[test]
    fn nothing_to_draw() {
        assert!(svg("x", &[]).is_none());
        assert!(svg("x", &[curve("a", &[(1, 0.0)])]).is_none());
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice(5306.0), 10_000.0);
        assert_eq!(nice(2150.0), 2500.0);
        assert_eq!(nice(180.0), 200.0);
    }
}
