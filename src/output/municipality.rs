//! `municipality-<code>.html` (`run --municipality CODE`): one municipality's page, for a
//! jobcentre such as Halsnæs (260) that asks how it compares with municipalities like it once
//! its population mix is taken into account.
//!
//! Everything on it comes from the published `benchmark` and `indicators` tables (a suppressed
//! figure stays empty here too): each measure's value beside its peer group and Denmark, its
//! rank, its O/E ratio with the exact interval and its funnel flag, and one sentence that reads
//! the figure; then the funnel of each headline proportion with the municipality marked. It is
//! self-contained like `index.html` (inline SVG, no network) and is written inside the same
//! report folder, so it is swapped in with the report and listed in the manifest.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use polars::prelude::*;

use crate::dates;
use crate::disclosure::SafeTables;
use crate::error::Error;
use crate::measures::benchmark::FunnelFlag;
use crate::measures::indicators::{measure, Kind};
use crate::measures::{floats, ints, texts};
use crate::schema::out::{
    self, TableId, FUNNEL_FLAG, MEASURE, NATIONAL_VALUE, N_RANKED, OE_HI, OE_LO, OE_RATIO,
    PEER_VALUE, RANK, VALUE,
};

use super::charts::{self, FunnelChart, HEADLINE_MEASURES};
use super::html::{escape, page_start};
use super::RunInfo;

/// A municipality asked for with `--municipality`: its code, name and peer group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Municipality {
    pub code: i32,
    pub name: String,
    pub peer_group: String,
}

/// The page's file name in the report folder.
pub fn file_name(code: i32) -> String {
    format!("{PREFIX}{code}.html")
}

/// True for a file name [`file_name`] makes (a report folder may hold it).
pub fn is_page(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(".html"))
        .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
}

const PREFIX: &str = "municipality-";

/// One benchmark row as the page shows it.
struct Row {
    measure: String,
    value: Option<f64>,
    peer: Option<f64>,
    national: Option<f64>,
    rank: Option<i64>,
    ranked: Option<i64>,
    oe: Option<(f64, f64, f64)>,
    flag: Option<String>,
}

fn rows(safe: &SafeTables, code: i32) -> Result<Vec<Row>, Error> {
    let Some(table) = safe.get(TableId::Benchmark) else {
        return Ok(Vec::new());
    };
    let df = table
        .df()
        .clone()
        .lazy()
        .filter(col(out::UNIT).eq(lit(code.to_string())))
        .collect()?;
    let measures = texts(&df, MEASURE)?;
    let (value, peer, national) = (
        floats(&df, VALUE)?,
        floats(&df, PEER_VALUE)?,
        floats(&df, NATIONAL_VALUE)?,
    );
    let (rank, ranked) = (ints(&df, RANK)?, ints(&df, N_RANKED)?);
    let (oe, lo, hi) = (
        floats(&df, OE_RATIO)?,
        floats(&df, OE_LO)?,
        floats(&df, OE_HI)?,
    );
    let flags = df.column(FUNNEL_FLAG)?.str()?.clone();
    let mut rows: Vec<Row> = (0..df.height())
        .map(|i| Row {
            measure: measures[i].clone(),
            value: value[i],
            peer: peer[i],
            national: national[i],
            rank: rank[i],
            ranked: ranked[i],
            oe: oe[i].zip(lo[i]).zip(hi[i]).map(|((r, l), h)| (r, l, h)),
            flag: flags.get(i).map(str::to_owned),
        })
        .collect();
    // The registry's order (MEASURES.md §4), which groups related measures.
    let order = |m: &str| {
        crate::measures::indicators::MEASURES
            .iter()
            .position(|x| x.name == m)
    };
    rows.sort_by_key(|r| order(&r.measure));
    Ok(rows)
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{:.1} %", 100.0 * v))
}

/// The sentence that reads one row: against the expected count where there is an O/E ratio,
/// else against Denmark; and where the value lies outside Denmark's funnel, which side.
fn reading(row: &Row, confidence: &str) -> String {
    let funnel = [
        (FunnelFlag::Above95, "; above Denmark's 95 % funnel limit"),
        (FunnelFlag::Below95, "; below Denmark's 95 % funnel limit"),
        (
            FunnelFlag::Above998,
            "; above Denmark's 99.8 % funnel limit",
        ),
        (
            FunnelFlag::Below998,
            "; below Denmark's 99.8 % funnel limit",
        ),
    ]
    .into_iter()
    .find(|(flag, _)| row.flag.as_deref() == Some(flag.label()))
    .map_or("", |(_, text)| text);
    format!("{}{funnel}", compared(row, confidence))
}

/// The first part of [`reading`]: the comparison itself.
fn compared(row: &Row, confidence: &str) -> String {
    let what = measure(&row.measure).map_or(row.measure.as_str(), |m| m.reading);
    let Some(value) = row.value else {
        return "not published: too few persons behind it (disclosure control)".into();
    };
    if let Some((ratio, lo, hi)) = row.oe {
        let compared = if lo > 1.0 {
            format!("more {what} than expected")
        } else if hi < 1.0 {
            format!("fewer {what} than expected")
        } else {
            format!("about as many {what} as expected")
        };
        return format!("{compared} (O/E {ratio:.2}, {confidence} CI {lo:.2}–{hi:.2})");
    }
    match row.national {
        Some(n) if value > n => format!(
            "a higher share of {what} than Denmark ({} against {})",
            percent(Some(value)),
            percent(Some(n))
        ),
        Some(n) if value < n => format!(
            "a lower share of {what} than Denmark ({} against {})",
            percent(Some(value)),
            percent(Some(n))
        ),
        Some(_) => format!("the same share of {what} as Denmark"),
        None => format!(
            "{} {what}; Denmark's figure is not published",
            percent(Some(value))
        ),
    }
}

/// Writes `dir/municipality-<code>.html`.
pub fn write(
    safe: &SafeTables,
    info: &RunInfo,
    who: &Municipality,
    dir: &Path,
) -> Result<(), Error> {
    let name = file_name(who.code);
    let fail = |e: std::fmt::Error| Error::Internal(format!("{name}: {e}"));
    let period = format!(
        "{}..{}",
        dates::iso(info.period.start),
        dates::iso(info.period.end)
    );
    let confidence = format!("{} %", 100.0 * info.confidence);
    let title = format!("{} ({}) — forloeb {period}", who.name, who.code);
    let mut html = page_start(&title);
    write!(
        html,
        "<p>Peer group <b>{peer}</b> (DST's kommunegrupper unless the run was given --peers). \
         Report period {period}; forloeb {v}; extract sha256 <code>{es}</code>. \
         <a href=index.html>The whole report</a>.</p>\
         <p class=note>Values are the published indicators for all groups together. Rank: 1 is \
         the highest value among the municipalities that publish one. O/E: observed over the \
         count expected if the municipality had Denmark's rate in every stratum of age band × \
         sex × origin (indirect standardisation), with the exact Poisson {confidence} interval; \
         only for person- and spell-based proportions. Funnel: where the value lies against \
         Denmark's 95 % and 99.8 % limits for a municipality of its size. Empty cells are \
         suppressed (fewer than min_cell persons behind them, or partners of such cells).</p>",
        peer = escape(&who.peer_group),
        v = escape(&info.version),
        es = escape(&info.extract_sha256),
    )
    .map_err(fail)?;
    let rows = rows(safe, who.code)?;
    if rows.is_empty() {
        html.push_str("<p>This extract has no indicator rows for this municipality.</p>");
    } else {
        write!(
            html,
            "<table><thead><tr><th>measure</th><th>{}</th><th>{}</th><th>Denmark</th>\
             <th>rank</th><th>O/E ({confidence} CI)</th><th>funnel</th><th>reading</th></tr>\
             </thead><tbody>",
            escape(&who.name),
            escape(&who.peer_group)
        )
        .map_err(fail)?;
        for row in &rows {
            let rank = match (row.rank, row.ranked) {
                (Some(r), Some(n)) => format!("{r} of {n}"),
                _ => String::new(),
            };
            let oe = row.oe.map_or_else(String::new, |(r, lo, hi)| {
                format!("{r:.2} ({lo:.2}–{hi:.2})")
            });
            write!(
                html,
                "<tr><td style=text-align:left>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{rank}</td><td>{oe}</td><td>{}</td><td style=text-align:left>{}</td></tr>",
                escape(&row.measure),
                percent(row.value),
                percent(row.peer),
                percent(row.national),
                escape(row.flag.as_deref().unwrap_or("")),
                escape(&reading(row, &confidence)),
            )
            .map_err(fail)?;
        }
        html.push_str("</tbody></table>");
    }
    if let Some(indicators) = safe.get(TableId::Indicators) {
        html.push_str("<h2>Funnels</h2>");
        for m in HEADLINE_MEASURES {
            if measure(m).is_some_and(|m| m.kind != Kind::Proportion) {
                continue;
            }
            let chart = FunnelChart::from(indicators, m)?.marking(&who.code.to_string());
            let svg = charts::svg(&chart, &format!("funnel_{m}"))?;
            write!(html, "<h3>{}</h3><div>{svg}</div>", escape(m)).map_err(fail)?;
        }
    }
    html.push_str("</body></html>\n");
    let path = dir.join(name);
    fs::write(&path, html).map_err(Error::io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: Option<f64>, national: Option<f64>, oe: Option<(f64, f64, f64)>) -> Row {
        Row {
            measure: "first_meeting_7d".into(),
            value,
            peer: None,
            national,
            rank: None,
            ranked: None,
            oe,
            flag: None,
        }
    }

    #[test]
    fn a_reading_says_more_fewer_or_about_as_many_as_expected() {
        let r = |oe| reading(&row(Some(0.7), Some(0.8), Some(oe)), "95 %");
        assert_eq!(
            r((0.82, 0.70, 0.95)),
            "fewer first conversations within 7 days than expected (O/E 0.82, 95 % CI 0.70–0.95)"
        );
        assert_eq!(
            r((1.30, 1.05, 1.60)),
            "more first conversations within 7 days than expected (O/E 1.30, 95 % CI 1.05–1.60)"
        );
        assert!(r((0.90, 0.70, 1.10)).starts_with("about as many first conversations"));
        let mut above = row(Some(0.9), Some(0.8), Some((1.1, 0.9, 1.3)));
        above.flag = Some("above_95".into());
        assert!(reading(&above, "95 %").ends_with("1.30); above Denmark's 95 % funnel limit"));
    }

    #[test]
    fn without_an_oe_ratio_the_reading_compares_with_denmark() {
        assert_eq!(
            reading(&row(Some(0.25), Some(0.2), None), "95 %"),
            "a higher share of first conversations within 7 days than Denmark (25.0 % against 20.0 %)"
        );
        assert!(reading(&row(None, Some(0.2), None), "95 %").starts_with("not published"));
    }

    #[test]
    fn page_names_are_recognised_and_nothing_else() {
        assert_eq!(file_name(260), "municipality-260.html");
        assert!(is_page("municipality-260.html"));
        assert!(!is_page("municipality-.html"));
        assert!(!is_page("municipality-26a.html"));
        assert!(!is_page("notes.html"));
    }
}
