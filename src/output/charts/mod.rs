//! Charts (PNG and SVG, 1200×800) drawn with plotters from the protected tables only.
//!
//! This module holds the list of charts a report has and draws each of them twice: the PNG
//! to its file, the SVG into memory. The SVG text goes to its file and, the very same string,
//! to the page, so the page cannot differ from the files beside it and never reads the folder
//! back (where a stray file could reach it). How a chart looks is in its own file; what all of
//! them share (font, palette, panels, axes, legends) is in [`panel`].

mod funnel;
mod incidence;
mod indicators;
mod panel;
mod stock;
mod survival;

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

use crate::disclosure::{SafeTable, SafeTables};
use crate::error::Error;
use crate::schema::out::{self, TableId};

pub use funnel::FunnelChart;
use incidence::IncidenceChart;
use indicators::IndicatorChart;
use panel::{err, DrawResult, SIZE};
use stock::StockChart;
use survival::SurvivalChart;

pub const CHARTS_DIR: &str = "charts";
/// Indicators drawn as municipality bar charts: long-term share, the known failure (passive
/// 12 months), the legal contact rules and the outcome a year after entry.
pub const HEADLINE_MEASURES: [&str; 6] = [
    "long_term_share",
    "passive_12m",
    "first_meeting_7d",
    "meetings_4_in_6m",
    "rule_4_plus_1",
    "in_work_365",
];

/// A chart that can draw itself on any plotters backend, so one drawing serves the PNG and
/// the SVG.
pub trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// A chart as written: its name (the file stem under `charts/`) and the text of its SVG file.
#[derive(Debug)]
pub struct Rendered {
    pub name: String,
    pub svg: String,
}

/// Draws `chart` into `<dir>/<name>.png` and `<dir>/<name>.svg`; returns the SVG text.
fn render(chart: &impl Chart, dir: &Path, name: &str, size: (u32, u32)) -> Result<Rendered, Error> {
    let fail = |e: String| Error::Internal(format!("chart {name}: {e}"));
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        draw_on(chart, &root).map_err(fail)?;
    }
    let svg = svg_sized(chart, name, size)?;
    let path = dir.join(format!("{name}.svg"));
    std::fs::write(&path, &svg).map_err(Error::io(&path))?;
    Ok(Rendered {
        name: name.to_owned(),
        svg,
    })
}

/// The SVG text of `chart` at the standard size, drawn in memory only (for a page that embeds
/// a chart no file holds, such as a funnel with one municipality marked).
pub fn svg(chart: &impl Chart, name: &str) -> Result<String, Error> {
    svg_sized(chart, name, SIZE)
}

fn svg_sized(chart: &impl Chart, name: &str, size: (u32, u32)) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_on(chart, &root).map_err(|e| Error::Internal(format!("chart {name}: {e}")))?;
    }
    Ok(svg)
}

/// `chart` on a white page, finished.
fn draw_on<DB: DrawingBackend>(chart: &impl Chart, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    chart.draw(root)?;
    root.present().map_err(err)
}

/// Writes every chart the tables allow into `dir/charts/` and returns them in the order of their
/// SVG files' names, the order the page lists them in.
pub fn write_all(safe: &SafeTables, dir: &Path) -> Result<Vec<Rendered>, Error> {
    panel::register_font()?;
    let charts = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts).map_err(Error::io(&charts))?;
    let mut rendered = Vec::new();
    if let Some(t) = safe.get(TableId::SurvivalCurves) {
        rendered.push(render(&SurvivalChart::from(t)?, &charts, t.name(), SIZE)?);
    }
    if let Some(t) = safe.get(TableId::StockDuration) {
        rendered.push(render(&StockChart::from(t)?, &charts, t.name(), SIZE)?);
    }
    if let Some(t) = safe.get(TableId::CumulativeIncidence) {
        rendered.push(render(&IncidenceChart::from(t)?, &charts, t.name(), SIZE)?);
    }
    if let Some(t) = safe.get(TableId::Indicators) {
        for measure in HEADLINE_MEASURES {
            let chart = IndicatorChart::from(t, measure, safe.hierarchy())?;
            let name = format!("indicator_{measure}");
            rendered.push(render(&chart.bars(), &charts, &name, chart.bars_size())?);
            let name = format!("indicator_{measure}_groups");
            rendered.push(render(&chart.panels(), &charts, &name, SIZE)?);
            let name = format!("funnel_{measure}");
            rendered.push(render(
                &FunnelChart::from(t, measure)?,
                &charts,
                &name,
                SIZE,
            )?);
        }
    }
    rendered.sort_by_cached_key(|chart| format!("{}.svg", chart.name));
    Ok(rendered)
}

/// The national rows of a table.
fn national(t: &SafeTable) -> PolarsResult<DataFrame> {
    t.df()
        .clone()
        .lazy()
        .filter(col(out::LEVEL).eq(lit(out::LEVEL_NATIONAL)))
        .collect()
}

/// Group names with `all` first, then the others in byte order.
fn groups_in_order(groups: &[String]) -> Vec<String> {
    let mut out = distinct(groups);
    out.sort_by_key(|g| (g != crate::schema::ALL_GROUPS, g.clone()));
    out
}

/// Distinct values in first-seen order.
fn distinct<T: PartialEq + Clone>(xs: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in xs {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}
