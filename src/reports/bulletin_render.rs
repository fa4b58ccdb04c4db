//! The bulletin as CSV (UTF-8 with a BOM, so that Excel shows Chinese),
//! XLSX and printable HTML with inline SVG bar charts (no scripts, no
//! external assets, everything escaped by the template engine).

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::Serialize;

use crate::reports::bulletin::{Bulletin, Figures};

/// Written first in every CSV: Excel reads a file without it as the
/// system's legacy code page and garbles Chinese.
pub const BOM: &[u8] = "\u{feff}".as_bytes();

const FIGURE_COLUMNS: [&str; 12] = [
    "submitted",
    "published",
    "returned",
    "withdrawn",
    "retracted",
    "corrected",
    "overdue_steps",
    "hours_items",
    "hours_p50",
    "hours_p90",
    "top_return_reasons",
    "check_findings",
];

fn hours(h: Option<f64>) -> String {
    h.map(|h| format!("{h:.2}")).unwrap_or_default()
}

/// The figures as cells: counts, hours to two decimals, reasons as
/// `reason×n` and findings as `rule=n`, each list joined with "; ".
fn figure_cells(f: &Figures) -> Vec<String> {
    let reasons: Vec<String> = f
        .top_return_reasons
        .iter()
        .map(|r| format!("{}×{}", r.reason, r.count))
        .collect();
    let findings: Vec<String> = f
        .check_findings
        .iter()
        .map(|(rule, n)| format!("{rule}={n}"))
        .collect();
    let mut cells: Vec<String> = [
        f.submitted,
        f.published,
        f.returned,
        f.withdrawn,
        f.retracted,
        f.corrected,
        f.overdue_steps,
        f.hours_to_publishable.items,
    ]
    .iter()
    .map(i64::to_string)
    .collect();
    cells.push(hours(f.hours_to_publishable.p50));
    cells.push(hours(f.hours_to_publishable.p90));
    cells.push(reasons.join("; "));
    cells.push(findings.join("; "));
    cells
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// One table of figures, a row per scope; `scope` says which (office,
/// department, department_channel); then, after an empty line, the channels.
/// A header and its rows.
type Table = (Vec<String>, Vec<Vec<String>>);

fn tables(b: &Bulletin) -> (Table, Table) {
    let mut header: Vec<String> = [
        "month",
        "scope",
        "department_code",
        "department_name",
        "channel",
        "quota",
        "quota_share",
        "rank",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(FIGURE_COLUMNS.iter().map(|s| s.to_string()));
    let mut rows = Vec::new();
    let mut push = |scope: &str, lead: [String; 6], f: &Figures| {
        let mut row = vec![b.month.clone(), scope.to_string()];
        row.extend(lead);
        row.extend(figure_cells(f));
        rows.push(row);
    };
    push("office", Default::default(), &b.office);
    for d in &b.departments {
        let share = d.quota_share.map(|s| format!("{s:.4}"));
        let lead = [
            opt(&d.code),
            opt(&d.name),
            String::new(),
            opt(&d.quota),
            opt(&share),
            opt(&d.rank),
        ];
        push("department", lead, &d.figures);
    }
    for c in &b.department_channels {
        let lead = [
            opt(&c.department_code),
            String::new(),
            c.channel.clone(),
            String::new(),
            String::new(),
            String::new(),
        ];
        push("department_channel", lead, &c.figures);
    }
    let channel_header = [
        "channel",
        "name",
        "last_published_at",
        "days_since_last_publication",
        "silent",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let channel_rows = b
        .channels
        .iter()
        .map(|c| {
            vec![
                c.channel.clone(),
                c.name.clone(),
                opt(&c.last_published_at),
                opt(&c.days_since_last_publication),
                c.silent.to_string(),
            ]
        })
        .collect();
    ((header, rows), (channel_header, channel_rows))
}

pub fn csv(b: &Bulletin) -> Result<Vec<u8>, csv::Error> {
    let ((header, rows), (channel_header, channel_rows)) = tables(b);
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BOM.to_vec());
    out.write_record(&header)?;
    for row in rows {
        out.write_record(&row)?;
    }
    out.write_record([""])?;
    out.write_record(&channel_header)?;
    for row in channel_rows {
        out.write_record(&row)?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

fn sheet(ws: &mut Worksheet, header: &[String], rows: &[Vec<String>]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            // Numbers as numbers, so that Excel can sum and sort them.
            match cell.parse::<f64>() {
                Ok(n) if !cell.is_empty() && col > 0 => {
                    ws.write_number(r as u32 + 1, col as u16, n)?
                }
                _ => ws.write_string(r as u32 + 1, col as u16, cell)?,
            };
        }
    }
    Ok(())
}

pub fn xlsx(b: &Bulletin) -> Result<Vec<u8>, XlsxError> {
    let ((header, rows), (channel_header, channel_rows)) = tables(b);
    let mut book = Workbook::new();
    sheet(book.add_worksheet().set_name("figures")?, &header, &rows)?;
    sheet(
        book.add_worksheet().set_name("channels")?,
        &channel_header,
        &channel_rows,
    )?;
    book.save_to_buffer()
}

/// One bar of a chart, its geometry worked out here so that the template
/// only places it.
#[derive(Serialize)]
struct Bar {
    y: u32,
    width: u32,
    value: String,
    class: &'static str,
}

#[derive(Serialize)]
struct ChartRow {
    label: String,
    label_y: u32,
    bars: Vec<Bar>,
}

const BAR_SPAN: f64 = 420.0;
const BAR_HEIGHT: u32 = 14;

fn width(value: f64, max: f64) -> u32 {
    if max <= 0.0 || value <= 0.0 {
        return 0;
    }
    // At least one pixel, so that 1 of 1000 is still seen as not nothing.
    ((value / max) * BAR_SPAN).round().max(1.0) as u32
}

/// Per department: submitted, published and returned, on one scale.
fn department_chart(b: &Bulletin) -> (Vec<ChartRow>, u32) {
    let max = b
        .departments
        .iter()
        .flat_map(|d| [d.figures.submitted, d.figures.published, d.figures.returned])
        .max()
        .unwrap_or(0) as f64;
    let row_height = 3 * BAR_HEIGHT + 14;
    let rows: Vec<ChartRow> = b
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let top = i as u32 * row_height + 8;
            let f = &d.figures;
            let bars = [
                (f.submitted, "submitted"),
                (f.published, "published"),
                (f.returned, "returned"),
            ]
            .iter()
            .enumerate()
            .map(|(j, (v, class))| Bar {
                y: top + j as u32 * BAR_HEIGHT,
                width: width(*v as f64, max),
                value: v.to_string(),
                class,
            })
            .collect();
            ChartRow {
                label: d.name.clone().unwrap_or_else(|| "（无科室）".into()),
                label_y: top + BAR_HEIGHT + 10,
                bars,
            }
        })
        .collect();
    let height = rows.len() as u32 * row_height + 16;
    (rows, height)
}

/// Per channel: days since the last publication, silent ones marked.
fn silence_chart(b: &Bulletin) -> (Vec<ChartRow>, u32, u32) {
    let days = |d: Option<i64>| d.unwrap_or(0).max(0) as f64;
    let max = b
        .channels
        .iter()
        .map(|c| days(c.days_since_last_publication))
        .fold(crate::domain::bulletin::SILENT_DAYS as f64 * 1.5, f64::max);
    let row_height = BAR_HEIGHT + 12;
    let rows: Vec<ChartRow> = b
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let top = i as u32 * row_height + 8;
            let value = match c.days_since_last_publication {
                Some(d) => format!("{d} 天"),
                None => "从未发布".into(),
            };
            ChartRow {
                label: c.name.clone(),
                label_y: top + 11,
                bars: vec![Bar {
                    y: top,
                    width: width(days(c.days_since_last_publication), max),
                    value,
                    class: if c.silent { "silent" } else { "active" },
                }],
            }
        })
        .collect();
    let threshold = width(crate::domain::bulletin::SILENT_DAYS as f64, max);
    let height = rows.len() as u32 * row_height + 16;
    (rows, height, threshold)
}

pub fn html(b: &Bulletin) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    // The name ends in .html, so every value is HTML-escaped on output.
    env.add_filter("hours", |h: Option<f64>| {
        h.map_or("—".to_string(), |h| format!("{h:.1}"))
    });
    env.add_filter("percent", |s: Option<f64>| {
        s.map_or("—".to_string(), |s| format!("{:.0}%", s * 100.0))
    });
    env.add_template(
        "bulletin.html",
        include_str!("../../templates/bulletin.html"),
    )?;
    let (departments, departments_height) = department_chart(b);
    let (channels, channels_height, threshold) = silence_chart(b);
    env.get_template("bulletin.html")?
        .render(minijinja::context! {
            b => minijinja::value::Serde(b),
            department_chart => minijinja::value::Serde(&departments),
            department_chart_height => departments_height,
            channel_chart => minijinja::value::Serde(&channels),
            channel_chart_height => channels_height,
            silent_threshold_x => threshold,
            silent_days => crate::domain::bulletin::SILENT_DAYS,
        })
}
