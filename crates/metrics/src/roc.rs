//! ROC curve and the area under it (ROC-AUC).

use crate::error::MetricsError;
use crate::input::{BinaryLabel, Score, validate_pairs};
use crate::sweep::ThresholdSweep;

/// One point of a ROC curve: the rates of the rule "predict positive when score >= threshold".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// A distinct score, or `f64::INFINITY` for the first point, where nothing is predicted
    /// positive.
    pub threshold: f64,
    pub false_positive_rate: f64,
    pub true_positive_rate: f64,
}

/// Computes the ROC curve at every distinct score, from the highest threshold to the lowest.
///
/// The first point is (0, 0) at an infinite threshold and the last is (1, 1) at the lowest
/// score. No point is dropped, which matches scikit-learn's `roc_curve` with
/// `drop_intermediate=False`.
///
/// # Errors
///
/// The input errors of [`MetricsError`], and [`MetricsError::MissingClass`] unless both classes
/// are present.
pub fn roc_curve<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<Vec<RocPoint>, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    sweep.counts.require_both_classes("roc_curve")?;
    Ok(roc_points(&sweep))
}

/// Computes the area under the ROC curve. Tied scores count as half a correctly ordered pair.
///
/// The result equals scikit-learn's `roc_auc_score` for binary labels: the trapezoids between
/// consecutive distinct thresholds, summed. It is also the probability that a random positive
/// scores above a random negative, with ties counting half.
///
/// # Errors
///
/// The input errors of [`MetricsError`], and [`MetricsError::MissingClass`] unless both classes
/// are present.
pub fn roc_auc<S: Score, L: BinaryLabel>(scores: &[S], labels: &[L]) -> Result<f64, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    sweep.counts.require_both_classes("roc_auc")?;
    Ok(roc_auc_of_sweep(&sweep))
}

pub(crate) fn roc_points(sweep: &ThresholdSweep) -> Vec<RocPoint> {
    let positives = sweep.counts.positives as f64;
    let negatives = sweep.counts.negatives as f64;

    let mut points = Vec::with_capacity(sweep.steps.len() + 1);
    points.push(RocPoint {
        threshold: f64::INFINITY,
        false_positive_rate: 0.0,
        true_positive_rate: 0.0,
    });
    for step in &sweep.steps {
        points.push(RocPoint {
            threshold: step.threshold,
            false_positive_rate: step.false_positives as f64 / negatives,
            true_positive_rate: step.true_positives as f64 / positives,
        });
    }
    points
}

/// Sums the trapezoids in whole counts and divides once at the end, so the only rounding is
/// that final division. `sweep` must contain pairs of both classes.
pub(crate) fn roc_auc_of_sweep(sweep: &ThresholdSweep) -> f64 {
    // Twice the area in units of (one negative) x (one positive): a trapezoid of width
    // `fp - previous_fp` and heights `previous_tp` and `tp` has twice-area
    // `(fp - previous_fp) * (tp + previous_tp)`.
    let mut twice_area: u128 = 0;
    let mut previous_true_positives: u128 = 0;
    let mut previous_false_positives: u128 = 0;
    for step in &sweep.steps {
        let true_positives = step.true_positives as u128;
        let false_positives = step.false_positives as u128;
        twice_area += (false_positives - previous_false_positives)
            * (true_positives + previous_true_positives);
        previous_true_positives = true_positives;
        previous_false_positives = false_positives;
    }

    let twice_total_area = 2 * sweep.counts.positives as u128 * sweep.counts.negatives as u128;
    twice_area as f64 / twice_total_area as f64
}
