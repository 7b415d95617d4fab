//! Writes the ROC and precision-recall charts of two made-up models as SVG and PNG, to look at
//! them.
//!
//! ```text
//! cargo run --release -p lorasearch-metrics --example write_charts -- OUTPUT_DIR
//! ```

use std::path::PathBuf;

use lorasearch_metrics::{
    CurveSeries, binary_report, pr_chart_png, pr_chart_svg, roc_chart_png, roc_chart_svg,
};

/// Returns deterministic values in 0..1 from a 64-bit xorshift generator.
fn uniform_values(count: usize, mut state: u64) -> Vec<f64> {
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1_u64 << 53) as f64
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: write_charts OUTPUT_DIR")?,
    );
    std::fs::create_dir_all(&output_dir)?;

    // Labels alternate. The tuned model separates the classes more than the untuned one, and
    // both round to two decimals so that scores tie.
    let pairs = 400;
    let labels: Vec<u8> = (0..pairs).map(|index| (index % 2) as u8).collect();
    let noise = uniform_values(pairs, 0x9e37_79b9_7f4a_7c15);
    let score = |separation: f64| -> Vec<f32> {
        labels
            .iter()
            .zip(&noise)
            .map(|(&label, &noise)| {
                ((f64::from(label) * separation + noise) * 100.0).round() as f32 / 100.0
            })
            .collect()
    };
    let untuned = score(0.3);
    let tuned = score(0.7);

    let roc = [
        CurveSeries::roc("untuned", &untuned, &labels)?,
        CurveSeries::roc("tuned", &tuned, &labels)?,
    ];
    let precision_recall = [
        CurveSeries::precision_recall("untuned", &untuned, &labels)?,
        CurveSeries::precision_recall("tuned", &tuned, &labels)?,
    ];

    std::fs::write(output_dir.join("roc.svg"), roc_chart_svg(&roc))?;
    std::fs::write(output_dir.join("roc.png"), roc_chart_png(&roc)?)?;
    std::fs::write(
        output_dir.join("precision_recall.svg"),
        pr_chart_svg(&precision_recall),
    )?;
    std::fs::write(
        output_dir.join("precision_recall.png"),
        pr_chart_png(&precision_recall)?,
    )?;

    println!("untuned: {:?}", binary_report(&untuned, &labels)?);
    println!("tuned:   {:?}", binary_report(&tuned, &labels)?);
    Ok(())
}
