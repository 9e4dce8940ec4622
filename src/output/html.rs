//! `index.html`: one self-contained page (inline SVG, no network) with the parameters in force,
//! what was suppressed, the charts, the definitions and the tables' pooled rows (peer groups and
//! Denmark; the municipality rows are in the Parquet files beside it).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use polars::prelude::*;

use crate::dates;
use crate::disclosure::SafeTables;
use crate::error::Error;
use crate::measures::Definition;
use crate::schema::out::{self, TableId};

use super::charts::Rendered;
use super::RunInfo;

pub const INDEX: &str = "index.html";
/// Rows shown per table; the Parquet file has them all.
const MAX_ROWS: usize = 400;

/// Text safe inside HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cell as text: floats with 4 decimals, null as an empty cell.
fn cell(value: AnyValue<'_>) -> String {
    match value {
        AnyValue::Null => String::new(),
        AnyValue::Float64(v) => format!("{v:.4}"),
        AnyValue::Float32(v) => format!("{v:.4}"),
        AnyValue::String(s) => escape(s),
        other => escape(&other.to_string()),
    }
}

fn table_html(df: &DataFrame, html: &mut String) -> Result<(), Error> {
    let fail = |e: std::fmt::Error| Error::Internal(format!("index.html: {e}"));
    let shown = df.head(Some(MAX_ROWS));
    html.push_str("<table><thead><tr>");
    for name in shown.get_column_names() {
        write!(html, "<th>{}</th>", escape(name)).map_err(fail)?;
    }
    html.push_str("</tr></thead><tbody>");
    for i in 0..shown.height() {
        html.push_str("<tr>");
        for column in shown.columns() {
            write!(html, "<td>{}</td>", cell(column.get(i)?)).map_err(fail)?;
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    if df.height() > MAX_ROWS {
        write!(
            html,
            "<p class=note>First {MAX_ROWS} of {} rows.</p>",
            df.height()
        )
        .map_err(fail)?;
    }
    Ok(())
}

/// The start of a report page, up to and including its heading: one style for every page.
pub fn page_start(title: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{title}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1250px}}\
         table{{border-collapse:collapse;font-size:12px;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}\
         th{{background:#eee}}.note{{color:#555;font-size:13px}}pre{{background:#f6f6f6;padding:1em}}</style>\
         </head><body><h1>{title}</h1>"
    )
}

/// Writes `dir/index.html` from the protected tables and the charts as they were written to
/// `dir/charts` (each SVG inline, in the order given).
pub fn write(
    safe: &SafeTables,
    charts: &[Rendered],
    info: &RunInfo,
    dir: &Path,
) -> Result<(), Error> {
    let fail = |e: std::fmt::Error| Error::Internal(format!("index.html: {e}"));
    let period = format!(
        "{}..{}",
        dates::iso(info.period.start),
        dates::iso(info.period.end)
    );
    let mut html = page_start(&format!("forloeb report {period}"));
    write!(
        html,
        "<p>forloeb {v}; extract {xs}..{xe}, sha256 <code>{es}</code>; configuration sha256 <code>{cs}</code>.</p>",
        v = escape(&info.version),
        xs = escape(&info.extract_start),
        xe = escape(&info.extract_end),
        es = escape(&info.extract_sha256),
        cs = escape(&info.config_sha256),
    )
    .map_err(fail)?;

    html.push_str("<h2>Disclosure control</h2><p>No published figure rests on fewer than <code>min_cell</code> persons (MEASURES.md §7, primary rules), and no suppressed figure can be worked out from the published ones and the sums that link them (secondary rules: further figures are hidden as partners). Suppressed values are empty cells with <code>suppressed = true</code>.</p><ul>");
    for (table, n) in safe.suppressed() {
        let what = if *table == TableId::SurvivalCurves {
            "points not published"
        } else {
            "rows with suppressed values"
        };
        write!(
            html,
            "<li>{}: {} {what}; of {} figures, {} hidden by the primary rules and {} more as partners</li>",
            table.name(),
            n.rows,
            n.cells,
            n.primary_cells,
            n.secondary_cells
        )
        .map_err(fail)?;
    }
    html.push_str("</ul>");
    if !safe.notes().is_empty() {
        html.push_str("<h2>Not computed</h2><ul>");
        for note in safe.notes() {
            write!(html, "<li>{}</li>", escape(note)).map_err(fail)?;
        }
        html.push_str("</ul>");
    }

    html.push_str("<h2>Charts</h2>");
    for chart in charts {
        write!(
            html,
            "<h3>{}</h3><div>{}</div>",
            escape(&chart.name),
            chart.svg
        )
        .map_err(fail)?;
    }

    html.push_str("<h2>Tables</h2><p class=note>Peer groups and Denmark; every row, municipalities included, is in <code>tables/&lt;name&gt;.parquet</code>.</p>");
    for table in safe.tables() {
        write!(html, "<h3>{}</h3>", table.name()).map_err(fail)?;
        match table.definition() {
            Definition::Measures(definitions) => {
                // Listed by measure name, as the footer's JSON object has them.
                let mut definitions = definitions.clone();
                definitions.sort();
                html.push_str("<ul>");
                for (measure, text) in definitions {
                    write!(
                        html,
                        "<li><b>{}</b>: {}</li>",
                        escape(measure),
                        escape(text)
                    )
                    .map_err(fail)?;
                }
                html.push_str("</ul>");
            }
            Definition::Text(text) => write!(html, "<p>{}</p>", escape(text)).map_err(fail)?,
        }
        let pooled = match table.df().column(out::LEVEL) {
            Ok(_) => table
                .df()
                .clone()
                .lazy()
                .filter(col(out::LEVEL).neq(lit(out::LEVEL_MUNICIPALITY)))
                .collect()?,
            Err(_) => table.df().clone(),
        };
        table_html(&pooled, &mut html)?;
    }

    let config = serde_json::to_string_pretty(&info.configuration)
        .map_err(|e| Error::Internal(format!("index.html: {e}")))?;
    write!(
        html,
        "<h2>Parameters in force</h2><pre>{}</pre>",
        escape(&config)
    )
    .map_err(fail)?;
    if !info.warnings.is_empty() {
        html.push_str("<h2>Warnings</h2><ul>");
        for w in &info.warnings {
            write!(html, "<li>{}</li>", escape(w)).map_err(fail)?;
        }
        html.push_str("</ul>");
    }
    html.push_str("</body></html>\n");
    let path = dir.join(INDEX);
    fs::write(&path, html).map_err(Error::io(&path))
}
