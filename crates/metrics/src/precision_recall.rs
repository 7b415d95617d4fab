//! Precision-recall curve and average precision.

use crate::error::MetricsError;
use crate::input::{BinaryLabel, Score, validate_pairs};
use crate::sweep::ThresholdSweep;

/// One point of a precision-recall curve, for the rule "predict positive when score >=
/// threshold".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionRecallPoint {
    /// A distinct score, or `f64::INFINITY` for the first point, where nothing is predicted
    /// positive.
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
}

/// Computes the precision-recall curve at every distinct score, from the highest threshold to
/// the lowest.
///
/// The first point is recall 0 and precision 1 at an infinite threshold, then one point per
/// distinct score. These are the points of scikit-learn's `precision_recall_curve`, which lists
/// them in the opposite order (lowest threshold first).
///
/// # Errors
///
/// The input errors of [`MetricsError`], and [`MetricsError::MissingClass`] when no pair is
/// positive, because recall is then undefined.
pub fn precision_recall_curve<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<Vec<PrecisionRecallPoint>, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    sweep.counts.require_positives("precision_recall_curve")?;
    Ok(precision_recall_points(&sweep))
}

/// Computes average precision: the sum over distinct thresholds, from high to low, of
/// `(recall_n - recall_(n-1)) * precision_n`, with `recall_0 = 0`.
///
/// This is the step-wise sum of scikit-learn's `average_precision_score`, without
/// interpolation. Tied scores form one step.
///
/// # Errors
///
/// The input errors of [`MetricsError`], and [`MetricsError::MissingClass`] when no pair is
/// positive. Pairs that are all positive are accepted and give 1.0.
pub fn average_precision<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<f64, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    sweep.counts.require_positives("average_precision")?;
    Ok(average_precision_of_sweep(&sweep))
}

pub(crate) fn precision_recall_points(sweep: &ThresholdSweep) -> Vec<PrecisionRecallPoint> {
    let positives = sweep.counts.positives as f64;

    let mut points = Vec::with_capacity(sweep.steps.len() + 1);
    points.push(PrecisionRecallPoint {
        threshold: f64::INFINITY,
        precision: 1.0,
        recall: 0.0,
    });
    for step in &sweep.steps {
        // Every step contains at least one pair, so the predicted positives are never zero.
        let predicted_positives = (step.true_positives + step.false_positives) as f64;
        points.push(PrecisionRecallPoint {
            threshold: step.threshold,
            precision: step.true_positives as f64 / predicted_positives,
            recall: step.true_positives as f64 / positives,
        });
    }
    points
}

/// Sums the steps of average precision over `sweep`, which must contain a positive pair.
pub(crate) fn average_precision_of_sweep(sweep: &ThresholdSweep) -> f64 {
    let positives = sweep.counts.positives as f64;

    let mut sum = 0.0;
    let mut previous_recall = 0.0;
    for step in &sweep.steps {
        let recall = step.true_positives as f64 / positives;
        let predicted_positives = (step.true_positives + step.false_positives) as f64;
        let precision = step.true_positives as f64 / predicted_positives;
        sum += (recall - previous_recall) * precision;
        previous_recall = recall;
    }
    sum
}
