//! One model's curve, ready to be drawn next to other models' curves.

use crate::error::MetricsError;
use crate::input::{BinaryLabel, Score, validate_pairs};
use crate::precision_recall::{average_precision_of_sweep, precision_recall_points};
use crate::roc::{roc_auc_of_sweep, roc_points};
use crate::sweep::ThresholdSweep;

/// A point in chart coordinates, both axes in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub x: f64,
    pub y: f64,
}

/// A named curve and its one-number summary, which the chart legend shows.
///
/// For a ROC series `x` is the false positive rate, `y` the true positive rate and `summary`
/// the ROC-AUC. For a precision-recall series `x` is recall, `y` precision and `summary` the
/// average precision. The charts skip points that are not finite and clamp the rest to 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSeries {
    pub name: String,
    pub points: Vec<CurvePoint>,
    pub summary: f64,
}

impl CurveSeries {
    /// Builds a ROC series from scores and labels.
    ///
    /// # Errors
    ///
    /// The same as [`crate::roc_curve`].
    pub fn roc<S: Score, L: BinaryLabel>(
        name: impl Into<String>,
        scores: &[S],
        labels: &[L],
    ) -> Result<Self, MetricsError> {
        let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
        sweep.counts.require_both_classes("roc_curve")?;

        let points = roc_points(&sweep)
            .into_iter()
            .map(|point| CurvePoint {
                x: point.false_positive_rate,
                y: point.true_positive_rate,
            })
            .collect();
        Ok(CurveSeries {
            name: name.into(),
            points,
            summary: roc_auc_of_sweep(&sweep),
        })
    }

    /// Builds a precision-recall series from scores and labels.
    ///
    /// # Errors
    ///
    /// The same as [`crate::precision_recall_curve`].
    pub fn precision_recall<S: Score, L: BinaryLabel>(
        name: impl Into<String>,
        scores: &[S],
        labels: &[L],
    ) -> Result<Self, MetricsError> {
        let sweep = ThresholdSweep::new(validate_pairs(scores, labels)?);
        sweep.counts.require_positives("precision_recall_curve")?;

        let points = precision_recall_points(&sweep)
            .into_iter()
            .map(|point| CurvePoint {
                x: point.recall,
                y: point.precision,
            })
            .collect();
        Ok(CurveSeries {
            name: name.into(),
            points,
            summary: average_precision_of_sweep(&sweep),
        })
    }
}
