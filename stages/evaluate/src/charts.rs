//! ROC and precision-recall charts per split, every evaluated model on one chart, as SVG and PNG.

use anyhow::Context;
use lorasearch_metrics::{CurveSeries, count_pairs, pr_chart_png, pr_chart_svg, roc_chart_png, roc_chart_svg};
use lorasearch_runtime::StageWork;
use lorasearch_runtime::stages::evaluate_outputs;

use crate::splits::EvaluationSplit;

/// One model's scores, one list per split in the order of the splits.
pub struct ModelScores {
    pub name: &'static str,
    pub per_split: Vec<Vec<f32>>,
}

/// Writes `roc_<split>.svg/.png` for splits with both classes and `pr_<split>.svg/.png` for
/// splits with a relevant pair, and returns the file names written.
pub fn write_charts(work: &StageWork, splits: &[EvaluationSplit], models: &[ModelScores]) -> anyhow::Result<Vec<String>> {
    let mut written = Vec::new();
    for (position, split) in splits.iter().enumerate() {
        if split.is_empty() {
            continue;
        }
        let labels = &split.relevance_labels;
        let counts = count_pairs(labels)?;
        let context = || format!("drawing the charts of the {} split", split.name);

        if counts.positives > 0 && counts.negatives > 0 {
            let series = models
                .iter()
                .map(|model| CurveSeries::roc(model.name, &model.per_split[position], labels))
                .collect::<Result<Vec<_>, _>>()
                .with_context(context)?;
            let png = roc_chart_png(&series).with_context(context)?;
            written.push(write(work, &evaluate_outputs::roc_chart(split.name, "svg"), roc_chart_svg(&series).as_bytes())?);
            written.push(write(work, &evaluate_outputs::roc_chart(split.name, "png"), &png)?);
        }

        if counts.positives > 0 {
            let series = models
                .iter()
                .map(|model| CurveSeries::precision_recall(model.name, &model.per_split[position], labels))
                .collect::<Result<Vec<_>, _>>()
                .with_context(context)?;
            let png = pr_chart_png(&series).with_context(context)?;
            written.push(write(work, &evaluate_outputs::pr_chart(split.name, "svg"), pr_chart_svg(&series).as_bytes())?);
            written.push(write(work, &evaluate_outputs::pr_chart(split.name, "png"), &png)?);
        }
    }
    Ok(written)
}

fn write(work: &StageWork, name: &str, bytes: &[u8]) -> anyhow::Result<String> {
    let path = work.output_path(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(name.to_string())
}
