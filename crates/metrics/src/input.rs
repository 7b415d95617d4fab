//! The accepted score and label types, and the checks every metric runs on its input.

use crate::error::MetricsError;

/// A classifier score: higher means more likely positive.
pub trait Score: Copy {
    /// Converts the score to `f64`, the type all metrics compute in. The conversion is exact.
    fn to_f64(self) -> f64;
}

impl Score for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

impl Score for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

/// A binary label: 1 or `true` is positive, 0 or `false` is negative.
pub trait BinaryLabel: Copy {
    /// Returns the label as a number. Only 0 and 1 pass validation.
    fn to_u8(self) -> u8;
}

impl BinaryLabel for bool {
    fn to_u8(self) -> u8 {
        u8::from(self)
    }
}

impl BinaryLabel for u8 {
    fn to_u8(self) -> u8 {
        self
    }
}

/// One validated pair: its score as `f64` and whether it is positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScoredLabel {
    pub score: f64,
    pub is_positive: bool,
}

/// Checks the lengths, the label values and the scores, and pairs them up.
///
/// Rejects infinite scores as well as NaN, as scikit-learn does, because the curves use an
/// infinite threshold for "predict nothing positive".
pub(crate) fn validate_pairs<S: Score, L: BinaryLabel>(
    scores: &[S],
    labels: &[L],
) -> Result<Vec<ScoredLabel>, MetricsError> {
    if scores.len() != labels.len() {
        return Err(MetricsError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if scores.is_empty() {
        return Err(MetricsError::Empty);
    }

    let mut pairs = Vec::with_capacity(scores.len());
    for (index, (&score, &label)) in scores.iter().zip(labels).enumerate() {
        let is_positive = label_is_positive(index, label)?;

        let score = score.to_f64();
        if !score.is_finite() {
            return Err(MetricsError::NonFiniteScore {
                index,
                value: score,
            });
        }

        pairs.push(ScoredLabel { score, is_positive });
    }
    Ok(pairs)
}

/// Returns whether the label at `index` is positive, or an error for a value other than 0 or 1.
pub(crate) fn label_is_positive<L: BinaryLabel>(
    index: usize,
    label: L,
) -> Result<bool, MetricsError> {
    match label.to_u8() {
        0 => Ok(false),
        1 => Ok(true),
        value => Err(MetricsError::InvalidLabel { index, value }),
    }
}
