//! `report.md`: the report as a table a person reads.

use std::fmt::Write;

use lorasearch_metrics::ThresholdMetric;

use crate::report::{EvaluationReport, SplitReport, SplitStatus};
use crate::splits::SPLIT_NAMES;

/// Renders the report: one row per split and model, then speed, notes and the gate.
pub fn render(report: &EvaluationReport) -> String {
    let mut text = String::from("# Evaluation report\n\n");
    let _ = writeln!(text, "- Model: `{}`", report.model_path);
    match (&report.adapter_path, &report.tuned_note) {
        (Some(adapter), _) => {
            let _ = writeln!(text, "- Adapter: `{adapter}` (the tuned model is the model with this adapter merged)");
        }
        (None, Some(note)) => {
            let _ = writeln!(text, "- Adapter: none; {note}");
        }
        (None, None) => {
            let _ = writeln!(text, "- Adapter: none");
        }
    }
    let limit = if report.max_pairs == 0 { String::from("all pairs of each split") } else { format!("the first {} pairs of each split", report.max_pairs) };
    let _ = writeln!(text, "- Scored: {limit}; score = cosine similarity of the query and product title embeddings\n");

    text.push_str("| split | model | pairs | positives | ROC-AUC | change in ROC-AUC | average precision | best F1 (threshold) | best accuracy (threshold) |\n");
    text.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let models = report.models.evaluated();
    let mut notes = Vec::new();
    for split in SPLIT_NAMES {
        let untuned_roc_auc = report.models.untuned.splits.get(split).and_then(|row| row.roc_auc);
        for (model_name, model) in &models {
            let Some(row) = model.splits.get(split) else { continue };
            let change = match (*model_name, untuned_roc_auc, row.roc_auc) {
                ("tuned", Some(before), Some(after)) => format!("{:+.4}", after - before),
                _ => String::new(),
            };
            let _ = writeln!(
                text,
                "| {split} | {model_name} | {} | {} | {} | {change} | {} | {} | {} |",
                row.pairs,
                row.positives,
                roc_auc_cell(row),
                optional(row.average_precision),
                threshold_cell(row.best_f1),
                threshold_cell(row.best_accuracy),
            );
            if let Some(note) = &row.note {
                notes.push(format!("{split}, {model_name}: {note}"));
            }
        }
    }

    text.push_str("\nSpeed (embedding and scoring, model loading excluded):\n\n");
    for (model_name, model) in &models {
        let _ = writeln!(
            text,
            "- {model_name}: {} pairs in {:.1} s, {:.1} pairs/s",
            model.pairs_evaluated,
            model.elapsed_ms as f64 / 1000.0,
            model.pairs_per_second
        );
    }

    if !notes.is_empty() {
        text.push_str("\nNotes:\n\n");
        for note in notes {
            let _ = writeln!(text, "- {note}");
        }
    }

    if let Some(gate) = &report.gate {
        let verdict = if gate.passed { "passed" } else { "FAILED" };
        let _ = writeln!(
            text,
            "\nGate: {verdict}: the {} model's {} ROC-AUC {:.4} against evaluate.min_roc_auc = {}",
            gate.model, gate.split, gate.roc_auc, gate.min_roc_auc
        );
    }
    text
}

fn roc_auc_cell(row: &SplitReport) -> String {
    match (row.status, row.roc_auc) {
        (SplitStatus::Skipped, _) => String::from("skipped (no pairs)"),
        (_, Some(value)) => format!("{value:.4}"),
        (_, None) => String::from("n/a (one class)"),
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| String::from("n/a"), |value| format!("{value:.4}"))
}

fn threshold_cell(metric: Option<ThresholdMetric>) -> String {
    metric.map_or_else(|| String::from("n/a"), |metric| format!("{:.4} ({:.4})", metric.value, metric.threshold))
}
