//! The decision thresholds that maximise accuracy and F1.
//!
//! A threshold `t` means "predict positive when score >= t". The candidates are the distinct
//! scores. Best accuracy also considers predicting every pair negative, reported as the next
//! `f64` above the highest score (`f64::next_up`). When several thresholds reach the same
//! maximum, the highest of them wins, so the rule predicts as few positives as the maximum
//! allows. Values are compared as exact fractions of counts, so rounding cannot break or create
//! a tie.

use serde::{Deserialize, Serialize};

use crate::error::MetricsError;
use crate::input::{BinaryLabel, Score, validate_pairs};
use crate::sweep::ThresholdSweep;

/// A decision threshold and the metric value it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdMetric {
    pub threshold: f64,
    pub value: f64,
}

/// Finds the threshold with the highest accuracy, `(true positives + true negatives) / pairs`.
///
/// Works with a single class too. Ties go to the highest threshold, as the module
/// documentation describes.
///
/// # Errors
///
/// The input errors of [`MetricsError`].
pub fn best_accuracy<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<ThresholdMetric, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    Ok(best_accuracy_of_sweep(&sweep))
}

/// Finds the threshold with the highest F1, `2 TP / (2 TP + FP + FN)`.
///
/// Ties go to the highest threshold, as the module documentation describes.
///
/// # Errors
///
/// The input errors of [`MetricsError`], and [`MetricsError::MissingClass`] when no pair is
/// positive, because F1 is then 0 or undefined at every threshold.
pub fn best_f1<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<ThresholdMetric, MetricsError> {
    let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
    sweep.counts.require_positives("best_f1")?;
    Ok(best_f1_of_sweep(&sweep))
}

/// Finds the best accuracy threshold of `sweep`, which must contain at least one pair.
pub(crate) fn best_accuracy_of_sweep(sweep: &ThresholdSweep) -> ThresholdMetric {
    let negatives = sweep.counts.negatives;
    let highest_score = sweep.steps.first().map_or(0.0, |step| step.threshold);

    // Predicting nothing positive gets every negative right.
    let mut best_threshold = highest_score.next_up();
    let mut best_correct = negatives;
    for step in &sweep.steps {
        let true_negatives = negatives - step.false_positives;
        let correct = step.true_positives + true_negatives;
        if correct > best_correct {
            best_correct = correct;
            best_threshold = step.threshold;
        }
    }

    ThresholdMetric {
        threshold: best_threshold,
        value: best_correct as f64 / sweep.counts.pairs() as f64,
    }
}

/// Finds the best F1 threshold of `sweep`, which must contain a positive pair.
pub(crate) fn best_f1_of_sweep(sweep: &ThresholdSweep) -> ThresholdMetric {
    let positives = sweep.counts.positives;

    // F1 = 2 TP / (2 TP + FP + FN), and FN = positives - TP, so the denominator is
    // TP + FP + positives. Fractions are kept as (numerator, denominator) and compared by
    // cross-multiplying. The denominator is never zero because positives > 0.
    let mut best: Option<(f64, u128, u128)> = None;
    for step in &sweep.steps {
        let numerator = 2 * step.true_positives as u128;
        let denominator = (step.true_positives + step.false_positives + positives) as u128;
        let is_better = match best {
            None => true,
            Some((_, best_numerator, best_denominator)) => {
                numerator * best_denominator > best_numerator * denominator
            }
        };
        if is_better {
            best = Some((step.threshold, numerator, denominator));
        }
    }

    match best {
        Some((threshold, numerator, denominator)) => ThresholdMetric {
            threshold,
            value: numerator as f64 / denominator as f64,
        },
        // Only an empty sweep gets here, and validation rejects empty input. F1 = 0 at an
        // infinite threshold keeps the function total.
        None => ThresholdMetric {
            threshold: f64::INFINITY,
            value: 0.0,
        },
    }
}
