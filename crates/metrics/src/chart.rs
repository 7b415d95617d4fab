//! Shared parts of the SVG and PNG charts: titles, geometry, ticks, colours and legend text.
//!
//! Both renderers place everything with the same [`Layout`], so the two formats of one chart
//! look alike.

use crate::series::{CurvePoint, CurveSeries};

/// The chart being drawn: ROC or precision-recall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChartKind {
    Roc,
    PrecisionRecall,
}

impl ChartKind {
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::Roc => "ROC curve",
            ChartKind::PrecisionRecall => "Precision-recall curve",
        }
    }

    pub fn x_label(self) -> &'static str {
        match self {
            ChartKind::Roc => "False positive rate",
            ChartKind::PrecisionRecall => "Recall",
        }
    }

    pub fn y_label(self) -> &'static str {
        match self {
            ChartKind::Roc => "True positive rate",
            ChartKind::PrecisionRecall => "Precision",
        }
    }

    /// Returns whether the chart shows the dashed line of a random classifier, from (0, 0) to
    /// (1, 1).
    pub fn has_diagonal(self) -> bool {
        self == ChartKind::Roc
    }

    /// Returns the legend text for one series, for example `tuned (AUC=0.8731)`.
    pub fn legend_label(self, series: &CurveSeries) -> String {
        let summary_name = match self {
            ChartKind::Roc => "AUC",
            ChartKind::PrecisionRecall => "AP",
        };
        format!("{} ({summary_name}={:.4})", series.name, series.summary)
    }
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb {
    pub red: u8,
    pub green: u8,
    pub blue: u8,
}

impl Rgb {
    pub const fn new(red: u8, green: u8, blue: u8) -> Self {
        Rgb { red, green, blue }
    }

    /// Returns the colour as `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.red, self.green, self.blue)
    }
}

pub(crate) const BACKGROUND: Rgb = Rgb::new(255, 255, 255);
pub(crate) const INK: Rgb = Rgb::new(0, 0, 0);
pub(crate) const GRID: Rgb = Rgb::new(225, 225, 225);
pub(crate) const DIAGONAL: Rgb = Rgb::new(140, 140, 140);

/// Series colours, reused in order when there are more series than colours.
const SERIES_COLORS: [Rgb; 6] = [
    Rgb::new(31, 119, 180),
    Rgb::new(230, 110, 0),
    Rgb::new(44, 160, 44),
    Rgb::new(214, 39, 40),
    Rgb::new(148, 103, 189),
    Rgb::new(140, 86, 75),
];

pub(crate) fn series_color(index: usize) -> Rgb {
    SERIES_COLORS[index % SERIES_COLORS.len()]
}

/// Tick positions on both axes.
pub(crate) const TICKS: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];

pub(crate) fn tick_label(value: f64) -> String {
    format!("{value:.1}")
}

pub(crate) const CURVE_WIDTH_PX: f64 = 2.0;
pub(crate) const DIAGONAL_DASH_PX: f64 = 6.0;
pub(crate) const DIAGONAL_GAP_PX: f64 = 4.0;
pub(crate) const TICK_LENGTH_PX: f64 = 5.0;
pub(crate) const LEGEND_SWATCH_PX: f64 = 28.0;

/// Pixel positions of every part of a chart. The origin is the top-left corner and y grows
/// downwards, as in SVG and PNG.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Layout {
    pub width_px: u32,
    pub height_px: u32,
    pub plot_left: f64,
    pub plot_top: f64,
    pub plot_size: f64,
}

const PLOT_LEFT_PX: f64 = 80.0;
const PLOT_TOP_PX: f64 = 56.0;
const PLOT_SIZE_PX: f64 = 480.0;
const RIGHT_MARGIN_PX: f64 = 40.0;
const LEGEND_OFFSET_PX: f64 = 84.0;
const LEGEND_ROW_PX: f64 = 24.0;
const BOTTOM_MARGIN_PX: f64 = 12.0;

impl Layout {
    /// Sizes the chart so that the legend below the plot has one row per series.
    pub fn new(series_count: usize) -> Self {
        let height = PLOT_TOP_PX
            + PLOT_SIZE_PX
            + LEGEND_OFFSET_PX
            + LEGEND_ROW_PX * series_count as f64
            + BOTTOM_MARGIN_PX;
        Layout {
            width_px: (PLOT_LEFT_PX + PLOT_SIZE_PX + RIGHT_MARGIN_PX) as u32,
            height_px: height.ceil() as u32,
            plot_left: PLOT_LEFT_PX,
            plot_top: PLOT_TOP_PX,
            plot_size: PLOT_SIZE_PX,
        }
    }

    pub fn plot_right(&self) -> f64 {
        self.plot_left + self.plot_size
    }

    pub fn plot_bottom(&self) -> f64 {
        self.plot_top + self.plot_size
    }

    /// Maps a chart x in 0..=1 to a pixel column, clamping values outside the range.
    pub fn x_px(&self, x: f64) -> f64 {
        self.plot_left + x.clamp(0.0, 1.0) * self.plot_size
    }

    /// Maps a chart y in 0..=1 to a pixel row, clamping values outside the range.
    pub fn y_px(&self, y: f64) -> f64 {
        self.plot_bottom() - y.clamp(0.0, 1.0) * self.plot_size
    }

    pub fn title_center_y(&self) -> f64 {
        self.plot_top / 2.0
    }

    pub fn x_tick_label_center_y(&self) -> f64 {
        self.plot_bottom() + 20.0
    }

    pub fn y_tick_label_right_x(&self) -> f64 {
        self.plot_left - 10.0
    }

    pub fn x_label_center_y(&self) -> f64 {
        self.plot_bottom() + 48.0
    }

    pub fn y_label_center_x(&self) -> f64 {
        self.plot_left - 58.0
    }

    /// Returns the vertical centre of legend row `row`.
    pub fn legend_row_center_y(&self, row: usize) -> f64 {
        self.plot_bottom() + LEGEND_OFFSET_PX + LEGEND_ROW_PX * (row as f64 + 0.5)
    }

    pub fn legend_left(&self) -> f64 {
        self.plot_left
    }

    /// Returns the pixel positions of a series' finite points, in order.
    pub fn series_px(&self, points: &[CurvePoint]) -> Vec<(f64, f64)> {
        points
            .iter()
            .filter(|point| point.x.is_finite() && point.y.is_finite())
            .map(|point| (self.x_px(point.x), self.y_px(point.y)))
            .collect()
    }
}
