//! The threshold sweep that every curve and threshold metric is built on.
//!
//! Pairs are sorted by score from high to low. For each distinct score `t` the sweep records how
//! many positives and negatives have a score `>= t`, that is, the true and false positives of the
//! rule "predict positive when score >= t". Pairs with equal scores enter together, which is how
//! ties end up counted as half in ROC-AUC.

use crate::counts::PairCounts;
use crate::input::ScoredLabel;

/// Cumulative counts at one distinct threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ThresholdCounts {
    pub threshold: f64,
    pub true_positives: usize,
    pub false_positives: usize,
}

/// The distinct thresholds from highest to lowest, and the class totals.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ThresholdSweep {
    pub steps: Vec<ThresholdCounts>,
    pub counts: PairCounts,
}

impl ThresholdSweep {
    /// Sorts validated pairs and accumulates their counts. `pairs` must contain only finite scores.
    pub fn new(mut pairs: Vec<ScoredLabel>) -> Self {
        // Descending. Scores are finite, so `total_cmp` only differs from `==` on -0.0 and 0.0,
        // which sort next to each other and are merged below because the grouping uses `==`.
        pairs.sort_unstable_by(|left, right| right.score.total_cmp(&left.score));

        let mut steps: Vec<ThresholdCounts> = Vec::new();
        let mut true_positives = 0;
        let mut false_positives = 0;
        for (position, pair) in pairs.iter().enumerate() {
            if pair.is_positive {
                true_positives += 1;
            } else {
                false_positives += 1;
            }

            let group_ends = pairs
                .get(position + 1)
                .is_none_or(|next| next.score != pair.score);
            if group_ends {
                steps.push(ThresholdCounts {
                    // Adding 0.0 turns -0.0 into 0.0, so a tie of the two reports as 0.
                    threshold: pair.score + 0.0,
                    true_positives,
                    false_positives,
                });
            }
        }

        ThresholdSweep {
            steps,
            counts: PairCounts {
                positives: true_positives,
                negatives: false_positives,
            },
        }
    }
}
