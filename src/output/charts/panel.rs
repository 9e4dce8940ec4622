//! What every chart shares: the embedded font, the palette, the page size, and the set-up of a
//! plotting area (title, grid of panels, frame, axes, legend), so that each chart states only
//! what is its own and the charts keep one look.
//!
//! Text is laid out with DejaVu Sans compiled into the binary (registered with plotters'
//! ab_glyph backend), so charts render the same on a headless machine without system fonts.
//! Colours are the Okabe–Ito palette, which stays distinguishable under the common forms of
//! colour blindness.

use std::ops::Range;
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::Error;

/// Size of a chart in pixels (the indicator bars grow taller with the municipalities).
pub const SIZE: (u32, u32) = (1200, 800);
/// The family the embedded font is registered under.
pub const FONT: &str = "sans-serif";

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

/// Drawing errors differ by backend; they are carried as text to the one place that names the
/// chart.
pub type DrawResult = Result<(), String>;

/// A plotting area with numeric axes, as every chart here uses.
pub type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Registers the embedded font once per process; plotters looks fonts up by family name.
pub fn register_font() -> Result<(), Error> {
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

/// A plotters error as text (see [`DrawResult`]).
pub fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// The chart's area below its title.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    size: i32,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.titled(title, (FONT, size)).map_err(err)
}

/// What a chart shows when disclosure control left it nothing to draw.
pub fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.draw(&Text::new(
        "no published values",
        (SIZE.0 as i32 / 2 - 120, SIZE.1 as i32 / 2),
        (FONT, 24),
    ))
    .map_err(err)
}

/// `area` split into a grid of `n` panels, filled row by row: one row for two, two rows
/// beyond.
pub fn panels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: usize,
) -> Vec<DrawingArea<DB, Shift>> {
    let grid = match n {
        0 | 1 => (1, 1),
        2 => (1, 2),
        3 | 4 => (2, 2),
        _ => (2, n.div_ceil(2)),
    };
    area.split_evenly(grid)
}

/// The frame of a plot: its caption (text and size), the margin around it and the room for the
/// tick labels below (x) and left of (y) the plot.
pub struct Frame<'a> {
    pub caption: Option<(&'a str, i32)>,
    pub margin: i32,
    pub label_room: (i32, i32),
}

impl Frame<'_> {
    /// A plot of `x` against `y` in this frame on `area`.
    pub fn plot<'b, DB: DrawingBackend>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        x: Range<f64>,
        y: Range<f64>,
    ) -> Result<Plot<'b, DB>, String> {
        let mut builder = ChartBuilder::on(area);
        if let Some((text, size)) = self.caption {
            builder.caption(text, (FONT, size));
        }
        builder
            .margin(self.margin)
            .x_label_area_size(self.label_room.0)
            .y_label_area_size(self.label_room.1)
            .build_cartesian_2d(x, y)
            .map_err(err)
    }
}

/// The axes and grid of `plot`, tick labels at `font` size; the caller adds what its axes say
/// and draws them.
pub fn mesh<'a, 'b, DB: DrawingBackend>(
    plot: &'b mut Plot<'a, DB>,
    font: i32,
) -> MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    let mut mesh = plot.configure_mesh();
    mesh.label_style((FONT, font));
    mesh
}

/// One panel of shares (0 to 1) over days since the spell started: a group's survival curves,
/// an entry cohort's cumulative incidence.
pub trait DayPanel {
    fn caption(&self) -> String;
    /// The last day the panel has a value for; all panels of a chart share their day axis.
    fn last_day(&self) -> f64;
    /// The panel's labelled series, drawn on its axes.
    fn draw<'a, DB: DrawingBackend + 'a>(&self, plot: &mut Plot<'a, DB>) -> DrawResult;
}

/// A chart of [`DayPanel`]s: its title, how its panels are captioned and labelled, and where
/// their legends go.
pub struct DayPanels<'a> {
    pub title: (&'a str, i32),
    pub caption_size: i32,
    pub y_desc: &'a str,
    /// Size of the tick and legend labels.
    pub font: i32,
    pub legend: SeriesLabelPosition,
}

impl DayPanels<'_> {
    /// The title, then one panel each on a day axis reaching the last day of any (at least 30).
    pub fn draw<DB: DrawingBackend, P: DayPanel>(
        &self,
        root: &DrawingArea<DB, Shift>,
        each: &[P],
    ) -> DrawResult {
        let root = titled(root, self.title.0, self.title.1)?;
        if each.is_empty() {
            return no_data(&root);
        }
        let x_max = each.iter().map(P::last_day).fold(30.0, f64::max);
        for (panel, area) in each.iter().zip(panels(&root, each.len()).iter()) {
            let caption = panel.caption();
            let frame = Frame {
                caption: Some((&caption, self.caption_size)),
                margin: 10,
                label_room: (40, 50),
            };
            let mut plot = frame.plot(area, 0.0..x_max, 0.0..1.0)?;
            mesh(&mut plot, self.font)
                .x_desc("days since spell start")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_desc(self.y_desc)
                .draw()
                .map_err(err)?;
            panel.draw(&mut plot)?;
            legend(&mut plot, self.legend.clone(), self.font)?;
        }
        Ok(())
    }
}

/// The legend of the labelled series drawn on `plot`, in a white box at `position`.
pub fn legend<'a, DB: DrawingBackend + 'a>(
    plot: &mut Plot<'a, DB>,
    position: SeriesLabelPosition,
    font: i32,
) -> DrawResult {
    plot.configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FONT, font))
        .draw()
        .map_err(err)
}

/// The legend mark of a filled area: a square of `colour`.
pub fn swatch(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
}
