//! The stock on the reference date by duration band: one stacked bar per group (national
//! level).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::disclosure::SafeTable;
use crate::error::Error;
use crate::measures::{ints, texts as strs};
use crate::schema::{out, DURATION_BANDS};

use super::panel::{self, err, DrawResult, Frame, PALETTE};
use super::{groups_in_order, national, Chart};

/// Per group, the persons in each duration band, in the order of [`DURATION_BANDS`].
pub struct StockChart {
    groups: Vec<(String, Vec<f64>)>,
}

impl StockChart {
    pub fn from(t: &SafeTable) -> Result<Self, Error> {
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
        let root = panel::titled(
            root,
            "Persons on benefit on the reference date by duration (Denmark)",
            26,
        )?;
        if self.groups.is_empty() {
            return panel::no_data(&root);
        }
        let y_max = self
            .groups
            .iter()
            .map(|(_, c)| c.iter().sum::<f64>())
            .fold(1.0, f64::max)
            * 1.1;
        let n = self.groups.len();
        let names: Vec<String> = self.groups.iter().map(|(g, _)| g.clone()).collect();
        let frame = Frame {
            caption: None,
            margin: 20,
            label_room: (50, 70),
        };
        let mut chart = frame.plot(&root, 0.0..n as f64, 0.0..y_max)?;
        // Each group's name under the middle of its bar, nothing at the other ticks.
        let group_at = |x: &f64| {
            let i = (*x - 0.5).round();
            if (*x - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        };
        panel::mesh(&mut chart, 14)
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&group_at)
            .x_desc("group")
            .y_desc("persons")
            .y_label_formatter(&|y| format!("{y:.0}"))
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
                .legend(panel::swatch(colour));
        }
        panel::legend(&mut chart, SeriesLabelPosition::MiddleRight, 14)
    }
}
