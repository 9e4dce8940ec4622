//! Cumulative incidence by exit class: stacked areas over the horizons, one panel per entry
//! cohort (national level, all groups; the six latest cohorts with published values).

use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

use crate::disclosure::SafeTable;
use crate::error::Error;
use crate::measures::{floats, ints, texts as strs};
use crate::schema::out::{self, CIF, ENTRY_YEAR, EXIT_CLASS, T_DAYS};

use super::panel::{self, err, DayPanel, DayPanels, DrawResult, Plot, PALETTE};
use super::{distinct, national, Chart};

/// Entry cohorts drawn: the latest ones, as many as fit the page.
const COHORTS: usize = 6;

/// The cohorts' panels.
pub struct IncidenceChart {
    panels: Vec<CohortClasses>,
}

/// An entry cohort and every exit class's cumulative incidence on the same times.
struct CohortClasses {
    year: i64,
    classes: Vec<ClassSeries>,
}

/// An exit class and its cumulative incidence points (t, F).
type ClassSeries = (String, Vec<(f64, f64)>);

impl IncidenceChart {
    pub fn from(t: &SafeTable) -> Result<Self, Error> {
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
        let latest = cohorts.split_off(cohorts.len().saturating_sub(COHORTS));
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
                CohortClasses {
                    year: y,
                    classes: aligned(raw),
                }
            })
            .collect();
        Ok(IncidenceChart { panels })
    }
}

/// The classes on the union of their times (a suppressed value holds the previous published
/// one), so the areas stack.
fn aligned(raw: Vec<ClassSeries>) -> Vec<ClassSeries> {
    let mut times: Vec<f64> = raw
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    raw.into_iter()
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
        .collect()
}

impl Chart for IncidenceChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        DayPanels {
            title: (
                "Cumulative incidence of exit by class and entry cohort (Aalen–Johansen, Denmark)",
                24,
            ),
            caption_size: 18,
            y_desc: "cumulative share exited",
            font: 12,
            legend: SeriesLabelPosition::UpperLeft,
        }
        .draw(root, &self.panels)
    }
}

impl DayPanel for CohortClasses {
    fn caption(&self) -> String {
        format!("entry {}", self.year)
    }

    fn last_day(&self) -> f64 {
        self.classes
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.0))
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Stacked areas: each class sits on the sum of the classes before it, at the same times.
    fn draw<'a, DB: DrawingBackend + 'a>(&self, plot: &mut Plot<'a, DB>) -> DrawResult {
        let times: Vec<f64> = self
            .classes
            .first()
            .map(|(_, p)| p.iter().map(|q| q.0).collect())
            .unwrap_or_default();
        let mut base = vec![0.0; times.len()];
        for (j, (class, points)) in self.classes.iter().enumerate() {
            let colour = PALETTE[j % PALETTE.len()];
            let top: Vec<f64> = base.iter().zip(points).map(|(b, p)| b + p.1).collect();
            let mut poly: Vec<(f64, f64)> =
                times.iter().copied().zip(top.iter().copied()).collect();
            poly.extend(times.iter().copied().zip(base.iter().copied()).rev());
            plot.draw_series(std::iter::once(Polygon::new(
                poly,
                colour.mix(0.7).filled(),
            )))
            .map_err(err)?
            .label(class.as_str())
            .legend(panel::swatch(colour));
            base = top;
        }
        Ok(())
    }
}
