//! SVG and PNG charts of two models.

use lorasearch_metrics::{CurveSeries, pr_chart_png, pr_chart_svg, roc_chart_png, roc_chart_svg};

const LABELS: [u8; 8] = [1, 0, 1, 0, 1, 0, 1, 0];
const UNTUNED_SCORES: [f32; 8] = [0.9, 0.8, 0.4, 0.7, 0.6, 0.3, 0.2, 0.5];
const TUNED_SCORES: [f32; 8] = [0.9, 0.2, 0.8, 0.3, 0.7, 0.6, 0.4, 0.1];

/// Width and height of a chart with a two-row legend: 80 + 480 + 40 wide, and
/// 56 + 480 + 84 + 2 * 24 + 12 high (see `Layout` in src/chart.rs).
const TWO_SERIES_SIZE_PX: (u32, u32) = (600, 680);

fn roc_series() -> Vec<CurveSeries> {
    vec![
        CurveSeries::roc("untuned", &UNTUNED_SCORES, &LABELS).unwrap(),
        CurveSeries::roc("tuned & LoRA", &TUNED_SCORES, &LABELS).unwrap(),
    ]
}

fn pr_series() -> Vec<CurveSeries> {
    vec![
        CurveSeries::precision_recall("untuned", &UNTUNED_SCORES, &LABELS).unwrap(),
        CurveSeries::precision_recall("tuned & LoRA", &TUNED_SCORES, &LABELS).unwrap(),
    ]
}

/// Returns the text of every `<text>` element, in document order.
fn svg_texts(svg: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(svg).unwrap();
    document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text().map(str::to_owned))
        .collect()
}

fn decode_png(bytes: &[u8]) -> png::OutputInfo {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap()
}

#[test]
fn roc_chart_svg_parses_as_xml() {
    let svg = roc_chart_svg(&roc_series());
    assert!(roxmltree::Document::parse(&svg).is_ok());
}

#[test]
fn roc_chart_svg_legend_shows_auc() {
    // untuned: the positives 0.9, 0.4, 0.6, 0.2 beat 4, 1, 2, 0 of the negatives
    // 0.8, 0.7, 0.3, 0.5, so AUC = 7 / 16. tuned: the positives 0.9, 0.8, 0.7, 0.4 beat
    // 4, 4, 4, 3 of the negatives 0.2, 0.3, 0.6, 0.1, so AUC = 15 / 16.
    let texts = svg_texts(&roc_chart_svg(&roc_series()));
    let expected = ["untuned (AUC=0.4375)", "tuned & LoRA (AUC=0.9375)"];
    assert!(
        expected
            .iter()
            .all(|label| texts.iter().any(|text| text == label)),
        "{texts:?}"
    );
}

#[test]
fn roc_chart_svg_has_title_and_axis_labels() {
    let texts = svg_texts(&roc_chart_svg(&roc_series()));
    let expected = ["ROC curve", "False positive rate", "True positive rate"];
    assert!(
        expected
            .iter()
            .all(|label| texts.iter().any(|text| text == label)),
        "{texts:?}"
    );
}

#[test]
fn roc_chart_svg_has_tick_labels() {
    let texts = svg_texts(&roc_chart_svg(&roc_series()));
    let zero_to_one = ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"];
    // Each tick label appears once on each axis.
    assert!(
        zero_to_one
            .iter()
            .all(|tick| texts.iter().filter(|text| text == tick).count() == 2)
    );
}

#[test]
fn roc_chart_svg_has_dashed_diagonal() {
    assert!(roc_chart_svg(&roc_series()).contains("stroke-dasharray"));
}

#[test]
fn roc_chart_svg_draws_one_polyline_per_series() {
    assert_eq!(roc_chart_svg(&roc_series()).matches("<polyline").count(), 2);
}

#[test]
fn pr_chart_svg_legend_shows_ap() {
    let series = pr_series();
    let texts = svg_texts(&pr_chart_svg(&series));
    let expected = [
        format!("untuned (AP={:.4})", series[0].summary),
        format!("tuned & LoRA (AP={:.4})", series[1].summary),
    ];
    assert!(
        expected.iter().all(|label| texts.contains(label)),
        "texts: {texts:?}"
    );
}

#[test]
fn pr_chart_svg_has_no_diagonal() {
    assert!(!pr_chart_svg(&pr_series()).contains("stroke-dasharray"));
}

#[test]
fn roc_chart_png_decodes_to_expected_size() {
    let info = decode_png(&roc_chart_png(&roc_series()).unwrap());
    assert_eq!((info.width, info.height), TWO_SERIES_SIZE_PX);
}

#[test]
fn pr_chart_png_decodes_to_expected_size() {
    let info = decode_png(&pr_chart_png(&pr_series()).unwrap());
    assert_eq!((info.width, info.height), TWO_SERIES_SIZE_PX);
}

#[test]
fn roc_chart_png_no_series_still_decodes() {
    let info = decode_png(&roc_chart_png(&[]).unwrap());
    assert_eq!(info.width, TWO_SERIES_SIZE_PX.0);
}
