//! One headline indicator for every municipality: all municipalities as bars with their peer
//! group and Denmark beside them, and one small panel per group.

use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::*;

use crate::disclosure::{Hierarchy, SafeTable};
use crate::error::Error;
use crate::measures::{floats, texts as strs};
use crate::schema::out::{self, MEASURE, VALUE};

use super::panel::{self, err, DrawResult, Frame, Plot, FONT, PALETTE, SIZE};
use super::{groups_in_order, Chart};

/// One indicator for every municipality: (name, value, peer-group value) per group, plus the
/// national value per group.
pub struct IndicatorChart {
    measure: String,
    /// group → municipalities sorted by value (name, value, peer value), national value.
    groups: Vec<(String, Vec<Bar>, Option<f64>)>,
}

/// A municipality's bar: name, value, value of its peer group.
type Bar = (String, f64, Option<f64>);

impl IndicatorChart {
    /// `peers`: the peer groups the run used (from `--peers` when given), so each bar's mark
    /// is its own peer group's value.
    pub fn from(t: &SafeTable, measure: &str, peers: &Hierarchy) -> Result<Self, Error> {
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

    pub fn bars(&self) -> IndicatorBars<'_> {
        IndicatorBars(self)
    }

    pub fn panels(&self) -> IndicatorPanels<'_> {
        IndicatorPanels(self)
    }

    /// Tall enough for a readable line per municipality.
    pub fn bars_size(&self) -> (u32, u32) {
        let n = self.groups.first().map_or(0, |(_, b, _)| b.len()) as u32;
        (SIZE.0, SIZE.1.max(120 + 14 * n))
    }

    /// The axes of a plot with one row per municipality: values along x, no y ticks.
    fn rows_mesh<'a, 'b, DB: DrawingBackend>(
        &self,
        plot: &'b mut Plot<'a, DB>,
    ) -> MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
        let mut mesh = panel::mesh(plot, 11);
        mesh.disable_y_mesh()
            .y_labels(0)
            .x_desc(self.measure.as_str());
        mesh
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

/// Denmark's value as a vertical line across the `n` rows.
fn national_line<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    national: &Option<f64>,
    n: usize,
) -> DrawResult {
    if let Some(v) = national {
        plot.draw_series(std::iter::once(PathElement::new(
            vec![(*v, 0.0), (*v, n as f64)],
            PALETTE[5].stroke_width(2),
        )))
        .map_err(err)?;
    }
    Ok(())
}

/// All municipalities (group `all`) as horizontal bars, their peer-group value as a dot and the
/// national value as a line.
pub struct IndicatorBars<'a>(&'a IndicatorChart);

impl Chart for IndicatorBars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let chart = self.0;
        let title = format!(
            "{} by municipality (group all): bar = municipality, dot = peer group, line = Denmark",
            chart.measure
        );
        let root = panel::titled(root, &title, 20)?;
        let Some((_, bars, national)) = chart.groups.first() else {
            return panel::no_data(&root);
        };
        if bars.is_empty() {
            return panel::no_data(&root);
        }
        let n = bars.len();
        let x_max = value_max(bars.iter().flat_map(|b| [b.1, b.2.unwrap_or(0.0)]));
        let frame = Frame {
            caption: None,
            margin: 15,
            label_room: (40, 150),
        };
        let mut c = frame.plot(&root, 0.0..x_max, 0.0..n as f64)?;
        chart.rows_mesh(&mut c).draw().map_err(err)?;
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
        national_line(&mut c, national, n)
    }
}

/// One small panel per group: municipalities' values sorted, national value as a line.
pub struct IndicatorPanels<'a>(&'a IndicatorChart);

impl Chart for IndicatorPanels<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let chart = self.0;
        let title = format!(
            "{} by group: municipalities sorted (bars), Denmark (line)",
            chart.measure
        );
        let root = panel::titled(root, &title, 22)?;
        let groups: Vec<_> = chart
            .groups
            .iter()
            .filter(|(_, b, _)| !b.is_empty())
            .collect();
        if groups.is_empty() {
            return panel::no_data(&root);
        }
        let x_max = value_max(groups.iter().flat_map(|(_, b, _)| b.iter().map(|x| x.1)));
        for ((group, bars, national), area) in
            groups.iter().zip(panel::panels(&root, groups.len()).iter())
        {
            let n = bars.len();
            let frame = Frame {
                caption: Some((group, 16)),
                margin: 8,
                label_room: (30, 30),
            };
            let mut c = frame.plot(area, 0.0..x_max, 0.0..n as f64)?;
            chart
                .rows_mesh(&mut c)
                .y_desc("municipalities")
                .draw()
                .map_err(err)?;
            c.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let y = (n - i - 1) as f64;
                Rectangle::new([(0.0, y + 0.1), (b.1, y + 0.9)], PALETTE[0].filled())
            }))
            .map_err(err)?;
            national_line(&mut c, national, n)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            id: out::TableId::Indicators,
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
