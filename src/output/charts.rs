//! Charts (PNG and SVG, 1200×800) drawn with plotters from the protected tables only.
//!
//! Text is laid out with DejaVu Sans compiled into the binary (registered with plotters'
//! ab_glyph backend), so charts render the same on a headless machine without system fonts.
//! Colours are the Okabe–Ito palette, which stays distinguishable under the common forms of
//! colour blindness.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use polars::prelude::*;

use crate::disclosure::SafeTable;
use crate::disclosure::{Hierarchy, SafeTables};
use crate::error::Error;
use crate::measures::{floats, ints, texts as strs};
use crate::schema::out::TableId;
use crate::schema::out::{CIF, CI_HI, CI_LO, ENTRY_YEAR, EXIT_CLASS, SURVIVAL, T_DAYS};
use crate::schema::{out, DURATION_BANDS};

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
const SIZE: (u32, u32) = (1200, 800);
const FONT: &str = "sans-serif";

/// Okabe–Ito colour-blind-safe palette.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

type DrawResult = Result<(), String>;

/// A chart that can draw itself on any plotters backend.
trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

fn register_font() -> Result<(), Error> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| {
                Error::Internal("the embedded DejaVu Sans font could not be loaded".into())
            });
    });
    result
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Draws `chart` into `<dir>/<name>.png` and `<dir>/<name>.svg`.
fn render(chart: &impl Chart, dir: &Path, name: &str) -> Result<(), Error> {
    render_sized(chart, dir, name, SIZE)
}

fn render_sized(chart: &impl Chart, dir: &Path, name: &str, size: (u32, u32)) -> Result<(), Error> {
    let fail = |e: String| Error::Internal(format!("chart {name}: {e}"));
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(err).map_err(fail)?;
        chart.draw(&root).map_err(fail)?;
        root.present().map_err(err).map_err(fail)?;
    }
    let svg = dir.join(format!("{name}.svg"));
    let root = SVGBackend::new(&svg, size).into_drawing_area();
    root.fill(&WHITE).map_err(err).map_err(fail)?;
    chart.draw(&root).map_err(fail)?;
    root.present().map_err(err).map_err(fail)?;
    Ok(())
}

/// Writes every chart the tables allow into `dir/charts/`.
pub fn write_all(safe: &SafeTables, dir: &Path) -> Result<(), Error> {
    register_font()?;
    let charts = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts).map_err(Error::io(&charts))?;
    let table = |id| safe.get(id);
    if let Some(t) = table(TableId::SurvivalCurves) {
        render(
            &SurvivalChart::from(t)?,
            &charts,
            TableId::SurvivalCurves.name(),
        )?;
    }
    if let Some(t) = table(TableId::StockDuration) {
        render(
            &StockChart::from(t)?,
            &charts,
            TableId::StockDuration.name(),
        )?;
    }
    if let Some(t) = table(TableId::CumulativeIncidence) {
        render(
            &IncidenceChart::from(t)?,
            &charts,
            TableId::CumulativeIncidence.name(),
        )?;
    }
    if let Some(t) = table(TableId::Indicators) {
        for measure in HEADLINE_MEASURES {
            let chart = IndicatorChart::from(t, measure, safe.hierarchy())?;
            render_sized(
                &chart.bars(),
                &charts,
                &format!("indicator_{measure}"),
                chart.bars_size(),
            )?;
            render(
                &chart.panels(),
                &charts,
                &format!("indicator_{measure}_groups"),
            )?;
        }
    }
    Ok(())
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

/// At most `n` items, evenly spread and always including the last (the latest cohort), so the
/// lines stay distinguishable.
fn spread<T>(items: Vec<T>, n: usize) -> Vec<T> {
    let len = items.len();
    if len <= n || n < 2 {
        return items;
    }
    let keep: Vec<usize> = (0..n)
        .map(|i| (len - 1) - (n - 1 - i) * (len - 1) / (n - 1))
        .collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, x)| x)
        .collect()
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

fn panel_grid(n: usize) -> (usize, usize) {
    match n {
        0 | 1 => (1, 1),
        2 => (1, 2),
        3 | 4 => (2, 2),
        _ => (2, n.div_ceil(2)),
    }
}

/// One line with its band: (x, y, lo, hi).
type Curve = Vec<(f64, f64, f64, f64)>;

/// Survival curves with shaded confidence bands, one line per entry cohort, one panel per
/// group (national level).
struct SurvivalChart {
    panels: Vec<(String, Vec<(i64, Curve)>)>,
}

impl SurvivalChart {
    fn from(t: &SafeTable) -> Result<Self, Error> {
        let df = national(t)?;
        let (groups, years) = (strs(&df, out::GROUP)?, ints(&df, ENTRY_YEAR)?);
        let (ts, s, lo, hi) = (
            ints(&df, T_DAYS)?,
            floats(&df, SURVIVAL)?,
            floats(&df, CI_LO)?,
            floats(&df, CI_HI)?,
        );
        let mut panels: Vec<(String, Vec<(i64, Curve)>)> = Vec::new();
        for g in groups_in_order(&groups) {
            let mut curves: Vec<(i64, Curve)> = Vec::new();
            for i in (0..df.height()).filter(|&i| groups[i] == g) {
                let (Some(y), Some(t), Some(s)) = (years[i], ts[i], s[i]) else {
                    continue;
                };
                let point = (t as f64, s, lo[i].unwrap_or(s), hi[i].unwrap_or(s));
                match curves.iter_mut().find(|(cy, _)| *cy == y) {
                    Some((_, c)) => c.push(point),
                    None => curves.push((y, vec![point])),
                }
            }
            if !curves.is_empty() {
                panels.push((g, spread(curves, PALETTE.len() - 1)));
            }
        }
        Ok(SurvivalChart { panels })
    }
}

impl Chart for SurvivalChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let root = root
            .titled(
                "Share still on benefit by entry cohort (Kaplan–Meier, Denmark)",
                (FONT, 26),
            )
            .map_err(err)?;
        if self.panels.is_empty() {
            return no_data(&root);
        }
        let areas = root.split_evenly(panel_grid(self.panels.len()));
        let x_max = self
            .panels
            .iter()
            .flat_map(|(_, cs)| cs.iter().flat_map(|(_, c)| c.iter().map(|p| p.0)))
            .fold(30.0, f64::max);
        for ((group, curves), area) in self.panels.iter().zip(areas.iter()) {
            let mut chart = ChartBuilder::on(area)
                .caption(group, (FONT, 20))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..x_max, 0.0..1.0)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("days since spell start")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_desc("share still on benefit")
                .label_style((FONT, 13))
                .draw()
                .map_err(err)?;
            for (i, (year, curve)) in curves.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                let mut band: Vec<(f64, f64)> = curve.iter().map(|p| (p.0, p.3)).collect();
                band.extend(curve.iter().rev().map(|p| (p.0, p.2)));
                chart
                    .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
                    .map_err(err)?;
                chart
                    .draw_series(LineSeries::new(
                        curve.iter().map(|p| (p.0, p.1)),
                        colour.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(year.to_string())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font((FONT, 13))
                .draw()
                .map_err(err)?;
        }
        Ok(())
    }
}

/// Stock on R by duration band: stacked bars per group (national level).
struct StockChart {
    groups: Vec<(String, Vec<f64>)>,
}

impl StockChart {
    fn from(t: &SafeTable) -> Result<Self, Error> {
        let df = national(t)?;
        let (groups, bands, persons) = (
            strs(&df, out::GROUP)?,
            strs(&df, out::DURATION_BAND)?,
            ints(&df, out::PERSONS)?,
        );
        let mut out: Vec<(String, Vec<f64>)> = Vec::new();
        for g in groups_in_order(&groups) {
            let counts = DURATION_BANDS
                .iter()
                .map(|(band, _)| {
                    (0..df.height())
                        .filter(|&i| groups[i] == g && bands[i] == *band)
                        .filter_map(|i| persons[i])
                        .sum::<i64>() as f64
                })
                .collect();
            out.push((g, counts));
        }
        Ok(StockChart { groups: out })
    }
}

impl Chart for StockChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let root = root
            .titled(
                "Persons on benefit on the reference date by duration (Denmark)",
                (FONT, 26),
            )
            .map_err(err)?;
        if self.groups.is_empty() {
            return no_data(&root);
        }
        let y_max = self
            .groups
            .iter()
            .map(|(_, c)| c.iter().sum::<f64>())
            .fold(1.0, f64::max)
            * 1.1;
        let n = self.groups.len();
        let names: Vec<String> = self.groups.iter().map(|(g, _)| g.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..n as f64, 0.0..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let i = (*x - 0.5).round();
                if (*x - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc("group")
            .y_desc("persons")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        for (b, (band, _)) in DURATION_BANDS.iter().enumerate() {
            let colour = PALETTE[b % PALETTE.len()];
            let bars = self.groups.iter().enumerate().map(|(i, (_, counts))| {
                let below: f64 = counts[..b].iter().sum();
                Rectangle::new(
                    [
                        (i as f64 + 0.15, below),
                        (i as f64 + 0.85, below + counts[b]),
                    ],
                    colour.filled(),
                )
            });
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(*band)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// Cumulative incidence by exit class: stacked areas over the horizons, one panel per entry
/// cohort (national level, all groups; the six latest cohorts with published values).
struct IncidenceChart {
    panels: Vec<(i64, Vec<ClassSeries>)>,
}

/// An exit class and its cumulative incidence points (t, F).
type ClassSeries = (String, Vec<(f64, f64)>);

impl IncidenceChart {
    fn from(t: &SafeTable) -> Result<Self, Error> {
        let df = national(t)?
            .lazy()
            .filter(
                col(out::GROUP)
                    .eq(lit(crate::schema::ALL_GROUPS))
                    .and(col(CIF).is_not_null()),
            )
            .collect()?;
        let (years, classes, ts, cif) = (
            ints(&df, ENTRY_YEAR)?,
            strs(&df, EXIT_CLASS)?,
            ints(&df, T_DAYS)?,
            floats(&df, CIF)?,
        );
        let mut cohorts: Vec<i64> = distinct(&years).into_iter().flatten().collect();
        cohorts.sort_unstable();
        let latest = cohorts.split_off(cohorts.len().saturating_sub(6));
        let panels = latest
            .into_iter()
            .map(|y| {
                let raw: Vec<ClassSeries> = crate::status::EXIT_CLASSES
                    .iter()
                    .map(|(class, _)| {
                        let mut points: Vec<(f64, f64)> = vec![(0.0, 0.0)];
                        points.extend(
                            (0..df.height())
                                .filter(|&i| years[i] == Some(y) && classes[i] == *class)
                                .filter_map(|i| Some((ts[i]? as f64, cif[i]?))),
                        );
                        ((*class).to_owned(), points)
                    })
                    .collect();
                // Align the classes on the union of their times (a suppressed value holds the
                // previous published one), so the areas stack.
                let mut times: Vec<f64> = raw
                    .iter()
                    .flat_map(|(_, p)| p.iter().map(|q| q.0))
                    .collect();
                times.sort_by(f64::total_cmp);
                times.dedup();
                let series = raw
                    .into_iter()
                    .map(|(class, points)| {
                        let aligned = times
                            .iter()
                            .map(|t| {
                                (
                                    *t,
                                    points.iter().rev().find(|q| q.0 <= *t).map_or(0.0, |q| q.1),
                                )
                            })
                            .collect();
                        (class, aligned)
                    })
                    .collect();
                (y, series)
            })
            .collect();
        Ok(IncidenceChart { panels })
    }
}

impl Chart for IncidenceChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let root = root
            .titled(
                "Cumulative incidence of exit by class and entry cohort (Aalen–Johansen, Denmark)",
                (FONT, 24),
            )
            .map_err(err)?;
        if self.panels.is_empty() {
            return no_data(&root);
        }
        let areas = root.split_evenly(panel_grid(self.panels.len()));
        let x_max = self
            .panels
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)))
            .fold(30.0, f64::max);
        for ((year, series), area) in self.panels.iter().zip(areas.iter()) {
            let mut chart = ChartBuilder::on(area)
                .caption(format!("entry {year}"), (FONT, 18))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..x_max, 0.0..1.0)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("days since spell start")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_desc("cumulative share exited")
                .label_style((FONT, 12))
                .draw()
                .map_err(err)?;
            // Stack: each class sits on the sum of the classes before it, at the same times.
            let times: Vec<f64> = series
                .first()
                .map(|(_, p)| p.iter().map(|q| q.0).collect())
                .unwrap_or_default();
            let mut base = vec![0.0; times.len()];
            for (j, (class, points)) in series.iter().enumerate() {
                let colour = PALETTE[j % PALETTE.len()];
                let top: Vec<f64> = base.iter().zip(points).map(|(b, p)| b + p.1).collect();
                let mut poly: Vec<(f64, f64)> =
                    times.iter().copied().zip(top.iter().copied()).collect();
                poly.extend(times.iter().copied().zip(base.iter().copied()).rev());
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        colour.mix(0.7).filled(),
                    )))
                    .map_err(err)?
                    .label(class.as_str())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                    });
                base = top;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font((FONT, 12))
                .draw()
                .map_err(err)?;
        }
        Ok(())
    }
}

fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.draw(&Text::new(
        "no published values",
        (SIZE.0 as i32 / 2 - 120, SIZE.1 as i32 / 2),
        (FONT, 24),
    ))
    .map_err(err)
}

/// One indicator for every municipality: (name, value, peer-group value) per group, plus the
/// national value per group.
struct IndicatorChart {
    measure: String,
    /// group → municipalities sorted by value (name, value, peer value), national value.
    groups: Vec<(String, Vec<Bar>, Option<f64>)>,
}

/// A municipality's bar: name, value, value of its peer group.
type Bar = (String, f64, Option<f64>);

impl IndicatorChart {
    /// `peers`: the peer groups the run used (from `--peers` when given), so each bar's mark
    /// is its own peer group's value.
    fn from(t: &SafeTable, measure: &str, peers: &Hierarchy) -> Result<Self, Error> {
        use crate::schema::out::{MEASURE, VALUE};
        let df = t
            .df()
            .clone()
            .lazy()
            .filter(col(MEASURE).eq(lit(measure)).and(col(VALUE).is_not_null()))
            .collect()?;
        let (levels, units, names, groups) = (
            strs(&df, out::LEVEL)?,
            strs(&df, out::UNIT)?,
            strs(&df, out::UNIT_NAME)?,
            strs(&df, out::GROUP)?,
        );
        let values = floats(&df, VALUE)?;
        let value_of = |level: &str, unit: &str, group: &str| {
            (0..df.height())
                .find(|&i| levels[i] == level && units[i] == unit && groups[i] == group)
                .and_then(|i| values[i])
        };
        let mut out = Vec::new();
        for g in groups_in_order(&groups) {
            let mut bars: Vec<Bar> = (0..df.height())
                .filter(|&i| levels[i] == out::LEVEL_MUNICIPALITY && groups[i] == g)
                .filter_map(|i| {
                    let peer = peers
                        .peer_of(&units[i])
                        .and_then(|p| value_of(out::LEVEL_PEER_GROUP, p, &g));
                    Some((names[i].clone(), values[i]?, peer))
                })
                .collect();
            bars.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let national = value_of(out::LEVEL_NATIONAL, out::NATIONAL_UNIT, &g);
            out.push((g, bars, national));
        }
        Ok(IndicatorChart {
            measure: measure.to_owned(),
            groups: out,
        })
    }

    fn bars(&self) -> IndicatorBars<'_> {
        IndicatorBars(self)
    }

    fn panels(&self) -> IndicatorPanels<'_> {
        IndicatorPanels(self)
    }

    /// Tall enough for a readable line per municipality.
    fn bars_size(&self) -> (u32, u32) {
        let n = self.groups.first().map_or(0, |(_, b, _)| b.len()) as u32;
        (SIZE.0, SIZE.1.max(120 + 14 * n))
    }
}

/// Value axis upper bound: proportions on [0, 1], rates on their own scale.
fn value_max(values: impl Iterator<Item = f64>) -> f64 {
    let m = values.fold(0.0, f64::max);
    if m <= 1.0 {
        1.0
    } else {
        m * 1.1
    }
}

/// All municipalities (group `all`) as horizontal bars, their peer-group value as a dot and the
/// national value as a line.
struct IndicatorBars<'a>(&'a IndicatorChart);

impl Chart for IndicatorBars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let chart = self.0;
        let title = format!(
            "{} by municipality (group all): bar = municipality, dot = peer group, line = Denmark",
            chart.measure
        );
        let root = root.titled(&title, (FONT, 20)).map_err(err)?;
        let Some((_, bars, national)) = chart.groups.first() else {
            return no_data(&root);
        };
        if bars.is_empty() {
            return no_data(&root);
        }
        let n = bars.len();
        let x_max = value_max(bars.iter().flat_map(|b| [b.1, b.2.unwrap_or(0.0)]));
        let mut c = ChartBuilder::on(&root)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
            .map_err(err)?;
        c.configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(chart.measure.as_str())
            .label_style((FONT, 11))
            .draw()
            .map_err(err)?;
        // Municipality names right-aligned beside the centre of their bar.
        let label =
            TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, b) in bars.iter().enumerate() {
            let (x, y) = c.backend_coord(&(0.0, (n - i - 1) as f64 + 0.5));
            root.draw(&Text::new(b.0.clone(), (x - 6, y), label.clone()))
                .map_err(err)?;
        }
        let row = |i: usize| (n - i - 1) as f64;
        c.draw_series(bars.iter().enumerate().map(|(i, b)| {
            Rectangle::new(
                [(0.0, row(i) + 0.15), (b.1, row(i) + 0.85)],
                PALETTE[0].filled(),
            )
        }))
        .map_err(err)?;
        c.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            b.2.map(|p| Circle::new((p, row(i) + 0.5), 4, PALETTE[1].filled()))
        }))
        .map_err(err)?;
        if let Some(v) = national {
            c.draw_series(std::iter::once(PathElement::new(
                vec![(*v, 0.0), (*v, n as f64)],
                PALETTE[5].stroke_width(2),
            )))
            .map_err(err)?;
        }
        Ok(())
    }
}

/// One small panel per group: municipalities' values sorted, national value as a line.
struct IndicatorPanels<'a>(&'a IndicatorChart);

impl Chart for IndicatorPanels<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let chart = self.0;
        let root = root
            .titled(
                &format!(
                    "{} by group: municipalities sorted (bars), Denmark (line)",
                    chart.measure
                ),
                (FONT, 22),
            )
            .map_err(err)?;
        let groups: Vec<_> = chart
            .groups
            .iter()
            .filter(|(_, b, _)| !b.is_empty())
            .collect();
        if groups.is_empty() {
            return no_data(&root);
        }
        let x_max = value_max(groups.iter().flat_map(|(_, b, _)| b.iter().map(|x| x.1)));
        for ((group, bars, national), area) in groups
            .iter()
            .zip(root.split_evenly(panel_grid(groups.len())).iter())
        {
            let n = bars.len();
            let mut c = ChartBuilder::on(area)
                .caption(group, (FONT, 16))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(30)
                .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
                .map_err(err)?;
            c.configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_desc(chart.measure.as_str())
                .y_desc("municipalities")
                .label_style((FONT, 11))
                .draw()
                .map_err(err)?;
            c.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let y = (n - i - 1) as f64;
                Rectangle::new([(0.0, y + 0.1), (b.1, y + 0.9)], PALETTE[0].filled())
            }))
            .map_err(err)?;
            if let Some(v) = national {
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(*v, 0.0), (*v, n as f64)],
                    PALETTE[5].stroke_width(2),
                )))
                .map_err(err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::out::{MEASURE, VALUE};

    #[test]
    fn each_bar_is_marked_with_the_peer_group_of_the_peers_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("peers.csv");
        std::fs::write(&file, "code,peer_group\n101,Mine\n147,Hovedstadskommuner\n").unwrap();
        let reference = crate::reference::Reference::load(Some(&file)).unwrap();
        let peers = Hierarchy::new(&reference).unwrap();
        let df = df!(
            out::LEVEL => ["municipality", "peer_group", "peer_group", "national"],
            out::UNIT => ["101", "Mine", "Hovedstadskommuner", "DK"],
            out::UNIT_NAME => ["København", "Mine", "Hovedstadskommuner", "Danmark"],
            out::GROUP => ["all", "all", "all", "all"],
            MEASURE => ["passive_12m"; 4],
            VALUE => [0.5, 0.7, 0.1, 0.4],
        )
        .unwrap();
        let table = SafeTable::unchecked(crate::measures::Table {
            id: TableId::Indicators,
            df,
            keys: vec![],
            definition: crate::measures::Definition::Text(""),
        });
        let chart = IndicatorChart::from(&table, "passive_12m", &peers).unwrap();
        let (group, bars, national) = &chart.groups[0];
        assert_eq!(group, "all");
        assert_eq!(bars, &vec![("København".to_owned(), 0.5, Some(0.7))]);
        assert_eq!(*national, Some(0.4));
    }
}
