//! `report.json`: the stage's result as a stable, documented schema (`docs/evaluate-report.md`).
//!
//! Every key is always present. A number that cannot be computed is `null`, and `note` gives the reason.

use anyhow::Context;
use lorasearch_metrics::{
    MetricsError, ThresholdMetric, average_precision, best_accuracy, best_f1, binary_report, count_pairs, roc_auc,
};
use serde::{Deserialize, Serialize};

use crate::splits::EvaluationSplit;

/// Name and version of the report layout.
pub const REPORT_FORMAT: &str = "lorasearch-evaluate-report/1";

/// The whole of `report.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvaluationReport {
    pub format: String,
    /// The model folder, as the settings resolve it.
    pub model_path: String,
    /// The adapter folder merged into the tuned model; `null` when the train stage has none.
    pub adapter_path: Option<String>,
    /// Reason that `models.tuned` is `null`, when it is.
    pub tuned_note: Option<String>,
    /// `[evaluate] batch_size` and `max_pairs` of the run.
    pub batch_size: usize,
    pub max_pairs: usize,
    pub models: ModelReports,
    /// The `min_roc_auc` check; `null` when the setting is absent.
    pub gate: Option<GateOutcome>,
}

/// One entry per model; `tuned` is `null` when there is no adapter to evaluate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelReports {
    pub untuned: ModelReport,
    pub tuned: Option<ModelReport>,
}

impl ModelReports {
    /// Returns the evaluated models with their report names, untuned first.
    pub fn evaluated(&self) -> Vec<(&'static str, &ModelReport)> {
        let mut models = vec![("untuned", &self.untuned)];
        if let Some(tuned) = &self.tuned {
            models.push(("tuned", tuned));
        }
        models
    }
}

/// The metrics of one model on both splits, and how fast it scored them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelReport {
    pub model_path: String,
    /// The adapter merged into the weights; `null` for the untuned model.
    pub adapter_path: Option<String>,
    /// Pairs scored over both splits.
    pub pairs_evaluated: usize,
    /// Wall time of embedding and scoring both splits; loading the model is not included.
    pub elapsed_ms: u64,
    pub pairs_per_second: f64,
    pub splits: SplitReports,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SplitReports {
    pub validation: SplitReport,
    pub test: SplitReport,
}

impl SplitReports {
    pub fn get(&self, split: &str) -> Option<&SplitReport> {
        match split {
            "validation" => Some(&self.validation),
            "test" => Some(&self.test),
            _ => None,
        }
    }
}

/// Outcome of a split: all metrics, some of them, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitStatus {
    /// Both classes are present; every metric has a value.
    Evaluated,
    /// Every pair has the same label; ROC-AUC is `null`, and so are average precision and best
    /// F1 when no pair is relevant.
    OneClass,
    /// The split has no pairs; every metric is `null`.
    Skipped,
}

/// The metrics of one model on one split: the fields of `lorasearch_metrics::BinaryReport`, with
/// `null` where a metric is undefined.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SplitReport {
    pub status: SplitStatus,
    /// Pairs in the split before `max_pairs`.
    pub pairs_available: usize,
    /// Pairs scored.
    pub pairs: usize,
    pub positives: usize,
    pub negatives: usize,
    pub roc_auc: Option<f64>,
    pub average_precision: Option<f64>,
    pub best_accuracy: Option<ThresholdMetric>,
    pub best_f1: Option<ThresholdMetric>,
    /// Reason that metrics are `null`, when some are.
    pub note: Option<String>,
}

impl SplitReport {
    /// Returns the report of a split without pairs.
    pub fn skipped(split: &EvaluationSplit) -> Self {
        Self {
            status: SplitStatus::Skipped,
            pairs_available: split.pairs_available,
            pairs: 0,
            positives: 0,
            negatives: 0,
            roc_auc: None,
            average_precision: None,
            best_accuracy: None,
            best_f1: None,
            note: Some(format!("skipped: the {} split has no pairs", split.name)),
        }
    }

    /// Computes every metric that the labels allow from one score per pair of `split`.
    pub fn from_scores(split: &EvaluationSplit, scores: &[f32]) -> anyhow::Result<Self> {
        if split.is_empty() {
            return Ok(Self::skipped(split));
        }
        let labels = &split.relevance_labels;
        let context = || format!("computing the metrics of the {} split", split.name);
        let counts = count_pairs(labels).with_context(context)?;

        if counts.positives > 0 && counts.negatives > 0 {
            let report = binary_report(scores, labels).with_context(context)?;
            return Ok(Self {
                status: SplitStatus::Evaluated,
                pairs_available: split.pairs_available,
                pairs: report.pairs,
                positives: report.positives,
                negatives: report.negatives,
                roc_auc: Some(report.roc_auc),
                average_precision: Some(report.average_precision),
                best_accuracy: Some(report.best_accuracy),
                best_f1: Some(report.best_f1),
                note: None,
            });
        }

        // One class only: ROC-AUC is undefined, and so are AP and F1 without positives.
        let why_no_roc_auc = match roc_auc(scores, labels) {
            Err(missing @ MetricsError::MissingClass { .. }) => missing.to_string(),
            Err(other) => return Err(other).with_context(context),
            Ok(_) => String::from("ROC-AUC needs pairs of both classes"),
        };
        let with_positives = counts.positives > 0;
        Ok(Self {
            status: SplitStatus::OneClass,
            pairs_available: split.pairs_available,
            pairs: counts.pairs(),
            positives: counts.positives,
            negatives: counts.negatives,
            roc_auc: None,
            average_precision: with_positives.then(|| average_precision(scores, labels)).transpose().with_context(context)?,
            best_accuracy: Some(best_accuracy(scores, labels).with_context(context)?),
            best_f1: with_positives.then(|| best_f1(scores, labels)).transpose().with_context(context)?,
            note: Some(why_no_roc_auc),
        })
    }
}

/// The result of the `[evaluate] min_roc_auc` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateOutcome {
    pub min_roc_auc: f64,
    /// `tuned`, or `untuned` when there is no adapter.
    pub model: String,
    /// `test`, or `validation` when the test split has no ROC-AUC.
    pub split: String,
    pub roc_auc: f64,
    pub passed: bool,
}
