//! Best accuracy and best F1 thresholds, worked out by hand.

use lorasearch_metrics::{best_accuracy, best_f1};

/// Tied groups from high to low: 0.9 {1}, 0.8 {1, 0}, 0.7 {1, 0, 0}, 0.3 {0};
/// 3 positives, 4 negatives, 7 pairs.
///
/// | threshold        | TP | FP | TN | correct | F1 = 2TP / (TP + FP + 3) |
/// |------------------|----|----|----|---------|--------------------------|
/// | above 0.9        | 0  | 0  | 4  | 4       | 0                        |
/// | 0.9              | 1  | 0  | 4  | 5       | 2/4 = 0.5                |
/// | 0.8              | 2  | 1  | 3  | 5       | 4/6 = 2/3                |
/// | 0.7              | 3  | 3  | 1  | 4       | 6/9 = 2/3                |
/// | 0.3              | 3  | 4  | 0  | 3       | 6/10 = 0.6               |
///
/// Accuracy peaks at 5/7 for 0.9 and 0.8, F1 at 2/3 for 0.8 and 0.7. The higher threshold wins.
const TIED_SCORES: [f64; 7] = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3];
const TIED_LABELS: [u8; 7] = [1, 1, 0, 1, 0, 0, 0];

#[test]
fn best_accuracy_tie_takes_highest_threshold() {
    let best = best_accuracy(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert_eq!(best.threshold, 0.9);
}

#[test]
fn best_accuracy_value() {
    let best = best_accuracy(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert_eq!(best.value, 5.0 / 7.0);
}

#[test]
fn best_f1_tie_takes_highest_threshold() {
    let best = best_f1(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert_eq!(best.threshold, 0.8);
}

#[test]
fn best_f1_value() {
    let best = best_f1(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert_eq!(best.value, 2.0 / 3.0);
}

#[test]
fn best_accuracy_predicting_nothing_positive() {
    // Correct counts: nothing positive 2, threshold 0.9 1, 0.8 0, 0.1 1. Predicting nothing
    // positive wins and is reported as the threshold just above the highest score.
    let best = best_accuracy(&[0.9_f64, 0.8, 0.1], &[0_u8, 0, 1]).unwrap();
    assert_eq!(best.threshold, 0.9_f64.next_up());
}

#[test]
fn best_accuracy_predicting_nothing_positive_value() {
    let best = best_accuracy(&[0.9_f64, 0.8, 0.1], &[0_u8, 0, 1]).unwrap();
    assert_eq!(best.value, 2.0 / 3.0);
}

#[test]
fn best_accuracy_single_class_is_accepted() {
    let best = best_accuracy(&[0.4_f64, 0.6], &[1_u8, 1]).unwrap();
    assert_eq!(best.value, 1.0);
}

#[test]
fn best_f1_separable_is_one() {
    let best = best_f1(&[0.9_f64, 0.8, 0.2, 0.1], &[1_u8, 1, 0, 0]).unwrap();
    assert_eq!(best.value, 1.0);
}

#[test]
fn best_f1_separable_threshold_is_lowest_positive_score() {
    let best = best_f1(&[0.9_f64, 0.8, 0.2, 0.1], &[1_u8, 1, 0, 0]).unwrap();
    assert_eq!(best.threshold, 0.8);
}
