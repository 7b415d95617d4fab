//! The number of positive and negative pairs.

use serde::{Deserialize, Serialize};

use crate::error::{Class, MetricsError};
use crate::input::{BinaryLabel, label_is_positive};

/// How many pairs carry each label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCounts {
    pub positives: usize,
    pub negatives: usize,
}

impl PairCounts {
    /// Returns the total number of pairs.
    pub fn pairs(&self) -> usize {
        self.positives + self.negatives
    }

    /// Returns an error naming `metric` unless both classes are present.
    pub(crate) fn require_both_classes(&self, metric: &'static str) -> Result<(), MetricsError> {
        self.require_positives(metric)?;
        if self.negatives == 0 {
            return Err(self.missing(metric, Class::Negative));
        }
        Ok(())
    }

    /// Returns an error naming `metric` unless at least one pair is positive.
    pub(crate) fn require_positives(&self, metric: &'static str) -> Result<(), MetricsError> {
        if self.positives == 0 {
            return Err(self.missing(metric, Class::Positive));
        }
        Ok(())
    }

    fn missing(&self, metric: &'static str, missing: Class) -> MetricsError {
        MetricsError::MissingClass {
            metric,
            missing,
            pairs: self.pairs(),
        }
    }
}

/// Counts positive and negative labels. An empty slice gives zero of each.
///
/// # Errors
///
/// [`MetricsError::InvalidLabel`] for a label other than 0 or 1.
pub fn count_pairs<L: BinaryLabel>(labels: &[L]) -> Result<PairCounts, MetricsError> {
    let mut counts = PairCounts {
        positives: 0,
        negatives: 0,
    };
    for (index, &label) in labels.iter().enumerate() {
        if label_is_positive(index, label)? {
            counts.positives += 1;
        } else {
            counts.negatives += 1;
        }
    }
    Ok(counts)
}
