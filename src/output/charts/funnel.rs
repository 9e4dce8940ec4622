//! Funnel plot of one headline proportion (MEASURES.md §6, §8): every municipality's published
//! value against its denominator, with the national value and the control limits
//! `p ± z·√(p(1 − p)/n)` at 95 % and 99.8 %, with the very z of `benchmark`'s `funnel_flag`
//! ([`FunnelLimits`]), so a point outside a line is a municipality flagged beyond it.
//!
//! Why: a small municipality's share swings by chance far more than a large one's, so a ranking
//! alone puts the smallest municipalities at both ends. In a funnel, a municipality outside the
//! limits differs from the country by more than chance at its size; inside, it does not. The
//! Drawn from the published
//! `indicators` rows only (group `all`): a suppressed municipality is not a point.

use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

use crate::disclosure::SafeTable;
use crate::error::Error;
use crate::measures::benchmark::FunnelLimits;
use crate::measures::{floats, ints, texts};
use crate::schema::out::{self, DENOMINATOR, MEASURE, VALUE};
use crate::schema::ALL_GROUPS;

use super::panel::{self, err, DrawResult, Frame, FONT, PALETTE};
use super::Chart;

/// Points on each limit curve, spaced evenly in √n (the curve bends most at small n).
const CURVE_POINTS: usize = 200;

/// One municipality on the funnel.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    unit: String,
    name: String,
    den: f64,
    value: f64,
}

/// One headline proportion's funnel, optionally with one municipality marked.
#[derive(Debug, Clone)]
pub struct FunnelChart {
    measure: String,
    points: Vec<Point>,
    national: Option<f64>,
    marked: Option<String>,
}

impl FunnelChart {
    /// The published municipality rows (group `all`) of `measure` and the national value.
    pub fn from(t: &SafeTable, measure: &str) -> Result<Self, Error> {
        let df = t
            .df()
            .clone()
            .lazy()
            .filter(
                col(MEASURE)
                    .eq(lit(measure))
                    .and(col(out::GROUP).eq(lit(ALL_GROUPS)))
                    .and(col(VALUE).is_not_null())
                    .and(col(DENOMINATOR).is_not_null()),
            )
            .collect()?;
        let (levels, units, names) = (
            texts(&df, out::LEVEL)?,
            texts(&df, out::UNIT)?,
            texts(&df, out::UNIT_NAME)?,
        );
        let (values, dens) = (floats(&df, VALUE)?, ints(&df, DENOMINATOR)?);
        let mut points = Vec::new();
        let mut national = None;
        for i in 0..df.height() {
            let (Some(value), Some(den)) = (values[i], dens[i]) else {
                continue;
            };
            match levels[i].as_str() {
                out::LEVEL_MUNICIPALITY => points.push(Point {
                    unit: units[i].clone(),
                    name: names[i].clone(),
                    den: den as f64,
                    value,
                }),
                out::LEVEL_NATIONAL => national = Some(value),
                _ => {}
            }
        }
        Ok(FunnelChart {
            measure: measure.to_owned(),
            points,
            national,
            marked: None,
        })
    }

    /// The same funnel with municipality `unit` marked and named (for its own page).
    pub fn marking(&self, unit: &str) -> FunnelChart {
        FunnelChart {
            marked: Some(unit.to_owned()),
            ..self.clone()
        }
    }

    /// The limit curve `p ± z·√(p(1 − p)/n)` for n in `[1, n_max]`, clipped to [0, 1].
    fn limit(p: f64, z: f64, sign: f64, n_max: f64) -> Vec<(f64, f64)> {
        (0..=CURVE_POINTS)
            .map(|i| {
                let root = 1.0 + (n_max.sqrt() - 1.0) * i as f64 / CURVE_POINTS as f64;
                let n = root * root;
                let y = p + sign * z * (p * (1.0 - p) / n).sqrt();
                (n, y.clamp(0.0, 1.0))
            })
            .collect()
    }
}

impl Chart for FunnelChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let title = format!(
            "{}: municipalities by their denominator, with 95 % and 99.8 % limits around Denmark",
            self.measure
        );
        let root = panel::titled(root, &title, 22)?;
        let Some(p) = self.national.filter(|_| !self.points.is_empty()) else {
            return panel::no_data(&root);
        };
        let n_max = self.points.iter().map(|q| q.den).fold(1.0, f64::max) * 1.05;
        let frame = Frame {
            caption: None,
            margin: 20,
            label_room: (50, 60),
        };
        let mut plot = frame.plot(&root, 0.0..n_max, 0.0..1.0)?;
        panel::mesh(&mut plot, 14)
            .x_desc("denominator (persons or spells)")
            .y_desc(format!("{} (share)", self.measure))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(err)?;
        plot.draw_series(LineSeries::new(
            [(0.0, p), (n_max, p)],
            BLACK.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("Denmark {:.1} %", 100.0 * p))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        let limits = FunnelLimits::new();
        let drawn = [(limits.z95, "95 %"), (limits.z998, "99.8 %")];
        for (k, (z, label)) in drawn.into_iter().enumerate() {
            let colour = PALETTE[k];
            for sign in [1.0, -1.0] {
                let curve = plot
                    .draw_series(LineSeries::new(
                        Self::limit(p, z, sign, n_max),
                        colour.stroke_width(2),
                    ))
                    .map_err(err)?;
                if sign > 0.0 {
                    curve
                        .label(format!("{label} limits"))
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
                }
            }
        }
        let dot = PALETTE[2];
        plot.draw_series(
            self.points
                .iter()
                .map(|q| Circle::new((q.den, q.value), 4, dot.filled())),
        )
        .map_err(err)?
        .label("municipality")
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, dot.filled()));
        let marked = self
            .marked
            .as_ref()
            .and_then(|unit| self.points.iter().find(|q| &q.unit == unit));
        if let Some(q) = marked {
            let colour = PALETTE[5];
            plot.draw_series([Circle::new((q.den, q.value), 9, colour.filled())])
                .map_err(err)?;
            plot.draw_series([Text::new(
                format!("  {}", q.name),
                (q.den, q.value),
                (FONT, 18).into_font().color(&colour),
            )])
            .map_err(err)?;
        }
        panel::legend(&mut plot, SeriesLabelPosition::UpperRight, 14)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_narrow_with_the_denominator_and_stay_in_the_unit_interval() {
        // p = 0.5, z = 2: at n = 1 the half-width is 2·√0.25 = 1, clipped to [0, 1]; at n = 100
        // it is 2·0.5/10 = 0.1.
        let upper = FunnelChart::limit(0.5, 2.0, 1.0, 100.0);
        let lower = FunnelChart::limit(0.5, 2.0, -1.0, 100.0);
        assert_eq!((upper[0], lower[0]), ((1.0, 1.0), (1.0, 0.0)));
        let (n, y) = upper[CURVE_POINTS];
        assert!((n - 100.0).abs() < 1e-9 && (y - 0.6).abs() < 1e-12);
        assert!((lower[CURVE_POINTS].1 - 0.4).abs() < 1e-12);
    }
}
