//! All binary-classification metrics of one model, computed from one sort of the pairs.

use serde::{Deserialize, Serialize};

use crate::error::MetricsError;
use crate::input::{BinaryLabel, Score, validate_pairs};
use crate::precision_recall::average_precision_of_sweep;
use crate::roc::roc_auc_of_sweep;
use crate::sweep::ThresholdSweep;
use crate::threshold::{ThresholdMetric, best_accuracy_of_sweep, best_f1_of_sweep};

/// The metrics of one model on one set of labelled pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryReport {
    pub pairs: usize,
    pub positives: usize,
    pub negatives: usize,
    pub roc_auc: f64,
    pub average_precision: f64,
    pub best_accuracy: ThresholdMetric,
    pub best_f1: ThresholdMetric,
}

/// Computes every metric of [`BinaryReport`]. Each field equals what the single-metric function
/// of the same name returns.
///
/// # Errors
///
/// The input errors of [`MetricsError`], and [`MetricsError::MissingClass`] unless both classes
/// are present.
pub fn binary_report<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<BinaryReport, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    sweep.counts.require_both_classes("binary_report")?;

    Ok(BinaryReport {
        pairs: sweep.counts.pairs(),
        positives: sweep.counts.positives,
        negatives: sweep.counts.negatives,
        roc_auc: roc_auc_of_sweep(&sweep),
        average_precision: average_precision_of_sweep(&sweep),
        best_accuracy: best_accuracy_of_sweep(&sweep),
        best_f1: best_f1_of_sweep(&sweep),
    })
}
