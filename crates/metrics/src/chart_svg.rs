//! ROC and precision-recall charts as standalone SVG documents.

use std::fmt::Write;

use crate::chart::{
    BACKGROUND, CURVE_WIDTH_PX, ChartKind, DIAGONAL, DIAGONAL_DASH_PX, DIAGONAL_GAP_PX, GRID, INK,
    LEGEND_SWATCH_PX, Layout, TICK_LENGTH_PX, TICKS, series_color, tick_label,
};
use crate::series::CurveSeries;

const FONT_SIZE_PX: f64 = 14.0;
const TITLE_FONT_SIZE_PX: f64 = 20.0;

/// Draws the ROC curves of all series on one chart, with the diagonal of a random classifier
/// and a legend of names and ROC-AUC values.
pub fn roc_chart_svg(series: &[CurveSeries]) -> String {
    chart_svg(ChartKind::Roc, series)
}

/// Draws the precision-recall curves of all series on one chart, with a legend of names and
/// average precision values.
pub fn pr_chart_svg(series: &[CurveSeries]) -> String {
    chart_svg(ChartKind::PrecisionRecall, series)
}

fn chart_svg(kind: ChartKind, series: &[CurveSeries]) -> String {
    let layout = Layout::new(series.len());
    let mut svg = String::new();

    open_document(&mut svg, &layout);
    draw_title(&mut svg, &layout, kind);
    draw_grid_and_ticks(&mut svg, &layout);
    draw_axis_labels(&mut svg, &layout, kind);
    if kind.has_diagonal() {
        draw_diagonal(&mut svg, &layout);
    }
    for (index, one_series) in series.iter().enumerate() {
        draw_curve(&mut svg, &layout, one_series, index);
    }
    draw_frame(&mut svg, &layout);
    draw_legend(&mut svg, &layout, kind, series);
    svg.push_str("</svg>\n");

    svg
}

// `fmt::Write` for `String` never returns an error, so the results below are ignored.

fn open_document(svg: &mut String, layout: &Layout) {
    let (width, height) = (layout.width_px, layout.height_px);
    let _ = writeln!(svg, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{FONT_SIZE_PX}">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{width}" height="{height}" fill="{}"/>"#,
        BACKGROUND.hex()
    );
}

fn draw_title(svg: &mut String, layout: &Layout, kind: ChartKind) {
    let center_x = f64::from(layout.width_px) / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="{center_x}" y="{}" font-size="{TITLE_FONT_SIZE_PX}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
        layout.title_center_y(),
        escape_xml(kind.title())
    );
}

fn draw_grid_and_ticks(svg: &mut String, layout: &Layout) {
    let grid = GRID.hex();
    let ink = INK.hex();
    for &tick in &TICKS {
        let x = layout.x_px(tick);
        let y = layout.y_px(tick);
        let label = tick_label(tick);

        // Vertical grid line, tick mark below the plot and its label.
        let _ = writeln!(
            svg,
            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{grid}"/>"#,
            layout.plot_top,
            layout.plot_bottom()
        );
        let _ = writeln!(
            svg,
            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{ink}"/>"#,
            layout.plot_bottom(),
            layout.plot_bottom() + TICK_LENGTH_PX
        );
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{}" text-anchor="middle" dominant-baseline="central">{label}</text>"#,
            layout.x_tick_label_center_y()
        );

        // Horizontal grid line, tick mark left of the plot and its label.
        let _ = writeln!(
            svg,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{grid}"/>"#,
            layout.plot_left,
            layout.plot_right()
        );
        let _ = writeln!(
            svg,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{ink}"/>"#,
            layout.plot_left - TICK_LENGTH_PX,
            layout.plot_left
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{y}" text-anchor="end" dominant-baseline="central">{label}</text>"#,
            layout.y_tick_label_right_x()
        );
    }
}

fn draw_axis_labels(svg: &mut String, layout: &Layout, kind: ChartKind) {
    let center = layout.plot_left + layout.plot_size / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="{center}" y="{}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
        layout.x_label_center_y(),
        escape_xml(kind.x_label())
    );

    let x = layout.y_label_center_x();
    let y = layout.plot_top + layout.plot_size / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="{x}" y="{y}" transform="rotate(-90 {x} {y})" text-anchor="middle" dominant-baseline="central">{}</text>"#,
        escape_xml(kind.y_label())
    );
}

fn draw_diagonal(svg: &mut String, layout: &Layout) {
    let _ = writeln!(
        svg,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="{DIAGONAL_DASH_PX} {DIAGONAL_GAP_PX}"/>"#,
        layout.x_px(0.0),
        layout.y_px(0.0),
        layout.x_px(1.0),
        layout.y_px(1.0),
        DIAGONAL.hex()
    );
}

fn draw_curve(svg: &mut String, layout: &Layout, series: &CurveSeries, index: usize) {
    let mut points = String::new();
    for (x, y) in layout.series_px(&series.points) {
        let _ = write!(points, "{x:.2},{y:.2} ");
    }
    let _ = writeln!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{CURVE_WIDTH_PX}" stroke-linejoin="round"/>"#,
        points.trim_end(),
        series_color(index).hex()
    );
}

fn draw_frame(svg: &mut String, layout: &Layout) {
    let _ = writeln!(
        svg,
        r#"<rect x="{}" y="{}" width="{size}" height="{size}" fill="none" stroke="{}"/>"#,
        layout.plot_left,
        layout.plot_top,
        INK.hex(),
        size = layout.plot_size
    );
}

fn draw_legend(svg: &mut String, layout: &Layout, kind: ChartKind, series: &[CurveSeries]) {
    let left = layout.legend_left();
    for (index, one_series) in series.iter().enumerate() {
        let y = layout.legend_row_center_y(index);
        let _ = writeln!(
            svg,
            r#"<line x1="{left}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="{CURVE_WIDTH_PX}"/>"#,
            left + LEGEND_SWATCH_PX,
            series_color(index).hex()
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{y}" dominant-baseline="central">{}</text>"#,
            left + LEGEND_SWATCH_PX + 8.0,
            escape_xml(&kind.legend_label(one_series))
        );
    }
}

/// Escapes the five characters that XML reserves and replaces control characters, which XML 1.0
/// does not allow, with U+FFFD, so any series name is safe in text.
fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            control if control.is_control() => escaped.push(char::REPLACEMENT_CHARACTER),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_xml;

    #[test]
    fn escape_xml_replaces_reserved_characters() {
        assert_eq!(escape_xml(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
    }

    #[test]
    fn escape_xml_replaces_control_characters() {
        assert_eq!(escape_xml("a\u{1}b"), "a\u{fffd}b");
    }

    #[test]
    fn escape_xml_keeps_plain_text() {
        assert_eq!(escape_xml("tuned model 2"), "tuned model 2");
    }
}
