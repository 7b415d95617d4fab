//! ROC and precision-recall charts as PNG images, drawn with the built-in bitmap font.
//!
//! The layout matches the SVG charts. Text is drawn in capitals because the font has no
//! lowercase letters.

use crate::canvas::{Canvas, text_size_px};
use crate::chart::{
    BACKGROUND, CURVE_WIDTH_PX, ChartKind, DIAGONAL, DIAGONAL_DASH_PX, DIAGONAL_GAP_PX, GRID, INK,
    LEGEND_SWATCH_PX, Layout, Rgb, TICK_LENGTH_PX, TICKS, series_color, tick_label,
};
use crate::error::ChartError;
use crate::series::CurveSeries;

const TEXT_SCALE: usize = 2;
const TITLE_SCALE: usize = 3;

/// Draws the ROC curves of all series on one chart, like [`crate::roc_chart_svg`], and encodes
/// it as PNG.
///
/// # Errors
///
/// [`ChartError::PngEncoding`] if the PNG encoder fails.
pub fn roc_chart_png(series: &[CurveSeries]) -> Result<Vec<u8>, ChartError> {
    encode_png(render(ChartKind::Roc, series))
}

/// Draws the precision-recall curves of all series on one chart, like
/// [`crate::pr_chart_svg`], and encodes it as PNG.
///
/// # Errors
///
/// [`ChartError::PngEncoding`] if the PNG encoder fails.
pub fn pr_chart_png(series: &[CurveSeries]) -> Result<Vec<u8>, ChartError> {
    encode_png(render(ChartKind::PrecisionRecall, series))
}

fn render(kind: ChartKind, series: &[CurveSeries]) -> Canvas {
    let layout = Layout::new(series.len());
    let mut canvas = Canvas::new(layout.width_px, layout.height_px, BACKGROUND);

    let center_x = f64::from(layout.width_px) / 2.0;
    canvas.draw_text_centered(
        center_x,
        layout.title_center_y(),
        kind.title(),
        TITLE_SCALE,
        INK,
    );

    draw_grid_and_ticks(&mut canvas, &layout);
    draw_axis_labels(&mut canvas, &layout, kind);
    if kind.has_diagonal() {
        draw_dashed_line(
            &mut canvas,
            (layout.x_px(0.0), layout.y_px(0.0)),
            (layout.x_px(1.0), layout.y_px(1.0)),
        );
    }
    for (index, one_series) in series.iter().enumerate() {
        draw_polyline(
            &mut canvas,
            &layout.series_px(&one_series.points),
            series_color(index),
        );
    }
    draw_frame(&mut canvas, &layout);
    draw_legend(&mut canvas, &layout, kind, series);

    canvas
}

fn draw_grid_and_ticks(canvas: &mut Canvas, layout: &Layout) {
    for &tick in &TICKS {
        let x = layout.x_px(tick);
        let y = layout.y_px(tick);
        let label = tick_label(tick);

        canvas.draw_line((x, layout.plot_top), (x, layout.plot_bottom()), 1.0, GRID);
        canvas.draw_line(
            (x, layout.plot_bottom()),
            (x, layout.plot_bottom() + TICK_LENGTH_PX),
            1.0,
            INK,
        );
        canvas.draw_text_centered(x, layout.x_tick_label_center_y(), &label, TEXT_SCALE, INK);

        canvas.draw_line((layout.plot_left, y), (layout.plot_right(), y), 1.0, GRID);
        canvas.draw_line(
            (layout.plot_left - TICK_LENGTH_PX, y),
            (layout.plot_left, y),
            1.0,
            INK,
        );
        let (label_width, label_height) = text_size_px(&label, TEXT_SCALE);
        canvas.draw_text(
            layout.y_tick_label_right_x() - label_width,
            y - label_height / 2.0,
            &label,
            TEXT_SCALE,
            INK,
        );
    }
}

fn draw_axis_labels(canvas: &mut Canvas, layout: &Layout, kind: ChartKind) {
    let plot_center = layout.plot_size / 2.0;
    canvas.draw_text_centered(
        layout.plot_left + plot_center,
        layout.x_label_center_y(),
        kind.x_label(),
        TEXT_SCALE,
        INK,
    );
    canvas.draw_text_vertical_centered(
        layout.y_label_center_x(),
        layout.plot_top + plot_center,
        kind.y_label(),
        TEXT_SCALE,
        INK,
    );
}

fn draw_dashed_line(canvas: &mut Canvas, from: (f64, f64), to: (f64, f64)) {
    let length = (to.0 - from.0).hypot(to.1 - from.1);
    if length == 0.0 {
        return;
    }
    let direction = ((to.0 - from.0) / length, (to.1 - from.1) / length);
    let point_at = |distance: f64| {
        (
            from.0 + direction.0 * distance,
            from.1 + direction.1 * distance,
        )
    };

    let mut dash_start = 0.0;
    while dash_start < length {
        let dash_end = (dash_start + DIAGONAL_DASH_PX).min(length);
        canvas.draw_line(point_at(dash_start), point_at(dash_end), 1.0, DIAGONAL);
        dash_start = dash_end + DIAGONAL_GAP_PX;
    }
}

fn draw_polyline(canvas: &mut Canvas, points: &[(f64, f64)], color: Rgb) {
    for segment in points.windows(2) {
        canvas.draw_line(segment[0], segment[1], CURVE_WIDTH_PX, color);
    }
}

fn draw_frame(canvas: &mut Canvas, layout: &Layout) {
    let corners = [
        (layout.plot_left, layout.plot_top),
        (layout.plot_right(), layout.plot_top),
        (layout.plot_right(), layout.plot_bottom()),
        (layout.plot_left, layout.plot_bottom()),
        (layout.plot_left, layout.plot_top),
    ];
    for side in corners.windows(2) {
        canvas.draw_line(side[0], side[1], 1.0, INK);
    }
}

fn draw_legend(canvas: &mut Canvas, layout: &Layout, kind: ChartKind, series: &[CurveSeries]) {
    let left = layout.legend_left();
    for (index, one_series) in series.iter().enumerate() {
        let y = layout.legend_row_center_y(index);
        canvas.draw_line(
            (left, y),
            (left + LEGEND_SWATCH_PX, y),
            CURVE_WIDTH_PX,
            series_color(index),
        );

        let label = kind.legend_label(one_series);
        let (_, label_height) = text_size_px(&label, TEXT_SCALE);
        canvas.draw_text(
            left + LEGEND_SWATCH_PX + 8.0,
            y - label_height / 2.0,
            &label,
            TEXT_SCALE,
            INK,
        );
    }
}

fn encode_png(canvas: Canvas) -> Result<Vec<u8>, ChartError> {
    let (width, height) = (canvas.width(), canvas.height());
    let to_chart_error = |source| ChartError::PngEncoding {
        width,
        height,
        source,
    };

    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(to_chart_error)?;
    writer
        .write_image_data(&canvas.into_rgb())
        .map_err(to_chart_error)?;
    writer.finish().map_err(to_chart_error)?;

    Ok(bytes)
}
