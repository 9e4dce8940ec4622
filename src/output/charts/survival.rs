//! Survival curves: the share still on benefit by days since entry, one line per entry cohort
//! with its confidence band shaded, one panel per group (national level).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::disclosure::SafeTable;
use crate::error::Error;
use crate::measures::{floats, ints, texts as strs};
use crate::schema::out::{self, CI_HI, CI_LO, ENTRY_YEAR, SURVIVAL, T_DAYS};

use super::panel::{err, DayPanel, DayPanels, DrawResult, Plot, PALETTE};
use super::{groups_in_order, national, Chart};

/// One line with its band: (x, y, lo, hi).
type Curve = Vec<(f64, f64, f64, f64)>;

/// The groups' panels.
pub struct SurvivalChart {
    panels: Vec<GroupCurves>,
}

/// A group and the curves of the entry cohorts drawn (at most one per palette colour but
/// black).
struct GroupCurves {
    group: String,
    curves: Vec<(i64, Curve)>,
}

impl SurvivalChart {
    pub fn from(t: &SafeTable) -> Result<Self, Error> {
        let df = national(t)?;
        let (groups, years) = (strs(&df, out::GROUP)?, ints(&df, ENTRY_YEAR)?);
        let (ts, s, lo, hi) = (
            ints(&df, T_DAYS)?,
            floats(&df, SURVIVAL)?,
            floats(&df, CI_LO)?,
            floats(&df, CI_HI)?,
        );
        let mut panels = Vec::new();
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
                panels.push(GroupCurves {
                    group: g,
                    curves: spread(curves, PALETTE.len() - 1),
                });
            }
        }
        Ok(SurvivalChart { panels })
    }
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

impl Chart for SurvivalChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        DayPanels {
            title: (
                "Share still on benefit by entry cohort (Kaplan–Meier, Denmark)",
                26,
            ),
            caption_size: 20,
            y_desc: "share still on benefit",
            font: 13,
            legend: SeriesLabelPosition::MiddleRight,
        }
        .draw(root, &self.panels)
    }
}

impl DayPanel for GroupCurves {
    fn caption(&self) -> String {
        self.group.clone()
    }

    fn last_day(&self) -> f64 {
        self.curves
            .iter()
            .flat_map(|(_, c)| c.iter().map(|p| p.0))
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Each cohort's line over its shaded confidence band.
    fn draw<'a, DB: DrawingBackend + 'a>(&self, plot: &mut Plot<'a, DB>) -> DrawResult {
        for (i, (year, curve)) in self.curves.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let mut band: Vec<(f64, f64)> = curve.iter().map(|p| (p.0, p.3)).collect();
            band.extend(curve.iter().rev().map(|p| (p.0, p.2)));
            plot.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
                .map_err(err)?;
            plot.draw_series(LineSeries::new(
                curve.iter().map(|p| (p.0, p.1)),
                colour.stroke_width(2),
            ))
            .map_err(err)?
            .label(year.to_string())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
            });
        }
        Ok(())
    }
}
